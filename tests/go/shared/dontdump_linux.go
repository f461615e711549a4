// A file of the fixtures that tests take gcore cores of (a symlink in each such fixture,
// tests/go/shared/dontdump_linux.go; the fixtures use the standard library only).
//
// gdb 13's gcore writes every mapping of the process, also the address space the Go
// runtime reserves and never touches (PROT_NONE: the page allocator's summaries, the rest
// of the heap arena): about 1.2 GB of zeros per core, read through /proc/PID/mem and
// written to disk. Marked MADV_DONTDUMP, those mappings are left out by gcore, as the
// kernel's own core dumps leave out pages never touched. Where the runtime later grows
// into a reservation it maps that part again (a new mapping, without the mark), so
// everything the program uses is in the core. Tests that take gcore cores of fixtures
// without this file keep the whole 1.2 GB as users get it.

//go:build linux

package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

func init() { fixtureDontDumpReserved() }

// fixtureDontDumpReserved marks each anonymous PROT_NONE mapping MADV_DONTDUMP.
func fixtureDontDumpReserved() {
	const madvDontDump = 16
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(maps), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 || f[1] != "---p" {
			continue // not anonymous, or not a reservation
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			continue
		}
		syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), madvDontDump)
	}
}
