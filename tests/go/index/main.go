// index: Go index, slice, map, len/cap and interface-field expressions for wslgo's gdb
// rewrite and $index. Before runtime.Breakpoint() main writes an oracle to the file named
// by $WSLGO_INDEX_ORACLE: one line "EXPR\t%#v" per expression the test prints in gdb, with
// the value Go itself computes for it, and "EXPR\t!MESSAGE" for expressions Go would panic
// on (the gdb error must say MESSAGE). Then main calls visit(i) for i in 0..19 (for
// breakpoint conditions). With $WSLGO_INDEX_BIG set it also makes bigMap (1,000,000 int
// keys) and bigSlice (100,000,000 bytes) for bench/values.py.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"unsafe"
)

type point struct {
	X, Y int
}

type myErr struct {
	Code int
	Msg  string
}

func (e *myErr) Error() string { return e.Msg }

var (
	str       = "hello, 世界"
	ints      = []int{10, 20, 30, 40}
	pts       = []point{{1, 2}, {3, 4}, {5, 6}}
	arr       = [5]int{1, 2, 3, 4, 5}
	mapStr    = map[string]int{"one": 1, "two": 2, "three": 3}
	mapInt    = map[int]string{}
	mapInt8   = map[int8]string{-3: "minus three", 5: "five"}
	mapUint   = map[uint32]int{7: 70, 1 << 31: 80}
	mapBool   = map[bool]string{true: "yes", false: "no"}
	mapPtr    = map[*point]string{}
	mapPts    = map[string]point{"p": {1, 2}, "q": {3, 4}}
	mapPtrVal = map[int]*point{1: {10, 11}, 2: {20, 21}}
	mapSq     = map[int]int{}
	mapGrow   = map[int]int{}
	mapFloat  = map[float64]int{1.5: 1}
	mapNil    map[string]int
	pInts     = &ints
	pMap      = &mapStr
	pPt       = &point{11, 12}
	pArr      = &arr
	iface     any   = point{7, 8}
	err       error = &myErr{Code: 7, Msg: "bad"}
	bigMap    map[int]int
	bigSlice  []byte
	sink      int
)

// afterVisit is what visit(5) sets ints[2] to (for watchpoints and conditions).
var afterVisit = 35

//go:noinline
func visit(i int) {
	if i == 5 {
		ints[2] = afterVisit
	}
	sink += i
}

// hashMaps reports whether this runtime's maps are hash maps (Go < 1.24).
func hashMaps() bool {
	minor, _ := strconv.Atoi(strings.Split(strings.TrimPrefix(runtime.Version(), "go1."), ".")[0])
	return minor < 24
}

// growing reports whether a hash map is in the middle of a grow: its hmap's oldbuckets
// (after count, flags, B, noverflow, hash0 and buckets) is set.
func growing(m map[int]int) bool {
	h := *(*unsafe.Pointer)(unsafe.Pointer(&m))
	return *(*unsafe.Pointer)(unsafe.Add(h, 24)) != nil
}

func line(w io.Writer, expr string, v any) {
	fmt.Fprintf(w, "%s\t%#v\n", expr, v)
}

func main() {
	for i := 0; i < 1000; i++ {
		mapInt[i] = fmt.Sprintf("v%d", i)
	}
	for i := 0; i < 20; i++ {
		mapSq[i] = i * i
	}
	// 105 inserts from empty: the 105th starts an incremental grow (hash maps, Go < 1.24)
	for i := 0; i < 105; i++ {
		mapGrow[i] = -i
	}
	// Overflow buckets (the hash seed is random) can start a same-size grow earlier, so that
	// the 105th insert finds one under way or finished: insert on until a grow is under way.
	for i := 105; hashMaps() && !growing(mapGrow) && i < 1<<16; i++ {
		mapGrow[i] = -i
	}
	mapPtr[pPt] = "pPt"
	mapPtr[&point{0, 0}] = "other"
	if os.Getenv("WSLGO_INDEX_BIG") != "" {
		bigMap = make(map[int]int)
		for i := 0; i < 1000000; i++ {
			bigMap[i] = i * 3
		}
		bigSlice = make([]byte, 100000000)
		for i := range bigSlice {
			bigSlice[i] = byte(i % 251)
		}
	}
	if path := os.Getenv("WSLGO_INDEX_ORACLE"); path != "" {
		f, e := os.Create(path)
		if e != nil {
			panic(e)
		}
		line(f, "main.ints[2]", ints[2])
		line(f, "main.afterVisit", afterVisit) // what visit(5) sets ints[2] to
		line(f, "main.ints[1:3]", ints[1:3])
		line(f, "main.ints[:2]", ints[:2])
		line(f, "main.pts[1]", pts[1])
		line(f, "main.pts[2].Y", pts[2].Y)
		line(f, "main.str[1]", str[1])
		line(f, "main.str[7:]", str[7:])
		line(f, "main.str[0:5]", str[0:5])
		line(f, "main.arr[4]", arr[4])
		line(f, "main.arr[1:3]", arr[1:3])
		line(f, "main.pArr[1]", pArr[1])
		line(f, `main.mapStr["two"]`, mapStr["two"])
		line(f, "main.mapInt[500]", mapInt[500])
		line(f, "main.mapInt[999]", mapInt[999])
		line(f, "main.mapInt8[-3]", mapInt8[-3])
		line(f, "main.mapUint[2147483648]", mapUint[1<<31])
		line(f, "main.mapBool[true]", mapBool[true])
		line(f, "main.mapBool[false]", mapBool[false])
		line(f, "main.mapPtr[main.pPt]", mapPtr[pPt])
		line(f, `main.mapPts["q"]`, mapPts["q"])
		line(f, `main.mapPts["q"].Y`, mapPts["q"].Y)
		line(f, "main.mapPtrVal[2].X", mapPtrVal[2].X)
		line(f, "*main.mapPtrVal[1]", *mapPtrVal[1])
		line(f, "main.mapGrow[104]", mapGrow[104])
		line(f, "main.mapGrow[3]", mapGrow[3])
		line(f, "(*main.pInts)[3]", (*pInts)[3])
		line(f, `(*main.pMap)["three"]`, (*pMap)["three"])
		line(f, "main.pPt.Y", pPt.Y)
		line(f, "main.err.Code", err.(*myErr).Code)
		line(f, "main.err.Msg", err.(*myErr).Msg)
		line(f, "main.iface.X", iface.(point).X)
		line(f, "len(main.ints)", len(ints))
		line(f, "cap(main.ints[1:2])", cap(ints[1:2]))
		line(f, "len(main.str)", len(str))
		line(f, "len(main.mapInt)", len(mapInt))
		line(f, "main.ints[len(main.ints)-1]", ints[len(ints)-1])
		fmt.Fprintf(f, "main.ints[4]\t!index out of range [4] with length 4\n")
		fmt.Fprintf(f, "main.ints[1:9]\t!slice bounds out of range [1:9] with capacity 4\n")
		fmt.Fprintf(f, "main.str[20]\t!index out of range [20] with length 13\n")
		fmt.Fprintf(f, "main.mapInt[5000]\t!key 5000 not in map\n")
		fmt.Fprintf(f, "main.mapStr[\"four\"]\t!key \"four\" not in map\n")
		fmt.Fprintf(f, "main.mapNil[\"x\"]\t!not in map (nil map)\n")
		fmt.Fprintf(f, "main.mapFloat[1.5]\t!not supported\n")
		f.Close()
	}
	runtime.Breakpoint()
	for i := 0; i < 20; i++ {
		visit(i)
	}
	fmt.Println("index: done", sink, len(bigMap), len(bigSlice), len(mapNil), len(mapFloat), len(mapPtr), iface != nil, err != nil)
}
