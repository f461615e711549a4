// hkcrash: goroutines park in main.hold with a known local, then a goroutine dereferences
// nil. With argument "settb" main first calls debug.SetTraceback("single"), which must not
// lower the traceback level wslgo set.
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"
)

type node struct{ val int }

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
	fmt.Fprintf(os.Stderr, "hkcrash: hold id=%d goid=%d\n", id, goid())
	wg.Done()
	<-ch // parks: chan receive
	fmt.Fprintln(os.Stderr, "hkcrash: hold done", id, secret)
}

//go:noinline
func deref(n *node) int {
	return n.val + 1 // CRASH-HERE: n is nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "settb" {
		debug.SetTraceback("single")
		fmt.Fprintln(os.Stderr, "hkcrash: SetTraceback(single)")
	}
	var wg sync.WaitGroup
	ch := make(chan int)
	for i := 1; i <= 2; i++ {
		wg.Add(1)
		go hold(i, ch, &wg)
	}
	wg.Wait()
	time.Sleep(20 * time.Millisecond)
	done := make(chan int)
	go func() {
		fmt.Fprintf(os.Stderr, "hkcrash: crasher goid=%d\n", goid())
		done <- deref(nil)
	}()
	fmt.Fprintln(os.Stderr, "hkcrash: result", <-done)
	close(ch)
}
