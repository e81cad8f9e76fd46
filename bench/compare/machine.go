package compare

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Machine describes where the results were measured; it is printed with
// every table and stored in results.json, since numbers from different
// machines (or a loaded one) are not comparable.
type Machine struct {
	Date       string            `json:"date"`
	GoVersion  string            `json:"go_version"`
	GOOS       string            `json:"goos"`
	GOARCH     string            `json:"goarch"`
	GOMAXPROCS int               `json:"gomaxprocs"`
	NumCPU     int               `json:"num_cpu"`
	CPUModel   string            `json:"cpu_model"`
	Kernel     string            `json:"kernel"`
	MemTotal   string            `json:"mem_total"`
	LoadAvg    string            `json:"load_avg"` // at start: other work on the machine skews every number
	GOGC       string            `json:"gogc"`
	Modules    map[string]string `json:"modules"` // versions of larder's peers as built
}

// ReadMachine collects the machine description.
func ReadMachine() Machine {
	m := Machine{
		Date:       time.Now().UTC().Format(time.RFC3339),
		GoVersion:  runtime.Version(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		NumCPU:     runtime.NumCPU(),
		CPUModel:   procField("/proc/cpuinfo", "model name"),
		Kernel:     strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		MemTotal:   procField("/proc/meminfo", "MemTotal"),
		GOGC:       os.Getenv("GOGC"),
		Modules:    map[string]string{},
	}
	if f := strings.Fields(readFile("/proc/loadavg")); len(f) >= 3 {
		m.LoadAvg = strings.Join(f[:3], " ")
	}
	if m.CPUModel == "" {
		m.CPUModel = "unknown"
	}
	if m.GOGC == "" {
		m.GOGC = "100 (default)"
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			v := d.Version
			if d.Replace != nil {
				v = "=> " + d.Replace.Path + " " + d.Replace.Version
			}
			m.Modules[d.Path] = strings.TrimSpace(v)
		}
	}
	return m
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
