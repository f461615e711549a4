// hkbreak: goroutines park in main.hold with a known local, one spins in main.spin (forever: main's exit ends it), then
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
	"time"
)

// ids holds the goroutine ids for debuggers: [1], [2] the holders, [3] the spinner, [0] main.
var ids [4]int

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
	ids[id] = goid()
	fmt.Fprintf(os.Stderr, "hkbreak: hold id=%d goid=%d\n", id, ids[id])
	wg.Done()
	<-ch // parks: chan receive
	fmt.Fprintln(os.Stderr, "hkbreak: hold done", id, secret)
}

//go:noinline
func spin(wg *sync.WaitGroup) {
	spins := 7
	ids[3] = goid()
	fmt.Fprintf(os.Stderr, "hkbreak: spin goid=%d\n", ids[3])
	wg.Done()
	for {
		spins++ // no calls: when gdb stops, the innermost frame is main.spin
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
	ids[0] = goid()
	fmt.Fprintf(os.Stderr, "hkbreak: main goid=%d\n", ids[0])
	for i := 0; i < 2; i++ {
		fmt.Fprintln(os.Stderr, "hkbreak: breakpoint", i)
		runtime.Breakpoint() // BREAK-HERE
	}
	close(ch)
	time.Sleep(20 * time.Millisecond)
	fmt.Fprintln(os.Stderr, "hkbreak: done")
}
