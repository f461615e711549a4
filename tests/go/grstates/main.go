// grstates: goroutines parked in many states, the oracle fixture of the goroutine engine.
//
// Every goroutine below parks in a well-known state. Once they are all parked, main writes
// runtime.Stack(buf, true) to the file named by $WSLGO_STACK_FILE (run with
// GOTRACEBACK=system so runtime frames and system goroutines are shown) and then stops at
// runtime.Breakpoint(). With the argument "crash" it dereferences nil instead, so that
// GOTRACEBACK=crash prints every goroutine to stderr and SIGABRT leaves a core.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"
)

var (
	ready   sync.WaitGroup
	sink    int
	nilPtr  *int
	mu      sync.Mutex
	rw      sync.RWMutex
	condMu  sync.Mutex
	cond    = sync.NewCond(&condMu)
	neverWG sync.WaitGroup
)

func chanRecv(ch chan int) {
	ready.Done()
	<-ch
}

func chanSend(ch chan int) {
	ready.Done()
	ch <- 1
}

func nilChan() {
	var c chan int
	ready.Done()
	<-c
}

func selectTwo(a, b chan int) {
	ready.Done()
	select {
	case <-a:
	case b <- 1:
	}
}

func selectNoCases() {
	ready.Done()
	select {}
}

func mutexWait() {
	ready.Done()
	mu.Lock()
}

func rwWriteWait() {
	ready.Done()
	rw.Lock()
}

func condWait() {
	condMu.Lock()
	ready.Done()
	cond.Wait()
	condMu.Unlock()
}

func wgWait() {
	ready.Done()
	neverWG.Wait()
}

func sleeper() {
	ready.Done()
	time.Sleep(time.Hour)
}

func pipeRead(r *os.File) {
	ready.Done()
	buf := make([]byte, 1)
	_, _ = r.Read(buf)
}

func tcpRead(c net.Conn) {
	ready.Done()
	buf := make([]byte, 1)
	_, _ = c.Read(buf)
}

func serverRead(c net.Conn) {
	buf := make([]byte, 1)
	_, _ = c.Read(buf)
}

func tcpAccept(l net.Listener) {
	c, err := l.Accept()
	if err == nil {
		go serverRead(c)
	}
	ready.Done()
	_, _ = l.Accept() // parks: IO wait on the listener
}

func blockingSyscall(fd int) {
	ready.Done()
	buf := make([]byte, 1)
	_, _ = syscall.Read(fd, buf)
}

func lockedThread(ch chan int) {
	runtime.LockOSThread()
	ready.Done()
	<-ch
}

func labelled(ch chan int) {
	pprof.Do(context.Background(), pprof.Labels("worker", "grstates", "shard", "7"), func(context.Context) {
		ready.Done()
		<-ch
	})
}

func parent(ch chan int) {
	ready.Add(1)
	go child(ch)
	ready.Done()
	<-ch
}

func child(ch chan int) {
	ready.Done()
	<-ch
}

//go:noinline
func spin(n int) int {
	for i := 0; ; i++ {
		n += i
		if i == -1 {
			return n
		}
	}
}

func busy() {
	ready.Done()
	sink = spin(1)
}

// keepOpen holds the write ends of the pipes the readers block on.
var keepOpen []io.Closer

func start(f func()) {
	ready.Add(1)
	go f()
}

func main() {
	runtime.GOMAXPROCS(4)
	block := make(chan int)
	mu.Lock()
	rw.RLock()
	neverWG.Add(1)

	pr, pw, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	// The other ends stay open for good: a deferred Close would run while the crash
	// panics, and the readers would return before the runtime dumps them.
	keepOpen = append(keepOpen, pw)
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	p1, p2 := net.Pipe()
	keepOpen = append(keepOpen, p2)

	start(func() { chanRecv(block) })
	start(func() { chanSend(make(chan int)) })
	start(nilChan)
	start(func() { selectTwo(make(chan int), make(chan int)) })
	start(selectNoCases)
	start(mutexWait)
	start(rwWriteWait)
	start(condWait)
	start(wgWait)
	start(sleeper)
	start(func() { pipeRead(pr) })
	start(func() { tcpRead(client) })
	start(func() { tcpAccept(ln) })
	start(func() { tcpRead(p1) })
	start(func() { blockingSyscall(fds[0]) })
	start(func() { lockedThread(block) })
	start(func() { labelled(block) })
	start(func() { parent(block) })
	start(busy)
	start(busy)
	for i := 0; i < 3; i++ {
		start(func() { chanRecv(block) })
	}
	ready.Wait()
	// Let every goroutine reach its park point (Done comes just before the blocking call).
	time.Sleep(300 * time.Millisecond)

	if path := os.Getenv("WSLGO_STACK_FILE"); path != "" {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		if err := os.WriteFile(path, buf[:n], 0o644); err != nil {
			panic(err)
		}
	}
	if len(os.Args) > 1 && os.Args[1] == "crash" {
		fmt.Fprintln(os.Stderr, "grstates: crashing")
		sink = *nilPtr
	}
	if d, err := time.ParseDuration(os.Getenv("WSLGO_HOLD")); err == nil {
		time.Sleep(d) // keep the process alive for tests that read it without gdb
	}
	fmt.Fprintln(os.Stderr, "grstates: stopping at runtime.Breakpoint")
	runtime.Breakpoint()
	fmt.Fprintln(os.Stderr, "grstates: resumed")
	os.Exit(0)
}
