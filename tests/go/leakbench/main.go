// Command leakbench is the leak check's bench input: N goroutines parked on channels (half
// on private ones, leaked; half on a global one) and MIB MiB of pointer-rich heap (slices of
// pointers, every one scanned by the marking). It prints `ready` and sleeps.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

var (
	shared = make(chan int)
	big    [][]*int
)

func leaked() {
	ch := make(chan int)
	<-ch
}

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	mib, _ := strconv.Atoi(os.Args[2])
	targets := make([]*int, 1024)
	for i := range targets {
		targets[i] = new(int)
	}
	for i := 0; i < mib; i++ {
		s := make([]*int, 1<<17)
		for k := range s {
			s[k] = targets[k%len(targets)]
		}
		big = append(big, s)
	}
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			go leaked()
		} else {
			go func() { <-shared }()
		}
	}
	time.Sleep(2 * time.Second)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
