// Command leaks leaks goroutines in four ways and keeps others blocked on objects that
// something live still reaches, and prints which is which, so a test can compare
// `wslgo leaks` with the program's own account:
//
//	leaked GOID HOW     blocked forever: nothing left can reach what it waits on
//	blocked GOID HOW    blocked, but a global or a live goroutine reaches its object
//	ready               every goroutine above is parked
//
// Then it reads commands on stdin until EOF: `profile PATH` writes the runtime's own
// goroutineleak profile (debug=1 text; Go 1.26+ with the profile) to PATH and prints
// `profiled` (or `no profile`); `profile0 PATH` writes it as profile.proto (debug=0).
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	outMu   sync.Mutex
	started sync.WaitGroup
	// want is the number of goroutines announced; parked counts them by runtime.Stack.
	want int

	// The deadlock held by globals: AB-BA on two global mutexes.
	gA, gB sync.Mutex
	// Cond waiters on a global Cond.
	gCond = sync.NewCond(&sync.Mutex{})
	// The pipeline's gate: a mutex the sleeper holds (reached through the sleeper's stack).
	gSleeperReady = make(chan *sync.Mutex, 1)
)

func say(format string, a ...any) {
	outMu.Lock()
	fmt.Printf(format+"\n", a...)
	outMu.Unlock()
}

// goid reads the goroutine's id from the first line of its runtime.Stack.
func goid() uint64 {
	var b [64]byte
	n := runtime.Stack(b[:], false)
	f := strings.Fields(string(b[:n]))
	id, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		panic(err)
	}
	return id
}

func announce(kind, how string) {
	say("%s %d %s", kind, goid(), how)
	started.Done()
}

//go:noinline
func recvPrivate() {
	ch := make(chan int)
	announce("leaked", "recv-private-chan")
	<-ch
}

//go:noinline
func sendPrivate() {
	ch := make(chan int)
	announce("leaked", "send-private-chan")
	ch <- 1
}

// orphan holds a mutex (locked by the goroutine that then locks it again) in an object of its own: a bare sync.Mutex (8 bytes, no
// pointers) comes from the tiny allocator and shares its 16-byte block with whatever else
// was allocated there, which may be reachable.
type orphan struct {
	mu    sync.Mutex
	owner *int
	_     [1000]byte
}

//go:noinline
func lockOrphan() {
	o := new(orphan)
	o.mu.Lock()
	announce("leaked", "orphan-mutex")
	o.mu.Lock()
}

//go:noinline
func selectPrivate() {
	a, b := make(chan int), make(chan string)
	announce("leaked", "select-private-chans")
	select {
	case <-a:
	case b <- "x":
	}
}

//go:noinline
func nilChan() {
	announce("leaked", "nil-chan")
	var c chan int
	<-c
}

// leak starts the leaking goroutines, each making what it blocks on itself, so that no
// other stack ever held it: the scan of stacks is conservative, and a goroutine started
// later may run on a reused stack whose frames still hold stale words.
//
//go:noinline
func leak(done chan struct{}) {
	started.Add(6)
	go recvPrivate()
	go sendPrivate()
	go lockOrphan()
	go selectPrivate()
	go nilChan()
	go recvPrivate()
	close(done)
}

//go:noinline
func abba(first, second *sync.Mutex, both *sync.WaitGroup) {
	first.Lock()
	both.Done()
	both.Wait()
	announce("blocked", "global-deadlock")
	second.Lock()
}

// sleeper holds the pipeline's mutex and sleeps: it is runnable again some day, so the
// mutex, and through it the whole pipeline, stays reachable.
//
//go:noinline
func sleeper(mu *sync.Mutex) {
	mu.Lock()
	gSleeperReady <- mu
	time.Sleep(24 * time.Hour)
	mu.Unlock()
}

//go:noinline
func stage1(mu *sync.Mutex, out chan int) {
	announce("blocked", "pipeline-mutex")
	mu.Lock()
	out <- 1
}

//go:noinline
func stage2(in chan int, out chan int) {
	announce("blocked", "pipeline-stage")
	out <- <-in
}

//go:noinline
func stage3(in chan int) {
	announce("blocked", "pipeline-stage")
	<-in
}

//go:noinline
func condWaiter() {
	gCond.L.Lock()
	announce("blocked", "cond-global")
	gCond.Wait()
	gCond.L.Unlock()
}

//go:noinline
func reachable(done chan struct{}) {
	var both sync.WaitGroup
	both.Add(2)
	started.Add(2 + 3 + 3)
	go abba(&gA, &gB, &both)
	go abba(&gB, &gA, &both)
	go sleeper(new(sync.Mutex))
	mu := <-gSleeperReady
	c1, c2 := make(chan int), make(chan int)
	go stage1(mu, c1)
	go stage2(c1, c2)
	go stage3(c2)
	for i := 0; i < 3; i++ {
		go condWaiter()
	}
	close(done)
}

// parked reports whether every announced goroutine is parked (no goroutine but main
// running or runnable).
func parked() bool {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	busy := 0
	for _, line := range strings.Split(string(buf[:n]), "\n") {
		if strings.HasPrefix(line, "goroutine ") && (strings.Contains(line, "[runnable") || strings.Contains(line, "[running")) {
			busy++
		}
	}
	return busy <= 1
}

// setup starts every goroutine and waits until they are parked, on a goroutine of its own
// that then exits: the main goroutine's stack, a root, never holds a word of it (stale
// slots of a live frame look like pointers to a conservative scan).
func setup(ready chan struct{}) {
	d1, d2 := make(chan struct{}), make(chan struct{})
	// GC cycles back to back while the goroutines start and block: the write barrier
	// records the channels and sudogs they write, and those entries stay in each P's
	// buffer after the cycles (words a conservative scan must not follow).
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	go leak(d1)
	<-d1
	go reachable(d2)
	<-d2
	started.Wait()
	close(stop)
	for !parked() {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	close(ready)
}

func main() {
	ready := make(chan struct{})
	go setup(ready)
	<-ready
	say("ready")
	serve()
}

// serve answers the commands read on stdin until EOF.
func serve() {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		debug := 1
		path, ok := strings.CutPrefix(in.Text(), "profile ")
		if p0, ok0 := strings.CutPrefix(in.Text(), "profile0 "); ok0 {
			path, ok, debug = p0, true, 0
		}
		if !ok {
			continue
		}
		p := pprof.Lookup("goroutineleak")
		if p == nil {
			say("no profile")
			continue
		}
		f, err := os.Create(path)
		if err == nil {
			err = p.WriteTo(f, debug)
			f.Close()
		}
		if err != nil {
			say("profile error %v", err)
			continue
		}
		say("profiled")
	}
}
