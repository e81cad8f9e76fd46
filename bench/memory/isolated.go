package memory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
)

// EnvChild is the environment variable through which a parent hands a
// probe's Config (as JSON) to a child process. A binary that wants to be
// re-executable as a probe calls MaybeChild first thing in main (or
// TestMain).
const EnvChild = "LARDER_MEMPROBE_CONFIG"

// MaybeChild runs the probe described by EnvChild, prints its Result as JSON
// on stdout and exits, when EnvChild is set; otherwise it returns.
func MaybeChild() {
	raw := os.Getenv(EnvChild)
	if raw == "" {
		return
	}
	var cfg Config
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "memprobe child:", err)
		os.Exit(2)
	}
	os.Exit(RunChild(cfg))
}

// RunChild probes cfg in this process and writes the Result as JSON to
// stdout; it returns the process exit code.
func RunChild(cfg Config) int {
	res, err := Probe(cfg)
	if err != nil {
		res.Error = err.Error()
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "memprobe child:", err)
		return 2
	}
	return 0
}

// Isolated runs cfg in a fresh process: exe (normally os.Args[0], which
// must call MaybeChild) with args, and EnvChild set. A probe that fails in
// the child comes back as a Result with Error set, not as an error; err is
// for failures to run the child at all.
func Isolated(ctx context.Context, exe string, args []string, cfg Config) (Result, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return Result{}, err
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), EnvChild+"="+string(raw))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Result{Config: cfg}, fmt.Errorf("memprobe %s: %w: %s", cfg.Cache, err, lastLines(stderr.String()))
	}
	// The child's stdout may carry other output (e.g. a test binary's
	// "PASS"); the Result is the last JSON line.
	lines := bytes.Split(bytes.TrimSpace(stdout.Bytes()), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		var res Result
		if json.Unmarshal(lines[i], &res) == nil && res.Config.Cache != "" {
			return res, nil
		}
	}
	return Result{Config: cfg}, fmt.Errorf("memprobe %s: no result in output %q (stderr %q)", cfg.Cache, stdout.String(), lastLines(stderr.String()))
}

func lastLines(s string) string {
	const keep = 2000
	if len(s) > keep {
		return "..." + s[len(s)-keep:]
	}
	return s
}

// IsolatedFit is Isolated, plus: when the child had to grow a byte budget
// (rebuilding the cache in-process, which leaves traces in its peak RSS), it
// is run once more in a fresh process starting from the budget that fit, so
// the reported numbers come from a single clean build.
func IsolatedFit(ctx context.Context, exe string, args []string, cfg Config) (Result, error) {
	res, err := Isolated(ctx, exe, args, cfg)
	if err != nil || res.Error != "" || res.Fill.Attempts <= 1 {
		return res, err
	}
	cfg.Budget = res.Fill.Budget
	return Isolated(ctx, exe, args, cfg)
}
