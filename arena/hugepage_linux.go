//go:build linux && !larder_heaparena

package arena

import "golang.org/x/sys/unix"

// adviseHugePages asks for transparent huge pages on mem (see Map).
func adviseHugePages(mem []byte) { _ = unix.Madvise(mem, unix.MADV_HUGEPAGE) }
