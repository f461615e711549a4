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
//
// It allocates nothing on the Go heap (a static buffer, raw system calls): the fixtures'
// heaps are laid out as without it, so what the leak check's tests see does not move.

//go:build linux

package main

import (
	"syscall"
	"unsafe"
)

var (
	fixtureMapsPath = [...]byte{'/', 'p', 'r', 'o', 'c', '/', 's', 'e', 'l', 'f', '/', 'm', 'a', 'p', 's', 0}
	fixtureMapsBuf  [1 << 18]byte
)

func init() { fixtureDontDumpReserved() }

// fixtureDontDumpReserved marks each anonymous PROT_NONE mapping MADV_DONTDUMP.
func fixtureDontDumpReserved() {
	const madvDontDump = 16
	atFdcwd := ^uintptr(99) // AT_FDCWD, -100
	fd, _, errno := syscall.RawSyscall6(syscall.SYS_OPENAT, atFdcwd,
		uintptr(unsafe.Pointer(&fixtureMapsPath[0])), syscall.O_RDONLY, 0, 0, 0)
	if errno != 0 {
		return
	}
	n := 0
	for n < len(fixtureMapsBuf) {
		r, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd,
			uintptr(unsafe.Pointer(&fixtureMapsBuf[n])), uintptr(len(fixtureMapsBuf)-n))
		if errno != 0 || r == 0 {
			break
		}
		n += int(r)
	}
	syscall.RawSyscall(syscall.SYS_CLOSE, fd, 0, 0)
	// Lines: "START-END PERMS OFFSET DEV INODE [PATH]"; anonymous ones have no path.
	for i := 0; i < n; {
		end := i
		for end < n && fixtureMapsBuf[end] != '\n' {
			end++
		}
		fixtureMarkLine(fixtureMapsBuf[i:end], madvDontDump)
		i = end + 1
	}
}

// fixtureMarkLine marks the mapping of one maps line when it is anonymous and ---p.
func fixtureMarkLine(line []byte, advice uintptr) {
	start, i := fixtureHex(line, 0)
	if i >= len(line) || line[i] != '-' {
		return
	}
	end, i := fixtureHex(line, i+1)
	if i+5 > len(line) || string(line[i+1:i+5]) != "---p" || end <= start {
		return
	}
	// Four more fields (perms, offset, dev, inode) and no fifth: no path.
	fields := 0
	for j := i; j < len(line); {
		for j < len(line) && line[j] == ' ' {
			j++
		}
		if j == len(line) {
			break
		}
		fields++
		for j < len(line) && line[j] != ' ' {
			j++
		}
	}
	if fields != 4 {
		return
	}
	syscall.RawSyscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), advice)
}

// fixtureHex reads a hexadecimal number at line[i:], returning it and where it stopped.
func fixtureHex(line []byte, i int) (uint64, int) {
	var v uint64
	for ; i < len(line); i++ {
		c := line[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return v, i
		}
	}
	return v, i
}
