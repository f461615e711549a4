// grwait: goroutines parked long enough for the runtime to record since when they wait,
// and one goroutine whose stack is standard library only.
//
// The runtime sets g.waitsince when a garbage collection scans a goroutine that is blocked
// and has none yet (mgcmark.go: `gp.waitsince = work.tstart`), not when it parks. And
// work.tstart is only set at mark termination (gcMark), after that cycle's stacks were
// scanned: the first collection records 0, the second one the first one's time. So the
// waiters park first, then main runs two collections. os/signal's loop goroutine (started
// by signal.Notify) has no frame of the main module. Then runtime.Breakpoint().
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

//go:noinline
func waiter(wg *sync.WaitGroup, ch chan int) int {
	wg.Done()
	return <-ch
}

func main() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGUSR1)
	ch := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go waiter(&wg, ch)
	}
	wg.Wait()
	// Let every waiter reach its channel receive, then collect twice: the second
	// collection records the first one's time as each blocked goroutine's wait start.
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	runtime.GC()
	fmt.Fprintln(os.Stderr, "grwait: stopping at runtime.Breakpoint")
	runtime.Breakpoint()
	close(ch)
}
