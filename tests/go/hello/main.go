// hello: the sample program of the README and the foundation tests. A few goroutines park
// in well-known states, then main stops at runtime.Breakpoint().
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

type worker struct{ id int }

func (w *worker) wait(ch chan int, wg *sync.WaitGroup) {
	wg.Done()
	<-ch // parks: chan receive
}

func sleeper(wg *sync.WaitGroup) {
	wg.Done()
	time.Sleep(time.Hour) // parks: sleep
}

func main() {
	var wg sync.WaitGroup
	ch := make(chan int)
	for i := 0; i < 3; i++ {
		w := &worker{id: i}
		wg.Add(1)
		go w.wait(ch, &wg)
	}
	wg.Add(1)
	go sleeper(&wg)
	wg.Wait()
	time.Sleep(10 * time.Millisecond) // let the goroutines reach their park points
	fmt.Fprintln(os.Stderr, "hello: stopping at runtime.Breakpoint")
	runtime.Breakpoint() // BREAK-HERE
	fmt.Fprintln(os.Stderr, "hello: resumed")
	close(ch)
}
