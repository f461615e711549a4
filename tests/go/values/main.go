// values: one package-level variable of each value kind gdb users meet (strings, slices,
// arrays, maps small/big/growing/nested, chans, interfaces, errors, generics, runtime types),
// plus deliberately corrupt headers (bad*). Before runtime.Breakpoint() main writes an oracle
// to the file named by $WSLGO_VALUES_ORACLE (or argv[1]): one line "NAME\t%#v" per value and,
// for maps, "NAME\tlen=N" followed by "NAME\tKEY\tVALUE" per entry, sorted, in %#v.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	"wslgo.test/values/inner"
)

type point struct {
	X, Y int
}

type withIface struct {
	io.Reader
	n int
}

type Pair[K comparable, V any] struct {
	Key K
	Val V
}

var (
	str       = "hello, 世界"
	strEmpty  = ""
	sliceInt  = make([]int, 4, 8)
	sliceNil  []int
	sliceEmp      = []int{}
	sliceStr      = []string{"a", "bb", "ccc"}
	sliceEsc      = []string{"tab\there", "q\"uote", "back\\slash", "nl\n", "é"}
	slicePts      = []point{{1, 2}, {3, 4}}
	arr           = [4]int{10, 20, 30, 40}
	arrStr        = [2]string{"x", "y"}
	ifaces        = []any{1, "two", 3.5, nil, point{5, 6}}
	eface     any = 42
	efaceStr  any = "hi"
	efaceSt   any = point{7, 8}
	efacePtr  any = &point{9, 10}
	efaceNil  any
	efaceDyn  any // a struct type made at run time (reflect.StructOf): no DWARF, no type name
	errBoom   = errors.New("boom")
	errNil    error
	errWrap   error
	errInner  error        = &inner.Err{Code: 7}
	stringer  fmt.Stringer = time.Duration(1500 * time.Millisecond)
	embed                  = withIface{Reader: strings.NewReader("x"), n: 7}
	pairIS                 = Pair[int, string]{1, "one"}
	pairSB                 = Pair[string, bool]{"yes", true}
	mapSmall               = map[string]int{"a": 1, "b": 2, "c": 3}
	mapNil    map[string]int
	mapEmpty  = map[string]int{}
	map100    = map[int]int{}
	mapGrow   = map[int]int{}
	map10k    = map[int]string{}
	mapDel    = map[int]int{}
	mapNested = map[string]map[string]int{"x": {"one": 1}, "y": {"two": 2, "three": 3}}
	mapPts    = map[string]point{"p": {1, 2}, "q": {3, 4}}
	mapBytes  = map[string][]byte{"k": []byte("v1"), "l": []byte("v22")}
	mapBigVal = map[int][40]int{1: {1, 2, 3}, 2: {4}}
	chNil     chan int
	chBuf     = make(chan int, 5)
	chClosed  = make(chan string, 4)
	chUnbuf   = make(chan int)
	mu        sync.Mutex
	rw        sync.RWMutex
	dur       = 1500 * time.Millisecond
	tmUTC     = time.Date(2024, 2, 29, 13, 4, 5, 123000000, time.UTC)
	tmZone    = time.Date(2024, 7, 1, 9, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	tmNow     time.Time
	pSlice    = &sliceStr
	pMap      = &mapSmall
	pStr      = &str
	pPoint    = &point{11, 12}
	bigSlice  []string
	badCount  map[string]int
	badBucket map[string]int
	badSlice  []int
	fake1     = new([16]uintptr)
	fake2     = new([16]uintptr)
)

func oracle(w io.Writer, name string, v any) {
	fmt.Fprintf(w, "%s\t%#v\n", name, v)
}

// oracleMap writes len and the sorted entries of a map (a reflect-free walk per map type).
func oracleMap[K comparable, V any](w io.Writer, name string, m map[K]V) {
	fmt.Fprintf(w, "%s\tlen=%d\n", name, len(m))
	lines := make([]string, 0, len(m))
	for k, v := range m {
		lines = append(lines, fmt.Sprintf("%s\t%#v\t%#v", name, k, v))
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// corrupt copies a real map header into fake and breaks it: a garbage count (and, for hash
// maps, a garbage B; for swiss maps a garbage directory length), or an unreadable bucket /
// directory pointer (the word at offset 16 in both layouts on 64-bit).
func corrupt(src map[string]int, fake *[16]uintptr, badPtr bool) map[string]int {
	hdr := *(*unsafe.Pointer)(unsafe.Pointer(&src))
	copy(fake[:6], (*[6]uintptr)(hdr)[:])
	if badPtr {
		fake[2] = 0x10
	} else {
		fake[0] = 1 << 62
		if strings.HasPrefix(runtime.Version(), "go1.2") && runtime.Version() >= "go1.24" {
			fake[3] = 1 << 40 // swiss: dirLen
		} else {
			fake[1] = fake[1]&^0xff00 | 63<<8 // hash: B = 63
		}
	}
	p := unsafe.Pointer(fake)
	return *(*map[string]int)(unsafe.Pointer(&p))
}

func main() {
	for i := range sliceInt {
		sliceInt[i] = i + 1
	}
	errWrap = fmt.Errorf("wrap: %w", errBoom)
	dyn := reflect.New(reflect.StructOf([]reflect.StructField{
		{Name: "A", Type: reflect.TypeOf(0)},
		{Name: "B", Type: reflect.TypeOf("")},
		{Name: "C", Type: reflect.TypeOf([]int(nil))},
	})).Elem()
	dyn.Field(0).SetInt(5)
	dyn.Field(1).SetString("dyn")
	dyn.Field(2).Set(reflect.ValueOf([]int{1, 2}))
	efaceDyn = dyn.Interface()
	for i := 0; i < 100; i++ {
		map100[i] = i * i
	}
	// 105 inserts from empty: the 105th passes 6.5*2^4 and starts an incremental grow to
	// B=5 (hash maps, Go < 1.24); at most two old buckets are evacuated by then.
	for i := 0; i < 105; i++ {
		mapGrow[i] = -i
	}
	for i := 0; i < 10000; i++ {
		map10k[i] = fmt.Sprintf("v%d", i)
	}
	for i := 0; i < 3000; i++ {
		mapDel[i] = i
	}
	for i := 0; i < 3000; i += 3 {
		delete(mapDel, i) // tombstones in swiss tables, emptied slots in hash buckets
	}
	chBuf <- 1
	chBuf <- 2
	chBuf <- 3
	<-chBuf // queue wraps: recvx is 1
	chBuf <- 4
	chBuf <- 5
	chBuf <- 6
	chClosed <- "first"
	chClosed <- "second"
	close(chClosed)
	mu.Lock()
	rw.RLock()
	rw.RLock()
	bigSlice = make([]string, 100000)
	for i := range bigSlice {
		bigSlice[i] = fmt.Sprintf("s%d", i)
	}
	badCount = corrupt(mapSmall, fake1, false)
	badBucket = corrupt(mapSmall, fake2, true)
	backing := []int{1, 2, 3, 4}
	hdr := struct {
		p    *int
		l, c int
	}{&backing[0], 1 << 40, 1 << 40}
	badSlice = *(*[]int)(unsafe.Pointer(&hdr))

	tmNow = time.Now() // carries a monotonic reading
	path := os.Getenv("WSLGO_VALUES_ORACLE")
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	if path != "" {
		f, err := os.Create(path)
		if err != nil {
			panic(err)
		}
		oracle(f, "str", str)
		oracle(f, "strEmpty", strEmpty)
		oracle(f, "sliceInt", sliceInt)
		oracle(f, "sliceNil", sliceNil)
		oracle(f, "sliceEmp", sliceEmp)
		oracle(f, "sliceStr", sliceStr)
		oracle(f, "sliceEsc", sliceEsc)
		oracle(f, "slicePts", slicePts)
		oracle(f, "arr", arr)
		oracle(f, "arrStr", arrStr)
		oracle(f, "ifaces", ifaces)
		oracle(f, "eface", eface)
		oracle(f, "efaceStr", efaceStr)
		oracle(f, "efaceSt", efaceSt)
		oracle(f, "efacePtr", efacePtr)
		oracle(f, "efaceNil", efaceNil)
		oracle(f, "efaceDyn", efaceDyn)
		oracle(f, "errBoom", errBoom)
		oracle(f, "errNil", errNil)
		oracle(f, "errWrap", errWrap)
		oracle(f, "errInner", errInner)
		oracle(f, "stringer", stringer)
		oracle(f, "embed", embed)
		oracle(f, "pairIS", pairIS)
		oracle(f, "pairSB", pairSB)
		oracle(f, "dur", dur)
		fmt.Fprintf(f, "tmUTC\t%s\n", tmUTC.String())
		fmt.Fprintf(f, "tmZone\t%s\n", tmZone.String())
		fmt.Fprintf(f, "tmNow\t%s\n", tmNow.String()) // with its m=+… monotonic reading
		oracle(f, "chLen", fmt.Sprintf("chBuf %d/%d chClosed %d/%d", len(chBuf), cap(chBuf), len(chClosed), cap(chClosed)))
		oracleMap(f, "mapSmall", mapSmall)
		oracleMap(f, "mapNil", mapNil)
		oracleMap(f, "mapEmpty", mapEmpty)
		oracleMap(f, "map100", map100)
		oracleMap(f, "mapGrow", mapGrow)
		oracleMap(f, "map10k", map10k)
		oracleMap(f, "mapDel", mapDel)
		oracleMap(f, "mapNested", mapNested)
		oracleMap(f, "mapPts", mapPts)
		oracleMap(f, "mapBytes", mapBytes)
		oracleMap(f, "mapBigVal", mapBigVal)
		f.Close()
	}
	runtime.Breakpoint()
	fmt.Println("values: done", len(bigSlice), len(badSlice) > 0, len(map10k), len(chUnbuf), len(*pSlice), len(*pMap), *pStr, pPoint.X, chNil == nil, len(chBuf), len(chClosed), len(sliceEsc))
	mu.Unlock()
	rw.RUnlock()
	rw.RUnlock()
}
