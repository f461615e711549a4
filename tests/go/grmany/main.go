// grmany: $GRMANY_N goroutines (default 100000) parked on channels in a few distinct
// stacks, then runtime.Breakpoint(): the performance fixture of the goroutine engine.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

//go:noinline
func leaf(ch chan int, wg *sync.WaitGroup) {
	wg.Done()
	<-ch
}

//go:noinline
func middle(ch chan int, wg *sync.WaitGroup, depth int) {
	if depth > 0 {
		middle(ch, wg, depth-1)
		return
	}
	leaf(ch, wg)
}

func main() {
	n := 100000
	if s := os.Getenv("GRMANY_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ch := make(chan int)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go middle(ch, &wg, i%4)
	}
	wg.Wait()
	fmt.Fprintln(os.Stderr, "grmany: stopping at runtime.Breakpoint with", runtime.NumGoroutine(), "goroutines")
	runtime.Breakpoint()
	close(ch)
}
