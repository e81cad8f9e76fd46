//go:build unix && !linux && !larder_heaparena

package arena

// adviseHugePages is a no-op where MADV_HUGEPAGE does not exist.
func adviseHugePages([]byte) {}
