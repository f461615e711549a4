// Command report is the HTML report's fixture: goroutines in an AB-BA deadlock carrying a
// pprof label whose value is markup, workers blocked on a channel with a harmless label,
// a sleeper; it prints what a test compares the page with:
//
//	cycle GOID GOID     the two deadlocked goroutines
//	label KEY VALUE     the label they carry
//	workers N           goroutines blocked receiving
//	ready               every goroutine above is parked
//
// With the argument `crash` it then panics (a core under GOTRACEBACK=crash); otherwise it
// sleeps until killed.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Hostile is a label value that would be an element if a page took it for markup.
const Hostile = "<img src=x onerror=alert(1)>"

// Workers is the number of goroutines blocked on the never channel.
const Workers = 12

var (
	started sync.WaitGroup
	idsMu   sync.Mutex
	ids     []uint64
)

func goid() uint64 {
	var b [64]byte
	n := runtime.Stack(b[:], false)
	id, err := strconv.ParseUint(strings.Fields(string(b[:n]))[1], 10, 64)
	if err != nil {
		panic(err)
	}
	return id
}

//go:noinline
func abba(first, second *sync.Mutex, got, both chan struct{}) {
	first.Lock()
	got <- struct{}{}
	<-both
	idsMu.Lock()
	ids = append(ids, goid())
	idsMu.Unlock()
	started.Done()
	second.Lock()
	second.Unlock()
	first.Unlock()
}

//go:noinline
func worker(never chan int) {
	started.Done()
	<-never
}

//go:noinline
func sleeper() {
	started.Done()
	time.Sleep(time.Hour)
}

//go:noinline
func crash(n int) {
	panic(fmt.Sprintf("report fixture: <b>%d</b> & crash", n))
}

func main() {
	var a, b sync.Mutex
	got := make(chan struct{})
	both := make(chan struct{})
	started.Add(2 + Workers + 1)
	for _, pair := range [][2]*sync.Mutex{{&a, &b}, {&b, &a}} {
		pair := pair
		go pprof.Do(context.Background(), pprof.Labels("evil", Hostile), func(context.Context) {
			abba(pair[0], pair[1], got, both)
		})
	}
	<-got
	<-got
	close(both)
	never := make(chan int)
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("role", "worker")))
	for i := 0; i < Workers; i++ {
		go worker(never)
	}
	pprof.SetGoroutineLabels(context.Background())
	go sleeper()
	started.Wait()
	// Give the goroutines time to park where they said (Lock after Done, receive, sleep).
	time.Sleep(300 * time.Millisecond)
	fmt.Printf("cycle %d %d\n", ids[0], ids[1])
	fmt.Printf("label evil %s\n", Hostile)
	fmt.Printf("workers %d\n", Workers)
	fmt.Println("ready")
	if len(os.Args) > 1 && os.Args[1] == "crash" {
		crash(len(ids))
	}
	time.Sleep(time.Hour)
}
