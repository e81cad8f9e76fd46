package hitratio

import (
	"os"
	"path/filepath"
	"testing"
)

// tracesDir returns the traces folder, or skips the test when it (or the
// named files) is absent: the traces are public data kept outside the
// repository, and CI without them must still pass.
func tracesDir(t testing.TB, files ...string) string {
	t.Helper()
	dir := ResolveTracesDir("")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Skipf("traces folder %s absent (set $%s)", dir, TracesEnv)
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Skipf("trace %s absent from %s", f, dir)
		}
	}
	return dir
}
