// named: values whose printing needs the program's names: func values (a function, a method
// value, a closure), a named integer type with constants, time.Time in the Local location
// with a monotonic reading, and chans with goroutines waiting to send and to receive. Before
// runtime.Breakpoint() main writes an oracle to $WSLGO_NAMED_ORACLE: "NAME\tTEXT" lines with
// what Go itself says (function names from runtime.FuncForPC, file:line, constants' values,
// time's String(), len/cap and how many goroutines it started blocked on each chan).
package main

import (
	"fmt"
	"os"
	"reflect"
	"runtime"
	"time"
)

type Color int

const (
	Red Color = iota
	Green
	Blue
)

type T struct{ n int }

func (t *T) M() int { return t.n }

//go:noinline
func square(x int) int { return x * x }

var (
	fnSquare func(int) int
	fnMethod func() int
	fnClosure func(int) int
	fnNil    func()
	color    = Blue
	colorOdd = Color(7)
	tmLocal  time.Time
	chSend   = make(chan int)
	chRecv   = make(chan string, 2)
	chMixed  = make(chan int, 3)
	chClose  = make(chan bool, 1)
)

func where(f any) string {
	pc := reflect.ValueOf(f).Pointer()
	fn := runtime.FuncForPC(pc)
	file, line := fn.FileLine(fn.Entry())
	return fmt.Sprintf("%s\t%s:%d", fn.Name(), file, line)
}

func main() {
	t := &T{n: 5}
	k := 3
	fnSquare = square
	fnMethod = t.M
	fnClosure = func(x int) int { return x + k }
	for i := 0; i < 2; i++ {
		go func() { chSend <- 1 }()
	}
	for i := 0; i < 3; i++ {
		go func() { <-chRecv }()
	}
	chMixed <- 4
	chMixed <- 5
	chClose <- true
	close(chClose)
	time.Sleep(200 * time.Millisecond) // the goroutines block on their chans
	tmLocal = time.Now()
	if path := os.Getenv("WSLGO_NAMED_ORACLE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(f, "fnSquare\t%s\n", where(fnSquare))
		fmt.Fprintf(f, "fnMethod\t%s\n", where(fnMethod))
		fmt.Fprintf(f, "fnClosure\t%s\n", where(fnClosure))
		fmt.Fprintf(f, "color\tmain.Blue\t%d\n", color)
		fmt.Fprintf(f, "colorOdd\t%d\n", colorOdd)
		fmt.Fprintf(f, "tmLocal\t%s\n", tmLocal.String())
		fmt.Fprintf(f, "chSend\t%d\t%d\t2\t0\n", len(chSend), cap(chSend))
		fmt.Fprintf(f, "chRecv\t%d\t%d\t0\t3\n", len(chRecv), cap(chRecv))
		fmt.Fprintf(f, "chMixed\t%d\t%d\t0\t0\n", len(chMixed), cap(chMixed))
		f.Close()
	}
	runtime.Breakpoint()
	fmt.Println("named: done", fnSquare(2), fnMethod(), fnClosure(1), fnNil == nil, color, colorOdd, tmLocal.IsZero())
}
