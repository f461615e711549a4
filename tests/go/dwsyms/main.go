// dwsyms: every spelling the symbol engine must resolve. Methods on value and pointer
// receivers, a generic function and a generic type instantiated twice, closures, an inlined
// helper, globals and constants. Lines marked LINE-* are looked up by the tests.
package main

import (
	"fmt"
	"os"
	"runtime"
)

type T struct{ n int }

//go:noinline
func (t T) Value() int { return t.n + 1 }

//go:noinline
func (t *T) Ptr() int { return t.n + 2 }

//go:noinline
func Map[E any](xs []E, f func(E) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

type List[E any] struct{ items []E }

//go:noinline
func (l *List[E]) Push(e E) { l.items = append(l.items, e) }

// Valuer is implemented by *T through the value method T.Value.
type Valuer interface{ Value() int }

// callValue calls through the interface, so the pointer wrapper main.(*T).Value exists.
//
//go:noinline
func callValue(v Valuer) int { return v.Value() }

func add(a, b int) int { return a + b } // inlined in opt builds

// Counter is a global the tests look up with variable().
var Counter int64 = 42

const Answer = 42

func main() {
	t := T{n: 1}
	var pt = &t
	fmt.Fprintln(os.Stderr, t.Value(), pt.Ptr(), callValue(pt))
	ints := Map([]int{1, 2}, func(i int) string { return fmt.Sprint(i) })
	strs := Map([]string{"a"}, func(s string) string { return s + "!" })
	var li List[int]
	var ls List[string]
	li.Push(1)
	ls.Push("x")
	f := func() int { return add(len(ints), len(strs)) }
	Counter += int64(f())

	// a comment line: no code here
	fmt.Fprintln(os.Stderr, "dwsyms:", Counter, Answer, len(li.items), len(ls.items)) // LINE-PRINT
	runtime.Breakpoint()
}
