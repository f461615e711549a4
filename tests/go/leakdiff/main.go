// leakdiff: leaks 10 goroutines every 100 ms, each blocked forever on a channel receive,
// and prints each batch's goroutine ids ("batch N id id ...") once they are all parked,
// then calls tick, where a test's breakpoint (on the global batches) stops it to take a
// core or a snapshot. A few other goroutines stay blocked the whole time.
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	never   = make(chan int)
	mu      sync.Mutex
	batches int // read by the tests' breakpoint condition
)

// goid is the calling goroutine's id, from its own runtime.Stack header.
func goid() int64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	id, err := strconv.ParseInt(string(buf[:bytes.IndexByte(buf, ' ')]), 10, 64)
	if err != nil {
		panic(err)
	}
	return id
}

//go:noinline
func leak(ids chan<- int64) {
	ids <- goid()
	<-never
}

//go:noinline
func locked() { mu.Lock() }

//go:noinline
func tick() {}

func main() {
	// No collection, so no GC worker goroutine appears between two moments: the only new
	// goroutines are the leaked ones.
	debug.SetGCPercent(-1)
	mu.Lock()
	for i := 0; i < 3; i++ {
		go locked()
	}
	buf := make([]byte, 1<<20)
	for {
		ids := make(chan int64)
		for i := 0; i < 10; i++ {
			go leak(ids)
		}
		got := make([]string, 0, 10)
		for i := 0; i < 10; i++ {
			got = append(got, strconv.FormatInt(<-ids, 10))
		}
		// Every leaked goroutine parked before the tick: none is caught between sending
		// its id and blocking, so each moment has them all in one state.
		for strings.Count(string(buf[:runtime.Stack(buf, true)]), "[chan receive") != (batches+1)*10 {
			time.Sleep(time.Millisecond)
		}
		batches++
		fmt.Fprintf(os.Stdout, "batch %d %s\n", batches, strings.Join(got, " "))
		tick()
		time.Sleep(100 * time.Millisecond)
	}
}
