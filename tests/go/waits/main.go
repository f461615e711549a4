// Command waits blocks goroutines on every kind of object `wslgo waits` reports and prints
// what it did, so a test can compare wslgo's answer with the program's own account:
//
//	object NAME KIND ADDR       an object (its address as the program sees it)
//	waiter GOID OP NAME         goroutine GOID blocks on NAME (op send/recv/select/lock/...)
//	holder GOID NAME            goroutine GOID can unblock NAME (it holds it or will signal it)
//	sleeper GOID                goroutine GOID sleeps (waits on no object)
//	cycle GOID GOID             an AB-BA deadlock between these two goroutines
//	ready                       every goroutine above is parked where it says
//
// Then it sleeps until killed.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Senders is the number of goroutines sending on the unbuffered channel.
const Senders = 50

var (
	outMu sync.Mutex
	// expect maps a goroutine id to the wait reasons it may show once parked.
	expect   = map[uint64][]string{}
	expectMu sync.Mutex
	started  sync.WaitGroup
	// keep holds the channels that only sequence the setup, so their memory is never
	// freed and reused for an object above: a dead stack slot still pointing at it would
	// then look like a pointer to that object (the stack scan is conservative).
	keep []any
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

// announce prints the goroutine's role and records the wait reasons it will park with.
func announce(line string, reasons ...string) {
	id := goid()
	say(strings.ReplaceAll(line, "GOID", strconv.FormatUint(id, 10)))
	expectMu.Lock()
	expect[id] = reasons
	expectMu.Unlock()
	started.Done()
}

//go:noinline
func abba(first, second *sync.Mutex, name string, got, both chan struct{}) {
	first.Lock()
	got <- struct{}{}
	<-both
	announce("waiter GOID lock "+name, "sync.Mutex.Lock")
	second.Lock()
	second.Unlock()
	first.Unlock()
}

//go:noinline
func send(ch chan int, i int) {
	announce("waiter GOID send unbuf", "chan send")
	ch <- i
}

//go:noinline
func lockThenRecv(m *sync.Mutex, ch chan int) {
	announce("waiter GOID lock chainmu\nholder GOID unbuf", "sync.Mutex.Lock")
	m.Lock()
	<-ch
	m.Unlock()
}

//go:noinline
func holdAndWait(m *sync.Mutex, wg *sync.WaitGroup, locked chan struct{}) {
	m.Lock()
	locked <- struct{}{}
	announce("waiter GOID wait wg\nholder GOID chainmu", "sync.WaitGroup.Wait", "semacquire")
	wg.Wait()
	m.Unlock()
}

//go:noinline
func worker(wg *sync.WaitGroup, never chan bool) {
	announce("waiter GOID recv never\nholder GOID wg", "chan receive")
	<-never
	wg.Done()
}

//go:noinline
func readHolder(rw *sync.RWMutex, held chan struct{}) {
	rw.RLock()
	held <- struct{}{}
	announce("sleeper GOID\nholder GOID rw", "sleep")
	time.Sleep(time.Hour)
	rw.RUnlock()
}

//go:noinline
func writer(rw *sync.RWMutex) {
	announce("waiter GOID lock rw", "sync.RWMutex.Lock")
	rw.Lock()
	rw.Unlock()
}

//go:noinline
func reader(rw *sync.RWMutex) {
	announce("waiter GOID rlock rw", "sync.RWMutex.RLock")
	rw.RLock()
	rw.RUnlock()
}

//go:noinline
func condWaiter(c *sync.Cond) {
	c.L.Lock()
	announce("waiter GOID wait cond", "sync.Cond.Wait")
	c.Wait()
	c.L.Unlock()
}

//go:noinline
func condSignaler(c *sync.Cond) {
	announce("sleeper GOID\nholder GOID cond", "sleep")
	time.Sleep(time.Hour)
	c.Broadcast()
}

//go:noinline
func selector(a chan int, b chan string) {
	announce("waiter GOID select sela\nwaiter GOID select selb", "select")
	select {
	case <-a:
	case <-b:
	}
}

//go:noinline
func nilRecv() {
	var c chan int
	announce("waiter GOID recv nilchan", "chan receive (nil chan)")
	<-c
}

// setup starts every goroutine and returns nothing, so main's frame keeps no pointer to
// the objects.
//
//go:noinline
func setup() int {
	n := 0
	start := func(k int) { n += k; started.Add(k) }

	// AB-BA.
	a, b := new(sync.Mutex), new(sync.Mutex)
	say("object abba_a mutex %p\nobject abba_b mutex %p", a, b)
	gotA, gotB, both := make(chan struct{}), make(chan struct{}), make(chan struct{})
	keep = append(keep, gotA, gotB, both)
	start(2)
	go abba(a, b, "abba_b", gotA, both)
	go abba(b, a, "abba_a", gotB, both)
	<-gotA
	<-gotB
	close(both)

	// The chain: senders -> receiver -> mutex holder -> WaitGroup -> worker -> channel.
	unbuf := make(chan int)
	chainmu := new(sync.Mutex)
	wg := new(sync.WaitGroup)
	never := make(chan bool)
	say("object unbuf chan %p\nobject chainmu mutex %p\nobject wg waitgroup %p\nobject never chan %p",
		unbuf, chainmu, wg, never)
	wg.Add(1)
	locked := make(chan struct{})
	keep = append(keep, locked)
	start(3 + Senders)
	go holdAndWait(chainmu, wg, locked)
	<-locked
	go worker(wg, never)
	go lockThenRecv(chainmu, unbuf)
	for i := 0; i < Senders; i++ {
		go send(unbuf, i)
	}

	// RWMutex readers behind a writer, behind a reader that sleeps.
	rw := new(sync.RWMutex)
	say("object rw rwmutex %p", rw)
	held := make(chan struct{})
	keep = append(keep, held)
	start(1)
	go readHolder(rw, held)
	<-held
	start(1)
	go writer(rw)
	waitParked()
	start(3)
	for i := 0; i < 3; i++ {
		go reader(rw)
	}

	// Cond waiters and the goroutine that would signal them.
	cond := sync.NewCond(new(sync.Mutex))
	say("object cond cond %p", cond)
	start(4)
	for i := 0; i < 3; i++ {
		go condWaiter(cond)
	}
	go condSignaler(cond)

	// A select over two channels, a nil channel, a sleeper.
	sela, selb := make(chan int), make(chan string, 3)
	say("object sela chan %p\nobject selb chan %p", sela, selb)
	start(2)
	go selector(sela, selb)
	go nilRecv()
	return n
}

// waitParked waits until every goroutine announced so far is parked with a reason it
// expects (runtime.Stack of all goroutines, whose headers say `goroutine N [reason...]`).
func waitParked() {
	started.Wait()
	buf := make([]byte, 1<<22)
	for tries := 0; ; tries++ {
		n := runtime.Stack(buf, true)
		seen := map[uint64]string{}
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			rest, ok := strings.CutPrefix(line, "goroutine ")
			if !ok {
				continue
			}
			id, after, _ := strings.Cut(rest, " ")
			_, reason, _ := strings.Cut(after, "[")
			if v, err := strconv.ParseUint(id, 10, 64); err == nil {
				seen[v] = reason
			}
		}
		expectMu.Lock()
		all := true
		for id, reasons := range expect {
			okReason := false
			for _, r := range reasons {
				if strings.HasPrefix(seen[id], r) {
					okReason = true
				}
			}
			all = all && okReason
		}
		expectMu.Unlock()
		if all {
			return
		}
		if tries > 3000 {
			fmt.Fprintln(os.Stderr, "goroutines never parked")
			os.Exit(2)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func main() {
	say("main %d", goid())
	setup()
	waitParked()
	// A collection records since when each parked goroutine waits (g.waitsince).
	runtime.GC()
	say("cycle for abba_a abba_b")
	say("ready")
	time.Sleep(24 * time.Hour)
}
