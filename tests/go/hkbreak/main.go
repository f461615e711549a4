// hkbreak: goroutines park in main.hold with a known local, one spins in main.spin, then
// main calls runtime.Breakpoint() twice. Each goroutine prints its id (from the runtime's own
// stack header) so tests can name it without guessing.
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var stop atomic.Bool

// goid reads the current goroutine's id from runtime.Stack's header "goroutine N [...]".
func goid() int {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	n, _ := strconv.Atoi(string(buf[:bytes.IndexByte(buf, ' ')]))
	return n
}

//go:noinline
func hold(id int, ch chan int, wg *sync.WaitGroup) {
	secret := 4000 + id
	fmt.Fprintf(os.Stderr, "hkbreak: hold id=%d goid=%d\n", id, goid())
	wg.Done()
	<-ch // parks: chan receive
	fmt.Fprintln(os.Stderr, "hkbreak: hold done", id, secret)
}

//go:noinline
func spin(wg *sync.WaitGroup) {
	spins := 7
	fmt.Fprintf(os.Stderr, "hkbreak: spin goid=%d\n", goid())
	wg.Done()
	for !stop.Load() {
		spins++
	}
}

func main() {
	var wg sync.WaitGroup
	ch := make(chan int)
	for i := 1; i <= 2; i++ {
		wg.Add(1)
		go hold(i, ch, &wg)
	}
	wg.Add(1)
	go spin(&wg)
	wg.Wait()
	time.Sleep(20 * time.Millisecond) // let the holders reach their park point
	fmt.Fprintf(os.Stderr, "hkbreak: main goid=%d\n", goid())
	for i := 0; i < 2; i++ {
		fmt.Fprintln(os.Stderr, "hkbreak: breakpoint", i)
		runtime.Breakpoint() // BREAK-HERE
	}
	stop.Store(true)
	close(ch)
	time.Sleep(20 * time.Millisecond)
	fmt.Fprintln(os.Stderr, "hkbreak: done")
}
