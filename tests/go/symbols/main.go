// symbols: a fixture for the symbol engine (pclntab and DWARF readers). It has methods on
// value and pointer receivers, a generic function instantiated twice, closures, and a small
// helper the compiler inlines in optimized builds. Tests compare wslgo's answers against
// `go tool addr2line` and `go tool nm`. With WSLGO_FRAMES=1 in its environment it also
// prints the runtime's own view of some stacks (runtime.Callers + runtime.CallersFrames),
// the oracle for inline-tree expansion:
//
//	main 0xENTRY           address of main.main as loaded (gives the PIE load bias)
//	trace                  starts one stack
//	pc 0xPC                one entry of runtime.Callers (a "return pc", call pc + 1)
//	frame NAME FILE:LINE   one frame of runtime.CallersFrames over those pcs
package main

import (
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
)

var (
	tracing = os.Getenv("WSLGO_FRAMES") != ""
	traces  [][]uintptr
)

// record keeps the current stack (up to 8 stacks).
//
//go:noinline
func record() {
	if tracing && len(traces) < 8 {
		pcs := make([]uintptr, 64)
		traces = append(traces, pcs[:runtime.Callers(0, pcs)])
	}
}

func dumpTraces() {
	fmt.Printf("main %#x\n", reflect.ValueOf(main).Pointer())
	for _, pcs := range traces {
		fmt.Println("trace")
		for _, pc := range pcs {
			fmt.Printf("pc %#x\n", pc)
		}
		frames := runtime.CallersFrames(pcs)
		for {
			fr, more := frames.Next()
			fmt.Printf("frame %s %s:%d\n", fr.Function, fr.File, fr.Line)
			if !more {
				break
			}
		}
	}
}

type Point struct{ X, Y int }

// Sum has a value receiver.
func (p Point) Sum() int { return p.X + p.Y }

// Scale has a pointer receiver.
func (p *Point) Scale(k int) {
	p.X *= k
	p.Y *= k
}

type Number interface{ ~int | ~float64 }

// Max is generic; it is instantiated for int and float64 below.
func Max[T Number](xs ...T) T {
	var m T
	for i, x := range xs {
		if i == 0 || x > m {
			m = x
		}
	}
	return m
}

// add is small enough to be inlined into its callers when optimizing.
func add(a, b int) int {
	record()
	return a + b
}

// twice calls the inlined helper so that the inline tree has entries.
func twice(n int) int {
	return add(n, n) + add(1, n)
}

// makeCounter returns a closure.
func makeCounter() func() int {
	c := 0
	return func() int {
		c = add(c, 1)
		return c
	}
}

//go:noinline
func deep(n int) int {
	if n <= 0 {
		return twice(n)
	}
	return deep(n-1) + 1
}

func main() {
	p := Point{X: 1, Y: 2}
	p.Scale(3)
	next := makeCounter()
	next()
	total := p.Sum() + Max(1, 5, 3) + int(Max(1.5, 0.5)) + next() + deep(3)
	func() {
		defer func() { _ = recover() }()
		if total < 0 {
			panic("negative")
		}
	}()
	fmt.Fprintln(os.Stdout, strings.Repeat("=", 3), total)
	if tracing {
		dumpTraces()
	}
}
