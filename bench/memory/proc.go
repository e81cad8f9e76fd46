package memory

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// procStatus reads the named fields (in kB) of /proc/self/status and
// returns them in bytes. RSS from the kernel counts every resident page of
// the process, including mmap'd memory the Go runtime does not know about,
// which is how off-heap caches are measured fairly against heap ones.
func procStatus(fields ...string) (map[string]int64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(fields))
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Bytes()
		for _, f := range fields {
			if !bytes.HasPrefix(line, []byte(f+":")) {
				continue
			}
			parts := bytes.Fields(line[len(f)+1:])
			if len(parts) == 0 {
				return nil, fmt.Errorf("memory: malformed %q", line)
			}
			kb, err := strconv.ParseInt(string(parts[0]), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("memory: %q: %w", line, err)
			}
			out[f] = kb << 10
		}
	}
	for _, f := range fields {
		if _, ok := out[f]; !ok {
			return nil, fmt.Errorf("memory: /proc/self/status has no %s", f)
		}
	}
	return out, sc.Err()
}

// RSS returns the process's resident set size and its high-water mark, in
// bytes.
func RSS() (rss, hwm int64, err error) {
	m, err := procStatus("VmRSS", "VmHWM")
	if err != nil {
		return 0, 0, err
	}
	return m["VmRSS"], m["VmHWM"], nil
}
