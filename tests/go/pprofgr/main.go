// pprofgr: goroutines with pprof labels blocked in various places; on SIGUSR1 it writes
// its own goroutine profile (debug=0) to the file named by its argument, so a test can
// compare it with wslgo's profile of a core taken just before.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"
)

var (
	never  = make(chan int)
	mu     sync.Mutex
	wg     sync.WaitGroup
	cond   = sync.NewCond(&sync.Mutex{})
	parked sync.WaitGroup
)

// recv is small enough to be inlined into its callers: an inlined call in the profile.
func recv(c chan int) int { return <-c }

//go:noinline
func chanWaiter() { recv(never) }

//go:noinline
func mutexWaiter() { mu.Lock() }

//go:noinline
func selectWaiter() {
	select {
	case <-never:
	case <-make(chan bool):
	}
}

//go:noinline
func sleeper() { time.Sleep(time.Hour) }

//go:noinline
func wgWaiter() { wg.Wait() }

//go:noinline
func condWaiter() {
	cond.L.Lock()
	cond.Wait()
}

func start(f func(), labels ...string) {
	parked.Add(1)
	go func() {
		parked.Done()
		if len(labels) == 0 {
			f()
			return
		}
		pprof.Do(context.Background(), pprof.Labels(labels...), func(context.Context) { f() })
	}()
}

func main() {
	mu.Lock()
	wg.Add(1)
	for i := 0; i < 5; i++ {
		start(chanWaiter, "role", "worker", "shard", "a")
	}
	for i := 0; i < 3; i++ {
		start(chanWaiter, "role", "worker", "shard", "b")
	}
	start(chanWaiter)
	start(chanWaiter)
	start(mutexWaiter, "role", "locker")
	start(selectWaiter, "role", "selector")
	start(sleeper)
	start(wgWaiter, "role", "group")
	start(condWaiter, "role", "cond")
	go func() {
		pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("set", "directly")))
		parked.Add(0)
		recv(never)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	parked.Wait()
	// Every goroutine parked: nothing runnable but this one.
	settle()
	fmt.Println("ready", os.Getpid())
	<-sig
	// os/signal's loop goroutine handed the signal over and may still be in
	// os/signal.process: wait until it waits for the next one, as in the core.
	settle()
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("goroutine").WriteTo(f, 0); err != nil {
		panic(err)
	}
	f.Close()
	fmt.Println("written")
}

// settle returns once no goroutine is runnable and os/signal's loop goroutine (if any) is
// blocked in the runtime waiting for a signal (signal_recv).
func settle() {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		dump := string(buf[:n])
		settled := strings.Count(dump, "[runnable]") == 0
		for _, g := range strings.Split(dump, "\n\n") {
			// At rest it sleeps in signal_recv as a blocking syscall (runtime frames are
			// not in the dump).
			header, _, _ := strings.Cut(g, "\n")
			if strings.Contains(g, "os/signal.loop") && !strings.Contains(header, "[syscall") {
				settled = false
			}
		}
		if settled {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
