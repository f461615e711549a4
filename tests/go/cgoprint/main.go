// cgoprint: a cgo program linked with the C++ library, whose printers gdb auto-loads from
// its auto-load directory (a C library's auto-loaded printer), that stops in
// runtime.Breakpoint().
package main

/*
#cgo LDFLAGS: -Wl,--no-as-needed -lstdc++
static int twice(int x) { return 2 * x; }
*/
import "C"

import (
	"fmt"
	"runtime"
)

func main() {
	fmt.Println("cgoprint:", C.twice(21))
	runtime.Breakpoint()
}
