package hitratio

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// TracesEnv names the environment variable that overrides where the public
// traces live. Options.TracesDir (the -traces flag) takes precedence over it.
const TracesEnv = "LARDER_TRACES"

// Trace is one request stream reduced to what a hit-ratio replay needs: the
// key of every request, in order. Keys are uint64 because every format's keys
// fit: 32/64-bit integers, ARC block numbers, and AdaptSize (id, size) pairs
// packed by adaptSizeKey.
type Trace struct {
	Name string
	Keys []uint64
	// ObjSizes holds the object size of each request, parallel to Keys, for
	// the one trace that records sizes (AdaptSize); nil otherwise. The
	// equal-entries replay ignores it (every cache stores the same fixed
	// payload), it is kept for a byte-budget experiment.
	ObjSizes []uint32
}

// Distinct returns the number of distinct keys in the trace.
func (t *Trace) Distinct() int {
	seen := make(map[uint64]struct{}, len(t.Keys)/4)
	for _, k := range t.Keys {
		seen[k] = struct{}{}
	}
	return len(seen)
}

// traceSpec describes one workload of the catalogue: where it comes from,
// how to read it and which cache sizes to replay it at.
type traceSpec struct {
	name  string // what -only matches (case-insensitively) and tables show
	file  string // file name under the traces folder; "" for mixed and synthetic workloads
	desc  string
	sizes []int
	// peerSizes is true when sizes are the ones peers plot (SOURCES.md), so
	// the numbers can be set beside theirs; false when we chose them.
	peerSizes bool
	// synthetic workloads are generated, not read from the folder.
	synthetic bool
	// extra workloads (generalize.go) are left out of the default run.
	extra bool
	// load reads at most limit requests (0: all) from the folder dir.
	load func(dir string, limit int) (*Trace, error)
}

func stepSizes(from, to, step int) []int {
	var s []int
	for n := from; n <= to; n += step {
		s = append(s, n)
	}
	return s
}

// catalogue lists every workload Run knows, in the order tables are printed.
// Sizes marked peerSizes come from SOURCES.md "Sizes peers plot"; where the
// list gives a range without a step (multi2 100..2000, 2_pools 60..450) the
// step is ours (100 and 30), as are all sizes of the workloads peers do not
// plot (corda alone, loop alone, AdaptSize, the synthetic zipf ones).
var catalogue = []traceSpec{
	{name: "OLTP", file: "arc-OLTP.lis.zst", desc: "ARC: CODASYL database",
		sizes: stepSizes(250, 2000, 250), peerSizes: true, load: arcLoader("arc-OLTP.lis.zst")},
	{name: "P3", file: "arc-P3.lis.zst", desc: "ARC: NT workstation disk",
		sizes: append([]int{25000, 50000}, stepSizes(100000, 600000, 100000)...), peerSizes: true,
		load: arcLoader("arc-P3.lis.zst")},
	{name: "glimpse", file: "lirs-gli.trace.gz", desc: "LIRS: glimpse text search (loop-like)",
		sizes: stepSizes(250, 2000, 250), peerSizes: true, load: lirsLoader("lirs-gli.trace.gz")},
	{name: "multi2", file: "lirs-multi2.trace.gz", desc: "LIRS: cs + cpp + postgres",
		sizes: stepSizes(100, 2000, 100), peerSizes: true, load: lirsLoader("lirs-multi2.trace.gz")},
	{name: "sprite", file: "lirs-sprite.trace.gz", desc: "LIRS: Sprite network file server",
		sizes: []int{100, 200, 400, 600, 800, 1000}, peerSizes: true, load: lirsLoader("lirs-sprite.trace.gz")},
	{name: "2_pools", file: "lirs-2_pools.trace.gz", desc: "LIRS: two pools of different frequency",
		sizes: stepSizes(60, 450, 30), peerSizes: true, load: lirsLoader("lirs-2_pools.trace.gz")},
	{name: "scarab", file: "scarab-recs.trace.xz", desc: "Scarab Research recommendations DB",
		sizes: []int{1000, 5000, 10000, 25000, 50000, 75000, 100000, 125000}, peerSizes: true,
		load: packedLoader("scarab-recs.trace.xz", 8, binary.BigEndian)},
	{name: "mixed", file: "", desc: "corda + loop + corda (recency -> frequency -> recency)",
		sizes: stepSizes(250, 2000, 250), peerSizes: true, load: loadMixed},
	{name: "web07", file: "cache2k-web07.trace.xz", desc: "cache2k: HTTP objects",
		sizes: []int{300, 1200, 3000}, peerSizes: true,
		load: packedLoader("cache2k-web07.trace.xz", 4, binary.BigEndian)},
	{name: "w106", file: "cloudphysics-w106.trace.xz", desc: "CloudPhysics VMware block I/O",
		sizes: []int{1000, 3000, 10000, 30000, 100000}, peerSizes: true,
		load: packedLoader("cloudphysics-w106.trace.xz", 4, binary.LittleEndian)},
	{name: "corda", file: "corda-trace_vaultservice.gz", desc: "R3 Corda vault service (recency-skewed)",
		sizes: []int{1000, 5000, 10000, 25000, 50000},
		load:  packedLoader("corda-trace_vaultservice.gz", 8, binary.BigEndian)},
	{name: "loop", file: "lirs-loop.trace.gz", desc: "synthetic loop 0..1010 x500",
		sizes: []int{250, 500, 750, 1000}, load: lirsLoader("lirs-loop.trace.gz")},
	{name: "adaptsize", file: "adaptsize-request.trace.xz", desc: "AdaptSize CDN requests, key=(id,size)",
		sizes: []int{500, 1000, 2500, 5000, 10000, 20000}, load: loadAdaptSize},
	{name: "zipf", desc: "synthetic Zipf s=0.99 over 100k keys, 1M requests, seeded",
		sizes: []int{500, 1000, 2500, 5000, 10000, 25000}, synthetic: true, load: synthLoader(false)},
	{name: "zipf-scan", desc: "the zipf stream with a 10k one-hit scan every 50k requests",
		sizes: []int{500, 1000, 2500, 5000, 10000, 25000}, synthetic: true, load: synthLoader(true)},
}

// TraceNames returns the names of every workload Run knows, in table order.
func TraceNames() []string {
	names := make([]string, len(catalogue))
	for i, s := range catalogue {
		names[i] = s.name
	}
	return names
}

func lookupTrace(name string) (traceSpec, bool) {
	for _, s := range catalogue {
		if strings.EqualFold(s.name, name) {
			return s, true
		}
	}
	return traceSpec{}, false
}

// LoadTrace reads the named workload from dir; limit > 0 keeps only its
// first limit requests (decompression stops there, so a prefix is cheap).
func LoadTrace(dir, name string, limit int) (*Trace, error) {
	spec, ok := lookupTrace(name)
	if !ok {
		return nil, fmt.Errorf("hitratio: unknown trace %q (known: %s)", name, strings.Join(TraceNames(), ", "))
	}
	t, err := spec.load(dir, limit)
	if err != nil {
		return nil, fmt.Errorf("hitratio: trace %s: %w", spec.name, err)
	}
	t.Name = spec.name
	return t, nil
}

// ResolveTracesDir picks the traces folder: explicit (the -traces flag) if
// set, else $LARDER_TRACES, else ../shared/traces relative to the repository
// root. The root is found by walking up from the working directory to the
// go.mod of module github.com/larder-cache/larder, and failing that from this
// source file's location (so `go test` and `go run` work from any directory
// of a checkout). The result may not exist; callers check.
func ResolveTracesDir(explicit string) string {
	if explicit != "" {
		return explicit
	}
	if env := os.Getenv(TracesEnv); env != "" {
		return env
	}
	if wd, err := os.Getwd(); err == nil {
		if root, ok := findRepoRoot(wd); ok {
			return filepath.Join(root, "..", "shared", "traces")
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		if root, ok := findRepoRoot(filepath.Dir(file)); ok {
			return filepath.Join(root, "..", "shared", "traces")
		}
	}
	return filepath.Join("..", "shared", "traces")
}

func findRepoRoot(dir string) (string, bool) {
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if strings.TrimSpace(line) == "module github.com/larder-cache/larder" {
					return dir, true
				}
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// openDecompressed opens dir/name and wraps it in the decompressor its
// extension names. The returned closer closes both.
func openDecompressed(dir, name string) (io.Reader, func() error, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, nil, err
	}
	// A large buffer under the decompressor: the xz and gzip readers issue
	// many small reads.
	br := bufio.NewReaderSize(f, 1<<20)
	switch {
	case strings.HasSuffix(name, ".gz"):
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return bufio.NewReaderSize(zr, 1<<20), func() error { zr.Close(); return f.Close() }, nil
	case strings.HasSuffix(name, ".xz"):
		xr, err := xz.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return bufio.NewReaderSize(xr, 1<<20), f.Close, nil
	case strings.HasSuffix(name, ".zst"):
		// One decoder goroutine: traces are read once, and the replay
		// workers want the other core.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return bufio.NewReaderSize(zr, 1<<20), func() error { zr.Close(); return f.Close() }, nil
	}
	return br, f.Close, nil
}

// forEachLine calls fn with every line (without its terminator, CR included)
// until fn returns false or the input ends.
func forEachLine(r io.Reader, fn func(line string) (more bool, err error)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		more, err := fn(strings.TrimRight(sc.Text(), "\r"))
		if err != nil || !more {
			return err
		}
	}
	return sc.Err()
}

// arcLoader reads the ARC traces: each line is `start count ignored reqno`
// and stands for count requests to start..start+count-1 (every published
// ARC figure assumes this expansion).
func arcLoader(file string) func(string, int) (*Trace, error) {
	return func(dir string, limit int) (*Trace, error) {
		r, closeFn, err := openDecompressed(dir, file)
		if err != nil {
			return nil, err
		}
		defer closeFn()
		t := &Trace{}
		lineNo := 0
		err = forEachLine(r, func(line string) (bool, error) {
			lineNo++
			f := strings.Fields(line)
			if len(f) == 0 {
				return true, nil
			}
			if len(f) < 2 {
				return false, fmt.Errorf("%s:%d: want `start count ...`, got %q", file, lineNo, line)
			}
			start, err := strconv.ParseUint(f[0], 10, 64)
			if err != nil {
				return false, fmt.Errorf("%s:%d: %w", file, lineNo, err)
			}
			n, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return false, fmt.Errorf("%s:%d: %w", file, lineNo, err)
			}
			for i := uint64(0); i < n; i++ {
				if limit > 0 && len(t.Keys) >= limit {
					return false, nil
				}
				t.Keys = append(t.Keys, start+i)
			}
			return limit <= 0 || len(t.Keys) < limit, nil
		})
		return t, err
	}
}

// lirsLoader reads the LIRS traces: one decimal key per line; blank lines
// and lines holding only "*" (the traces' separators) are not requests.
// CRLF endings (lirs-loop) are handled by forEachLine.
func lirsLoader(file string) func(string, int) (*Trace, error) {
	return func(dir string, limit int) (*Trace, error) {
		r, closeFn, err := openDecompressed(dir, file)
		if err != nil {
			return nil, err
		}
		defer closeFn()
		t := &Trace{}
		lineNo := 0
		err = forEachLine(r, func(line string) (bool, error) {
			lineNo++
			line = strings.TrimSpace(line)
			if line == "" || line == "*" {
				return true, nil
			}
			k, err := strconv.ParseUint(line, 10, 64)
			if err != nil {
				return false, fmt.Errorf("%s:%d: %w", file, lineNo, err)
			}
			t.Keys = append(t.Keys, k)
			return limit <= 0 || len(t.Keys) < limit, nil
		})
		return t, err
	}
}

// packedLoader reads headerless files of fixed-width integer keys (8 bytes:
// Scarab, Corda, signed but reinterpreted as uint64 bit-for-bit; 4 bytes:
// cache2k, CloudPhysics). A trailing partial record is an error: it means
// the file or the width is wrong.
func packedLoader(file string, width int, order binary.ByteOrder) func(string, int) (*Trace, error) {
	return func(dir string, limit int) (*Trace, error) {
		r, closeFn, err := openDecompressed(dir, file)
		if err != nil {
			return nil, err
		}
		defer closeFn()
		t := &Trace{}
		buf := make([]byte, width*4096)
		for limit <= 0 || len(t.Keys) < limit {
			n, err := io.ReadFull(r, buf)
			if n%width != 0 && (err == io.ErrUnexpectedEOF || err == io.EOF) {
				return nil, fmt.Errorf("%s: %d trailing bytes, not a whole %d-byte key", file, n%width, width)
			}
			for off := 0; off+width <= n; off += width {
				if limit > 0 && len(t.Keys) >= limit {
					break
				}
				if width == 8 {
					t.Keys = append(t.Keys, order.Uint64(buf[off:]))
				} else {
					t.Keys = append(t.Keys, uint64(order.Uint32(buf[off:])))
				}
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break
			}
			if err != nil {
				return nil, err
			}
		}
		return t, nil
	}
}

// AdaptSize ids are packed with the object size into one key:
// id<<adaptSizeBits | size. Sizes reach 4,092,928 B < 2^22; ids must then fit
// in the remaining 42 bits, which loadAdaptSize checks so that the packing
// stays injective.
const adaptSizeBits = 22

func adaptSizeKey(id, size uint64) (uint64, error) {
	if size >= 1<<adaptSizeBits || id >= 1<<(64-adaptSizeBits) {
		return 0, fmt.Errorf("id %d / size %d do not fit the %d+%d-bit key", id, size, 64-adaptSizeBits, adaptSizeBits)
	}
	return id<<adaptSizeBits | size, nil
}

// loadAdaptSize reads `time id size_bytes` lines; (id, size) is the key, as
// SOURCES.md says: the same id with another size is another object.
func loadAdaptSize(dir string, limit int) (*Trace, error) {
	const file = "adaptsize-request.trace.xz"
	r, closeFn, err := openDecompressed(dir, file)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	t := &Trace{}
	lineNo := 0
	err = forEachLine(r, func(line string) (bool, error) {
		lineNo++
		f := strings.Fields(line)
		if len(f) == 0 {
			return true, nil
		}
		if len(f) != 3 {
			return false, fmt.Errorf("%s:%d: want `time id size`, got %q", file, lineNo, line)
		}
		id, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return false, fmt.Errorf("%s:%d: %w", file, lineNo, err)
		}
		size, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			return false, fmt.Errorf("%s:%d: %w", file, lineNo, err)
		}
		k, err := adaptSizeKey(id, size)
		if err != nil {
			return false, fmt.Errorf("%s:%d: %w", file, lineNo, err)
		}
		t.Keys = append(t.Keys, k)
		t.ObjSizes = append(t.ObjSizes, uint32(size))
		return limit <= 0 || len(t.Keys) < limit, nil
	})
	return t, err
}

// loadMixed builds corda + loop + corda. With a limit (quick mode) each part
// is cut in proportion (1/4, 1/2, 1/4) so the prefix still has the recency ->
// frequency -> recency switches the workload exists to show; a plain prefix
// would be corda alone. Keys are concatenated as they are: corda keys are
// 64-bit values and loop keys 0..1010, and the test checks they do not meet.
func loadMixed(dir string, limit int) (*Trace, error) {
	cordaLimit, loopLimit := 0, 0
	if limit > 0 {
		cordaLimit, loopLimit = max(limit/4, 1), max(limit-2*max(limit/4, 1), 1)
	}
	corda, err := packedLoader("corda-trace_vaultservice.gz", 8, binary.BigEndian)(dir, cordaLimit)
	if err != nil {
		return nil, err
	}
	loop, err := lirsLoader("lirs-loop.trace.gz")(dir, loopLimit)
	if err != nil {
		return nil, err
	}
	keys := make([]uint64, 0, 2*len(corda.Keys)+len(loop.Keys))
	keys = append(keys, corda.Keys...)
	keys = append(keys, loop.Keys...)
	keys = append(keys, corda.Keys...)
	return &Trace{Keys: keys}, nil
}

// Synthetic workload parameters. Zipf with s < 1 is outside math/rand's Zipf
// (which needs s > 1), so ranks come from the exact CDF by binary search
// (zipfSampler): with 100k ranks the table is 800 KB and sampling is a few
// hundred ns.
const (
	zipfKeys     = 100_000
	zipfRequests = 1_000_000
	zipfS        = 0.99
	zipfSeed     = 0x1a2d3e4f
	scanEvery    = 50_000
	scanLen      = 10_000
)

func synthLoader(scan bool) func(string, int) (*Trace, error) {
	return func(_ string, limit int) (*Trace, error) {
		return &Trace{Keys: zipfTrace(scan, limit)}, nil
	}
}

// zipfTrace generates the seeded Zipf stream; ranks are scrambled through
// splitmix64 so the hottest keys are not 0, 1, 2... (a cache that shards by
// key bits would otherwise see an artificially skewed spread). With scan,
// every scanEvery Zipf requests are followed by scanLen keys never seen
// before or after: the one-hit wonders that admission policies should keep
// out.
func zipfTrace(scan bool, limit int) []uint64 {
	z := newZipfSampler(zipfKeys, zipfS)
	rng := splitmix{state: zipfSeed}
	n := zipfRequests
	if scan {
		n += zipfRequests / scanEvery * scanLen
	}
	keys := make([]uint64, 0, streamLen(n, limit))
	scanKey := uint64(1) << 63 // scan keys live apart from scrambled ranks' preimages
	for zi := 0; len(keys) < cap(keys); {
		keys = append(keys, mix64(z.rank(&rng)))
		zi++
		if scan && zi%scanEvery == 0 {
			for j := 0; j < scanLen && len(keys) < cap(keys); j++ {
				keys = append(keys, mix64(scanKey))
				scanKey++
			}
		}
	}
	return keys
}

// splitmix is splitmix64: tiny, seedable and stable across Go releases,
// unlike math/rand's generators whose streams are not promised.
type splitmix struct{ state uint64 }

func (s *splitmix) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	return mix64(s.state)
}

// mix64 is the splitmix64 finaliser, a bijection on uint64.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
