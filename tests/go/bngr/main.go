// bngr: the goroutine benchmark's fixture (bench/goroutines.py). Starts N goroutines
// (argv[1], default 1000) parked in a few distinct stacks — channel receive at three
// depths, select, sleep, sync.Cond wait — then stops in runtime.Breakpoint().
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

var (
	block = make(chan int)
	other = make(chan string)
	mu    sync.Mutex
	cond  = sync.NewCond(&mu)
)

//go:noinline
func recvLeaf(wg *sync.WaitGroup) int {
	wg.Done()
	return <-block
}

//go:noinline
func recvDeep(wg *sync.WaitGroup, depth int) int {
	if depth > 0 {
		return recvDeep(wg, depth-1) + 1
	}
	return recvLeaf(wg)
}

//go:noinline
func selecting(wg *sync.WaitGroup) {
	wg.Done()
	select {
	case <-block:
	case <-other:
	}
}

//go:noinline
func sleeping(wg *sync.WaitGroup) {
	wg.Done()
	time.Sleep(time.Hour)
}

//go:noinline
func waiting(wg *sync.WaitGroup) {
	mu.Lock()
	wg.Done()
	cond.Wait()
	mu.Unlock()
}

func main() {
	n := 1000
	if len(os.Args) > 1 {
		var err error
		if n, err = strconv.Atoi(os.Args[1]); err != nil {
			fmt.Fprintln(os.Stderr, "bngr: bad N:", err)
			os.Exit(2)
		}
	}
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		switch i % 6 {
		case 0, 1, 2:
			go recvDeep(&wg, i%6)
		case 3:
			go selecting(&wg)
		case 4:
			go sleeping(&wg)
		default:
			go waiting(&wg)
		}
	}
	wg.Wait()
	fmt.Fprintln(os.Stderr, "bngr: runtime.Breakpoint with", runtime.NumGoroutine(), "goroutines")
	runtime.Breakpoint()
	close(block)
}
