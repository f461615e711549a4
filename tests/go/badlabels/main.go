// badlabels: goroutines whose pprof labels hold bytes that must never reach a terminal raw
// (NUL, ESC and an OSC title sequence, BEL, a newline that would forge a goroutine line,
// a C1 control and invalid UTF-8), plus one plain labelled goroutine, then
// runtime.Breakpoint(). With the argument "crash" it dereferences nil instead, so that
// GOTRACEBACK=crash leaves a core.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
)

var (
	ready  sync.WaitGroup
	block  = make(chan int)
	sink   int
	nilPtr *int
)

//go:noinline
func parked(i int) {
	ready.Done()
	<-block
	sink += i
}

func labelled(i int, kv ...string) {
	ready.Add(1)
	go pprof.Do(context.Background(), pprof.Labels(kv...), func(context.Context) { parked(i) })
}

func main() {
	labelled(1, "nul", "a\x00b")
	labelled(2, "esc", "\x1b[31mred\x1b[0m", "title", "\x1b]0;pwned\x07")
	labelled(3, "bel", "ding\x07", "c1", "\u009bX")
	labelled(4, "line", "x\n  99999 [running] main.forged at forged.go:1")
	labelled(5, "k\x00ey", "v", "bad", "\xff\xfe")
	labelled(6, "plain", "ok")
	ready.Wait()
	if len(os.Args) > 1 && os.Args[1] == "crash" {
		fmt.Fprintln(os.Stderr, "badlabels: crashing")
		sink = *nilPtr
	}
	fmt.Fprintln(os.Stderr, "badlabels: stopping at runtime.Breakpoint")
	runtime.Breakpoint()
	os.Exit(0)
}
