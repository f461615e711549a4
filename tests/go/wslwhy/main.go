// wslwhy: a fixture for `wslgo why` and `wslgo-break`: a helper the compiler inlines in
// optimized builds, a function nothing calls (the linker drops it), a line without code,
// and a stop at runtime.Breakpoint().
package main

import (
	"fmt"
	"os"
	"runtime"
)

// add is small enough to be inlined in optimized builds.
func add(a, b int) int {
	return a + b // WHY-INLINED
}

// unused is never called: the linker drops it.
func unused() int {
	return 42 // WHY-DEAD
}

type counter struct{ n int }

//go:noinline
func (c *counter) bump(by int) {
	c.n += by // WHY-METHOD
}

//go:noinline
func work(n int) int {
	total := 0
	limit := n // WHY-OPTAWAY
	for i := 0; i < limit; i++ {
		total = add(total, i) // WHY-CALL
	}
	// WHY-COMMENT: no code on this line
	return total // WHY-RETURN
}

func main() {
	c := &counter{}
	c.bump(work(len(os.Args) + 3))
	fmt.Fprintln(os.Stderr, "wslwhy:", c.n) // WHY-PRINT
	runtime.Breakpoint()
	fmt.Fprintln(os.Stderr, "wslwhy: resumed")
}
