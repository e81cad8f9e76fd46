package compare

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
)

// Hand-written SVG: two chart kinds (lines over categorical x, grouped bars)
// with axes, ticks, labels and a legend, and nothing else. Missing values
// are NaN: a gap in a line, an absent bar.

const (
	svgW, svgH   = 960, 440
	marginL      = 78
	marginR      = 190 // legend column
	marginT      = 44
	marginB      = 64
	plotW, plotH = svgW - marginL - marginR, svgH - marginT - marginB
)

// palette is Tableau 10: distinguishable, and larder (always first) gets the
// strong blue.
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1b9e77", "#7570b3"}

func color(i int) string { return palette[i%len(palette)] }

type svgDoc struct{ b bytes.Buffer }

func newSVG(title string) *svgDoc {
	d := &svgDoc{}
	fmt.Fprintf(&d.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgW, svgH, svgW, svgH)
	fmt.Fprintf(&d.b, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgW, svgH)
	d.text(svgW/2, 24, "middle", 15, "bold", title)
	return d
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (d *svgDoc) text(x, y float64, anchor string, size int, weight, s string) {
	fmt.Fprintf(&d.b, `<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%d" font-weight="%s">%s</text>`+"\n", x, y, anchor, size, weight, esc(s))
}

func (d *svgDoc) line(x1, y1, x2, y2 float64, stroke string, width float64, dash string) {
	extra := ""
	if dash != "" {
		extra = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
	}
	fmt.Fprintf(&d.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f"%s/>`+"\n", x1, y1, x2, y2, stroke, width, extra)
}

func (d *svgDoc) rect(x, y, w, h float64, fill, title string) {
	fmt.Fprintf(&d.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`+"\n", x, y, w, h, fill, esc(title))
}

func (d *svgDoc) close(w io.Writer) error {
	d.b.WriteString("</svg>\n")
	_, err := w.Write(d.b.Bytes())
	return err
}

// yAxis maps values to pixels, linear from 0 or logarithmic.
type yAxis struct {
	lo, hi float64
	log    bool
	ticks  []float64
	format func(float64) string
}

func (a yAxis) y(v float64) float64 {
	if a.log {
		v = math.Log10(max(v, a.lo))
		return marginT + plotH - (v-math.Log10(a.lo))/(math.Log10(a.hi)-math.Log10(a.lo))*plotH
	}
	return marginT + plotH - (v-a.lo)/(a.hi-a.lo)*plotH
}

// niceStep returns a 1/2/5 x 10^k step giving about n ticks over span.
func niceStep(span float64, n int) float64 {
	raw := span / float64(n)
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// linearAxis covers [lo, max(values)] with nice ticks; lo is usually 0.
func linearAxis(lo, hi float64, format func(float64) string) yAxis {
	if !(hi > lo) {
		hi = lo + 1
	}
	step := niceStep(hi-lo, 5)
	top := math.Ceil(hi/step) * step
	a := yAxis{lo: lo, hi: top, format: format}
	for v := lo; v <= top+step/2; v += step {
		a.ticks = append(a.ticks, v)
	}
	return a
}

// logAxis covers the decades around [lo, hi].
func logAxis(lo, hi float64, format func(float64) string) yAxis {
	if !(lo > 0) {
		lo = 1
	}
	if !(hi > lo) {
		hi = lo * 10
	}
	l := math.Pow(10, math.Floor(math.Log10(lo)))
	h := math.Pow(10, math.Ceil(math.Log10(hi)))
	a := yAxis{lo: l, hi: h, log: true, format: format}
	for v := l; v <= h*1.0001; v *= 10 {
		a.ticks = append(a.ticks, v)
	}
	return a
}

func (d *svgDoc) drawAxes(a yAxis, yLabel, xLabel string) {
	for _, t := range a.ticks {
		y := a.y(t)
		d.line(marginL, y, marginL+plotW, y, "#e5e5e5", 1, "")
		d.text(marginL-6, y+4, "end", 11, "normal", a.format(t))
	}
	d.line(marginL, marginT, marginL, marginT+plotH, "#333", 1, "")
	d.line(marginL, marginT+plotH, marginL+plotW, marginT+plotH, "#333", 1, "")
	fmt.Fprintf(&d.b, `<text x="%d" y="%d" text-anchor="middle" font-size="12" transform="rotate(-90 %d %d)">%s</text>`+"\n",
		18, marginT+plotH/2, 18, marginT+plotH/2, esc(yLabel))
	d.text(marginL+plotW/2, svgH-14, "middle", 12, "normal", xLabel)
}

func (d *svgDoc) legend(names []string) {
	x := float64(svgW - marginR + 16)
	for i, n := range names {
		y := float64(marginT + 6 + i*18)
		d.rect(x, y-9, 14, 10, color(i), n)
		d.text(x+20, y, "start", 12, "normal", n)
	}
}

// Series is one named line or bar series; NaN marks a missing value.
type Series struct {
	Name   string
	Values []float64
}

func valueRange(series []Series) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	return lo, hi
}

// LineChart draws one line per series over categorical x positions.
func LineChart(w io.Writer, title, xLabel, yLabel string, xs []string, series []Series, format func(float64) string) error {
	d := newSVG(title)
	lo, hi := valueRange(series)
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	// Start the axis at a round value below the data rather than at 0, so
	// that differences between caches (often a few points) are visible.
	step := niceStep(hi-lo, 5)
	a := linearAxis(math.Max(0, math.Floor(lo/step)*step-step), hi, format)
	d.drawAxes(a, yLabel, xLabel)
	x := func(i int) float64 {
		if len(xs) == 1 {
			return marginL + plotW/2
		}
		return marginL + 20 + float64(i)*(plotW-40)/float64(len(xs)-1)
	}
	for i, l := range xs {
		d.line(x(i), marginT+plotH, x(i), marginT+plotH+4, "#333", 1, "")
		d.text(x(i), marginT+plotH+18, "middle", 11, "normal", l)
	}
	// Series with no value at all are left out of the plot and listed in a
	// footnote, so the legend only names lines that are drawn.
	var drawn []Series
	var absent []string
	for _, s := range series {
		lo, _ := valueRange([]Series{s})
		if math.IsInf(lo, 0) {
			absent = append(absent, s.Name)
		} else {
			drawn = append(drawn, s)
		}
	}
	series = drawn
	if len(absent) > 0 {
		d.text(marginL, svgH-3, "start", 10, "normal", "no value (n/a at every size): "+strings.Join(absent, ", "))
	}
	var names []string
	for si, s := range series {
		names = append(names, s.Name)
		width := 1.6
		if si == 0 {
			width = 2.8
		}
		dash := ""
		if s.Name == "belady" {
			dash = ` stroke-dasharray="6 4"` // the offline optimum: a ceiling, not a cache
		}
		var path strings.Builder
		pen := false
		for i, v := range s.Values {
			if math.IsNaN(v) {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, x(i), a.y(v))
			pen = true
		}
		fmt.Fprintf(&d.b, `<path d="%s" fill="none" stroke="%s" stroke-width="%.1f"%s/>`+"\n", strings.TrimSpace(path.String()), color(si), width, dash)
		for i, v := range s.Values {
			if !math.IsNaN(v) {
				fmt.Fprintf(&d.b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s</title></circle>`+"\n",
					x(i), a.y(v), color(si), esc(fmt.Sprintf("%s @ %s: %s", s.Name, xs[i], format(v))))
			}
		}
	}
	d.legend(names)
	return d.close(w)
}

// BarChart draws grouped bars: one group per label in groups, one bar per
// series inside each group.
func BarChart(w io.Writer, title, xLabel, yLabel string, groups []string, series []Series, logY bool, format func(float64) string) error {
	d := newSVG(title)
	lo, hi := valueRange(series)
	if math.IsInf(lo, 0) {
		lo, hi = 1, 10
	}
	var a yAxis
	if logY {
		a = logAxis(lo, hi, format)
	} else {
		a = linearAxis(0, hi, format)
	}
	d.drawAxes(a, yLabel, xLabel)
	groupW := float64(plotW) / float64(max(len(groups), 1))
	barW := groupW * 0.8 / float64(max(len(series), 1))
	for gi, g := range groups {
		gx := marginL + float64(gi)*groupW
		d.text(gx+groupW/2, marginT+plotH+18, "middle", 11, "normal", g)
		for si, s := range series {
			if gi >= len(s.Values) || math.IsNaN(s.Values[gi]) {
				continue
			}
			v := s.Values[gi]
			y := a.y(v)
			base := a.y(a.lo)
			d.rect(gx+groupW*0.1+float64(si)*barW, y, math.Max(barW-1, 1), math.Max(base-y, 0.5), color(si),
				fmt.Sprintf("%s, %s: %s", s.Name, g, format(v)))
		}
	}
	var names []string
	for _, s := range series {
		names = append(names, s.Name)
	}
	d.legend(names)
	return d.close(w)
}
