// ssflow: a debugging session's flow. The first argument picks a scenario:
// bp3 (three runtime.Breakpoint() calls), loop (main.hit called 50 times), handlers (8
// goroutines run main.handle at once), nilmap / index / errpanic / hostile (a panic in
// main.process, called by main.worker in a goroutine), recovered (a recovered panic,
// then a normal exit), many (400 parked goroutines, then the nil-map panic), indirect
// (calls through interfaces and a func value), deadlock
// and mapwrites (goroutines writing one map until the runtime's "concurrent map
// writes"). Goroutines print their ids (runtime.Stack's header).
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

func goid() int {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	n, _ := strconv.Atoi(string(buf[:bytes.IndexByte(buf, ' ')]))
	return n
}

//go:noinline
func work(i int) int {
	square := i * i
	label := "work-" + strconv.Itoa(i)
	runtime.Breakpoint() // BP-HERE
	return square + len(label)
}

var total int

//go:noinline
func hit(i int) {
	total += i // HIT-HERE
}

//go:noinline
func handle(id int, wg *sync.WaitGroup, start chan struct{}) {
	defer wg.Done()
	fmt.Fprintf(os.Stderr, "ssflow: handler%d goid=%d\n", id, goid())
	<-start
	sum := id // HANDLE-HERE
	sum += 1
	sum += 2
	sum += 3
	sum += 4
	sum += 5
	sum += 6
	sum += 7
	sum += 8
	sum += 9
	sum += 10 // HANDLE-LATER
	sum += 11
	total += bump(sum) // BUMP-CALL
}

// bump is called by handle before it returns (and before its deferred wg.Done lets main
// exit): a frame to finish out of while the program is sure to be alive.
//
//go:noinline
func bump(s int) int {
	return s * 2 // BUMP-HERE
}

// shape is called through an interface: a pointer method directly, a value method
// through the method wrapper the compiler generates.
type shape interface{ area() int }

type circle struct{ r int }

type square struct{ side int }

//go:noinline
func (c *circle) area() int {
	return 3 * c.r * c.r // AREA-PTR-HERE
}

//go:noinline
func (s square) area() int {
	return s.side * s.side // AREA-VALUE-HERE
}

// calls makes indirect calls only: two interface methods and a func value.
//
//go:noinline
func calls(c, s shape, f func(int) int) int {
	n := c.area() // CALL-PTR
	n += s.area() // CALL-VALUE
	return f(n)   // CALL-FUNC
}

var counts map[string]int

//go:noinline
func process(kind string, items []int) int {
	switch kind {
	case "nilmap":
		counts["x"]++ // NILMAP-HERE
	case "index":
		i := 5
		return items[i] // INDEX-HERE
	case "errpanic":
		panic(fmt.Errorf("open %s: disk full", "db.json")) // ERRPANIC-HERE
	case "hostile":
		// a panic value that would retitle the terminal, clear it and forge a line
		panic("bad \x1b]0;pwned\x07row\x1b[2J\nfatal error: forged") // HOSTILE-HERE
	}
	return 0
}

//go:noinline
func worker(kind string, done chan int) {
	fmt.Fprintf(os.Stderr, "ssflow: worker goid=%d\n", goid())
	done <- process(kind, []int{1, 2, 3})
}

// writer writes m without a lock, with other writers, until the runtime dies.
//
//go:noinline
func writer(m map[int]int, id int) {
	for i := 0; ; i++ {
		m[i%64] = id // MAPWRITE-HERE
	}
}

func recovered() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	panic("first try failed")
}

func main() {
	kind := "bp3"
	if len(os.Args) > 1 {
		kind = os.Args[1]
	}
	fmt.Fprintf(os.Stderr, "ssflow: main goid=%d\n", goid())
	switch kind {
	case "bp3":
		for i := 1; i <= 3; i++ {
			total += work(i)
		}
	case "loop":
		for i := 0; i < 50; i++ {
			hit(i)
		}
	case "handlers":
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 1; i <= 8; i++ {
			wg.Add(1)
			go handle(i, &wg, start)
		}
		time.Sleep(20 * time.Millisecond)
		close(start)
		wg.Wait()
	case "recovered":
		fmt.Fprintln(os.Stderr, "ssflow:", recovered())
	case "many":
		block := make(chan int)
		for i := 0; i < 400; i++ {
			go func() { <-block }()
		}
		time.Sleep(20 * time.Millisecond)
		process("nilmap", nil)
	case "mapwrites":
		shared := map[int]int{}
		for i := 0; i < 4; i++ {
			go writer(shared, i)
		}
		writer(shared, 4)
	case "indirect":
		inc := func(x int) int {
			return x + 1 // FUNC-HERE
		}
		total += calls(&circle{2}, square{3}, inc)
	case "deadlock":
		ch := make(chan int)
		<-ch // DEADLOCK-HERE
	default:
		done := make(chan int)
		go worker(kind, done)
		total += <-done
	}
	fmt.Fprintln(os.Stderr, "ssflow: done", total)
}
