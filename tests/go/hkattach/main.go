// hkattach: for attaching. Goroutines park in main.hold, main prints "ready" and waits until
// a file named "go" appears in the working directory (the test creates it after gdb
// detached), then a goroutine dereferences nil. The crash traceback shows whether the level
// wslgo stored while attached survived.
package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

type node struct{ val int }

//go:noinline
func hold(id int, ch chan int, wg *sync.WaitGroup) {
	secret := 4000 + id
	wg.Done()
	<-ch // parks: chan receive
	fmt.Fprintln(os.Stderr, "hkattach: hold done", id, secret)
}

//go:noinline
func deref(n *node) int {
	return n.val + 1 // n is nil
}

func main() {
	var wg sync.WaitGroup
	ch := make(chan int)
	for i := 1; i <= 2; i++ {
		wg.Add(1)
		go hold(i, ch, &wg)
	}
	wg.Wait()
	fmt.Println("hkattach: ready")
	for i := 0; i < 600; i++ {
		if _, err := os.Stat("go"); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	done := make(chan int)
	go func() { done <- deref(nil) }()
	fmt.Println("hkattach: result", <-done)
	close(ch)
}
