// valtrust: values that once took gdb down or printed wrong (issue 27): cyclic data through
// interfaces, a deep chain, a diamond graph, a slice holding itself, 64-bit chan and interface
// ints, a []string of corrupt headers that claim 2^40 bytes (the string bomb), a corrupt []any,
// strings with control bytes and bidi overrides, a struct type whose (forged) descriptor names
// its fields with control bytes and a NUL, and containers whose memory is unmapped.
// Before runtime.Breakpoint() (in inspect, whose locals are a, self and n) main prints the
// addresses a test compares with: "ADDR NAME 0x...".
package main

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"
)

type Node struct {
	Prev, Next any
	Val        int
}

type Tree struct {
	Parent any
	Name   string
}

type Diamond struct {
	Left, Right any
	Depth       int
}

type point struct {
	X, Y int
}

var (
	listA, listB, listC *Node
	selfTree            *Tree
	chainHead           *Node
	diamondTop          *Diamond
	cyc                 []any
	chBig               = make(chan int, 2)
	efaceBig            any = 1<<40 + 5
	strEvil                 = "a\x1b[31mred\x07\u202eRTL\u2066x\n"
	strBomb             []string
	anyBomb             []any
	evilIface           any
	chBadBuf            chan point
	badPts              []point
	// keep the forged descriptor's parts alive (the GC does not trace through them)
	keep []any
)

// abiName builds an abi.Name: a flag byte, a uvarint length, the bytes.
func abiName(s string) *byte {
	b := []byte{0, byte(len(s))}
	b = append(b, s...)
	keep = append(keep, b)
	return &b[0]
}

// forgeStruct copies main.point's type descriptor (abi.Type 48 bytes + StructType's PkgPath
// and Fields: 80 bytes, the same layout on Go 1.21 to 1.27) and renames its two fields; Str
// points outside the types section, so readers spell the type from its fields.
func forgeStruct(fields ...string) any {
	var e any = point{}
	typ := (*[2]unsafe.Pointer)(unsafe.Pointer(&e))[0]
	desc := new([10]uintptr)
	copy(desc[:], (*[10]uintptr)(typ)[:])
	*(*int32)(unsafe.Pointer(uintptr(unsafe.Pointer(desc)) + 40)) = 0x7ffffff0 // Str
	*(*uint8)(unsafe.Pointer(uintptr(unsafe.Pointer(desc)) + 20)) = 0          // TFlag
	orig := (*[6]uintptr)(unsafe.Pointer(desc[7]))                          // 2 StructFields
	table := new([6]uintptr)
	copy(table[:], orig[:])
	for i, f := range fields {
		table[3*i] = uintptr(unsafe.Pointer(abiName(f)))
	}
	desc[7] = uintptr(unsafe.Pointer(table))
	keep = append(keep, desc, table)
	data := &point{3, 4}
	keep = append(keep, data)
	var out any
	w := (*[2]unsafe.Pointer)(unsafe.Pointer(&out))
	w[0] = unsafe.Pointer(desc)
	w[1] = unsafe.Pointer(data)
	return out
}

func inspect(a *Node, self *Tree) {
	n := len(strBomb)
	runtime.Breakpoint()
	fmt.Println("valtrust: done", a.Val, self.Name, n, len(strEvil), efaceBig != nil, len(chBig),
		len(anyBomb) > 0, evilIface != nil, len(chBadBuf) >= 0, len(badPts), len(cyc),
		chainHead != nil, diamondTop != nil, len(keep))
}

func main() {
	listA, listB, listC = &Node{Val: 1}, &Node{Val: 2}, &Node{Val: 3}
	listA.Next, listB.Prev, listB.Next, listC.Prev = listB, listA, listC, listB

	selfTree = &Tree{Name: "root"}
	selfTree.Parent = selfTree

	for i := 0; i < 1000; i++ {
		chainHead = &Node{Next: chainHead, Val: i}
	}
	for i := 0; i < 40; i++ {
		d := &Diamond{Depth: i}
		if diamondTop != nil {
			d.Left, d.Right = diamondTop, diamondTop
		}
		diamondTop = d
	}
	cyc = make([]any, 1)
	cyc[0] = cyc

	chBig <- 1<<40 + 5

	// 256 string headers claiming 2^40 bytes of a real 16-byte buffer
	buf := []byte("0123456789abcdef")
	keep = append(keep, buf)
	strBomb = make([]string, 256)
	for i := range strBomb {
		h := (*[2]uintptr)(unsafe.Pointer(&strBomb[i]))
		h[0], h[1] = uintptr(unsafe.Pointer(&buf[0])), 1<<40
	}
	// a []any header claiming 2^40 elements of a real 4-element array
	backing := []any{1, "two", 3.0, nil}
	keep = append(keep, backing)
	ah := (*[3]uintptr)(unsafe.Pointer(&anyBomb))
	ah[0], ah[1], ah[2] = uintptr(unsafe.Pointer(&backing[0])), 1<<40, 1<<40

	evilIface = forgeStruct("X\x1b]0;pwned\x07", "Y\x00Z")

	// a chan of points whose buffer pointer is unmapped, and a slice of points at 0x10
	real := make(chan point, 4)
	real <- point{1, 2}
	real <- point{3, 4}
	fake := new([12]uintptr)
	copy(fake[:], (*[12]uintptr)(*(*unsafe.Pointer)(unsafe.Pointer(&real)))[:])
	fake[2] = 0x10 // hchan.buf
	keep = append(keep, fake, real)
	p := unsafe.Pointer(fake)
	chBadBuf = *(*chan point)(unsafe.Pointer(&p))
	ph := (*[3]uintptr)(unsafe.Pointer(&badPts))
	ph[0], ph[1], ph[2] = 0x10, 3, 3

	for _, v := range []struct {
		name string
		p    unsafe.Pointer
	}{
		{"listA", unsafe.Pointer(listA)}, {"listB", unsafe.Pointer(listB)},
		{"listC", unsafe.Pointer(listC)}, {"selfTree", unsafe.Pointer(selfTree)},
		{"diamondTop", unsafe.Pointer(diamondTop)},
	} {
		fmt.Fprintf(os.Stdout, "ADDR %s %#x\n", v.name, uintptr(v.p))
	}
	inspect(listA, selfTree)
}
