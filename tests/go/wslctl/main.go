// wslctl: a fixture whose binary names a source file with terminal control bytes (ESC, BEL)
// through a //line directive, for the escaping of file names read from binaries.
package main

import (
	"fmt"
	"os"
)

//go:noinline
func plain() int {
	return 1 // CTL-PLAIN
}

//line /tmp/ctl]0;PWNEDdir/evil.go:100
//go:noinline
func evil() int {
	return 7
}

func main() {
	fmt.Fprintln(os.Stderr, "wslctl:", plain()+evil())
}
