package hitratio

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTables prints, for each trace in rs (in order of first appearance):
//
//   - the hit ratio table, rows = sizes, columns = caches, in percent;
//   - the same cells relative to otter and to Belady's optimum, as
//     "otter×/belady×" (1.00 = as good as otter; belady× is how much of the
//     achievable hit ratio the cache reaches);
//   - the calibrated budgets of the byte-budget caches;
//   - the reasons for every n/a cell;
//
// and then one summary line per cache: its mean hit ratio over every cell
// where it was measurable, with the mean ratios to otter and Belady over the
// same cells. (WriteTargets, the check of issue 3's targets, is separate:
// it means something only for full traces.)
func WriteTables(w io.Writer, rs []Result) {
	var traces []string
	byTrace := map[string][]Result{}
	for _, r := range rs {
		if _, ok := byTrace[r.Trace]; !ok {
			traces = append(traces, r.Trace)
		}
		byTrace[r.Trace] = append(byTrace[r.Trace], r)
	}
	caches := columnOrder(rs)
	for _, t := range traces {
		writeTrace(w, t, byTrace[t], caches)
	}
	writeSummary(w, rs, caches)
}

// columnOrder lists the caches present in rs in catalogue order, then any
// unknown ones in order of appearance.
func columnOrder(rs []Result) []string {
	present := map[string]bool{}
	var extra []string
	for _, r := range rs {
		if !present[r.Cache] {
			present[r.Cache] = true
			if !slices.Contains(CacheNames(), r.Cache) {
				extra = append(extra, r.Cache)
			}
		}
	}
	var out []string
	for _, c := range CacheNames() {
		if present[c] {
			out = append(out, c)
		}
	}
	return append(out, extra...)
}

type cellKey struct {
	size  int
	cache string
}

func writeTrace(w io.Writer, trace string, rs []Result, caches []string) {
	cells := map[cellKey]Result{}
	var sizes []int
	var cols []string
	for _, r := range rs {
		if !slices.Contains(sizes, r.Size) {
			sizes = append(sizes, r.Size)
		}
		cells[cellKey{r.Size, r.Cache}] = r
	}
	slices.Sort(sizes)
	for _, c := range caches {
		for _, n := range sizes {
			if _, ok := cells[cellKey{n, c}]; ok {
				cols = append(cols, c)
				break
			}
		}
	}
	head := rs[0]
	desc := ""
	if spec, ok := lookupTrace(trace); ok {
		desc = " — " + spec.desc
	}
	fmt.Fprintf(w, "\n## %s%s\n", trace, desc)
	if head.Requests > 0 {
		fmt.Fprintf(w, "%d requests, %d distinct keys, ceiling (infinite cache) %.2f%%\n",
			head.Requests, head.Distinct, 100*(1-float64(head.Distinct)/float64(head.Requests)))
	}

	fmt.Fprintf(w, "\nhit ratio %%\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "size\t%s\t\n", strings.Join(cols, "\t"))
	for _, n := range sizes {
		row := []string{strconv.Itoa(n)}
		for _, c := range cols {
			r, ok := cells[cellKey{n, c}]
			switch {
			case !ok:
				row = append(row, "")
			case r.NA != "":
				row = append(row, "n/a")
			default:
				row = append(row, fmt.Sprintf("%.2f", 100*r.HitRatio))
			}
		}
		fmt.Fprintf(tw, "%s\t\n", strings.Join(row, "\t"))
	}
	tw.Flush()

	fmt.Fprintf(w, "\nrelative: hit ratio ÷ otter's / ÷ Belady's\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "size\t%s\t\n", strings.Join(cols, "\t"))
	for _, n := range sizes {
		row := []string{strconv.Itoa(n)}
		for _, c := range cols {
			r, ok := cells[cellKey{n, c}]
			if !ok || r.NA != "" {
				row = append(row, "n/a")
				continue
			}
			row = append(row, ratioStr(r, cells[cellKey{n, CacheOtter}])+"/"+ratioStr(r, cells[cellKey{n, CacheBelady}]))
		}
		fmt.Fprintf(tw, "%s\t\n", strings.Join(row, "\t"))
	}
	tw.Flush()

	var byteCols []string
	for _, c := range cols {
		for _, n := range sizes {
			if r := cells[cellKey{n, c}]; r.Budget > 0 || (r.NA != "" && r.Cache == c) {
				byteCols = append(byteCols, c)
				break
			}
		}
	}
	if len(byteCols) > 0 {
		fmt.Fprintf(w, "\ncalibrated budgets (entries held at steady state)\n")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "size\t%s\t\n", strings.Join(byteCols, "\t"))
		for _, n := range sizes {
			row := []string{strconv.Itoa(n)}
			for _, c := range byteCols {
				r := cells[cellKey{n, c}]
				if r.NA != "" || r.Budget == 0 {
					row = append(row, "n/a")
				} else {
					row = append(row, fmt.Sprintf("%s (%d)", fmtBytes(r.Budget), r.Entries))
				}
			}
			fmt.Fprintf(tw, "%s\t\n", strings.Join(row, "\t"))
		}
		tw.Flush()
	}

	// Repeated caches: how many runs each mean covers and how far apart
	// the runs were, so a reader can tell noise from a difference.
	var rep []string
	for _, c := range cols {
		runs, spread := 0, 0.0
		for _, n := range sizes {
			r := cells[cellKey{n, c}]
			if r.Runs > 1 {
				runs = max(runs, r.Runs)
				spread = max(spread, r.MaxHitRatio-r.MinHitRatio)
			}
		}
		if runs > 1 {
			rep = append(rep, fmt.Sprintf("%s %d runs (widest spread %.2f pts)", c, runs, 100*spread))
		}
	}
	if len(rep) > 0 {
		fmt.Fprintf(w, "means of repeated runs: %s\n", strings.Join(rep, "; "))
	}

	// n/a reasons, grouped per cache and identical reason.
	for _, c := range cols {
		var reasons []string
		at := map[string][]string{}
		for _, n := range sizes {
			r := cells[cellKey{n, c}]
			if r.NA == "" {
				continue
			}
			if _, ok := at[r.NA]; !ok {
				reasons = append(reasons, r.NA)
			}
			at[r.NA] = append(at[r.NA], strconv.Itoa(n))
		}
		for _, why := range reasons {
			fmt.Fprintf(w, "n/a %s @%s: %s\n", c, strings.Join(at[why], ","), why)
		}
	}
}

// ratioStr is r's hit ratio divided by ref's, or "-" when ref is missing,
// n/a or zero (loop at sizes below its cycle: everyone scores 0).
func ratioStr(r, ref Result) string {
	if ref.Cache == "" || ref.NA != "" || ref.HitRatio == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", r.HitRatio/ref.HitRatio)
}

func writeSummary(w io.Writer, rs []Result, caches []string) {
	type ref struct {
		trace string
		size  int
	}
	otter := map[ref]Result{}
	belady := map[ref]Result{}
	for _, r := range rs {
		switch r.Cache {
		case CacheOtter:
			otter[ref{r.Trace, r.Size}] = r
		case CacheBelady:
			belady[ref{r.Trace, r.Size}] = r
		}
	}
	fmt.Fprintf(w, "\n## Summary (means over the cells where the cache was measurable; caches with n/a cells are averaged over fewer, different cells)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "cache\tmean hit %%\tcells\tn/a\tmean ÷otter\tmean ÷belady\t\n")
	for _, c := range caches {
		var sum, sumO, sumB float64
		var cells, na, nO, nB int
		for _, r := range rs {
			if r.Cache != c {
				continue
			}
			if r.NA != "" {
				na++
				continue
			}
			cells++
			sum += r.HitRatio
			if o, ok := otter[ref{r.Trace, r.Size}]; ok && o.NA == "" && o.HitRatio > 0 {
				sumO += r.HitRatio / o.HitRatio
				nO++
			}
			if b, ok := belady[ref{r.Trace, r.Size}]; ok && b.NA == "" && b.HitRatio > 0 {
				sumB += r.HitRatio / b.HitRatio
				nB++
			}
		}
		mean := func(s float64, n int) string {
			if n == 0 {
				return "-"
			}
			return fmt.Sprintf("%.3f", s/float64(n))
		}
		hit := "-"
		if cells > 0 {
			hit = fmt.Sprintf("%.2f", 100*sum/float64(cells))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t\n", c, hit, cells, na, mean(sumO, nO), mean(sumB, nB))
	}
	tw.Flush()
}
