"""Go's index and slice expressions on gdb values: ``s[i]``, ``s[i:j]``, ``m[key]``.

gdb's own evaluator knows none of them for Go: a slice or a string is a struct to it, and a
map is a pointer, so ``m[5]`` would be pointer arithmetic (a garbage header five maps further
on). :func:`index` and :func:`slice_of` do what Go does, bounds checked with Go's own panic
text; a map is searched natively (``_native.Values.map_find``: the program is never called,
nothing is allocated in it). They back the convenience functions ``$index`` / ``$slice``,
and the rewrite of ``print`` / conditions (:mod:`wslgo.gdb.printers.expressions`). Anything else
raises one ``gdb.GdbError`` line.
"""

from __future__ import annotations

import gdb

from wslgo import _native
from wslgo.gdb.printers import containers, gotypes


def _fail(msg: str) -> gdb.GdbError:
    return gdb.GdbError(" ".join(msg.split()))


def _int(v: gdb.Value | int, what: str) -> int:
    if isinstance(v, int):
        return v
    code = v.type.strip_typedefs().code
    if code not in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR, gdb.TYPE_CODE_BOOL):
        raise _fail(f"{what} must be an integer, not {v.type}")
    return int(v)


def kind(v: gdb.Value) -> str:
    """``map``, ``slice``, ``string``, ``array``, ``pointer`` (not a Go map) or ``other``."""
    st = v.type.strip_typedefs()
    if st.code == gdb.TYPE_CODE_PTR:
        tname = st.target().strip_typedefs().name or ""
        return "map" if tname.startswith(containers.MAP_PREFIXES) else "pointer"
    if st.code == gdb.TYPE_CODE_ARRAY:
        return "array"
    if st.code == gdb.TYPE_CODE_STRUCT:
        if st.name == "string":
            return "string"
        names = {f.name for f in st.fields()}
        if {"array", "len", "cap"} <= names:
            return "slice"
    return "other"


def _array_len(st: gdb.Type) -> int:
    lo, hi = st.range()
    return int(hi) - int(lo) + 1


def byte_type() -> gdb.Type:
    t = gotypes.lookup_type("uint8")
    return t if t is not None else gdb.lookup_type("unsigned char")


def index(v: gdb.Value, key: gdb.Value | int) -> gdb.Value:
    """``v[key]`` as Go evaluates it, for a value of any kind (a C array or pointer is
    indexed as gdb would)."""
    k = kind(v)
    if k == "map":
        if isinstance(key, int):
            key = gdb.Value(key)
        return map_index(v, key)
    if k in ("slice", "string", "array"):
        i = _int(key, "index")
        if k == "array":
            n = _array_len(v.type.strip_typedefs())
        else:
            n = int(v["len"])
        if not 0 <= i < n:
            raise _fail(f"index out of range [{i}] with length {n}")
        if k == "array":
            return v[i]
        if k == "string":
            return gotypes.at(int(v["str"]) + i, byte_type())
        elem = v["array"].type.strip_typedefs().target()
        return gotypes.at(int(v["array"]) + i * elem.sizeof, elem)
    if k == "pointer":
        st = v.type.strip_typedefs()
        target = st.target().strip_typedefs()
        if target.code == gdb.TYPE_CODE_ARRAY:  # Go indexes *[N]T as the array
            return index(v.dereference(), key)
        return v[_int(key, "index")]
    raise _fail(f"cannot index {v.type}")


def slice_of(v: gdb.Value, lo: gdb.Value | int | None, hi: gdb.Value | int | None) -> gdb.Value:
    """``v[lo:hi]`` of a Go slice, string or array (a missing bound is None): a slice or
    string value whose header points into ``v``'s memory, as Go makes it."""
    k = kind(v)
    if k == "pointer" and v.type.strip_typedefs().target().strip_typedefs().code == (
        gdb.TYPE_CODE_ARRAY
    ):
        v, k = v.dereference(), "array"
    if k not in ("slice", "string", "array"):
        raise _fail(f"cannot slice {v.type}")
    if k == "array":
        n = cap = _array_len(v.type.strip_typedefs())
    else:
        n = int(v["len"])
        cap = int(v["cap"]) if k == "slice" else n
    i = 0 if lo is None else _int(lo, "slice bound")
    j = n if hi is None else _int(hi, "slice bound")
    if not 0 <= i <= j <= cap:
        what = "capacity" if k == "slice" else "length"
        raise _fail(f"slice bounds out of range [{i}:{j}] with {what} {cap}")
    if k == "string":
        return _header(v.type, [int(v["str"]) + i, j - i])
    if k == "slice":
        elem = v["array"].type.strip_typedefs().target()
        return _header(v.type, [int(v["array"]) + i * elem.sizeof, j - i, cap - i])
    st = v.type.strip_typedefs()
    elem = st.target()
    addr = v.address
    if addr is None:
        raise _fail("cannot slice an array that is not in memory")
    slice_type = gotypes.lookup_type(f"[]{elem.name}") if elem.name else None
    if slice_type is not None:
        return _header(slice_type, [int(addr) + i * elem.sizeof, j - i, cap - i])
    # No []T in the DWARF: the elements as an array (what Go's slice would show).
    if j == i:
        raise _fail(f"empty slice [{i}:{j}] (no []{elem} type in the debug info)")
    return gotypes.at(int(addr) + i * elem.sizeof, elem.array(j - i - 1))


def _header(t: gdb.Type, words: list[int]) -> gdb.Value:
    """A string or slice header of type ``t`` with these words (pointer, len[, cap])."""
    size = t.strip_typedefs().sizeof
    raw = b"".join(w.to_bytes(8, "little", signed=w < 0) for w in words)
    return gdb.Value(raw.ljust(size, b"\0")[:size], t)


def _key_bytes(key: gdb.Value, kt: gdb.Type) -> tuple[bytes, bool]:
    """(bytes, is a string) of ``key`` as a key of type ``kt`` in map memory."""
    skt = kt.strip_typedefs()
    st = key.type.strip_typedefs()
    if skt.code == gdb.TYPE_CODE_STRUCT and skt.name == "string":
        if st.code == gdb.TYPE_CODE_STRUCT and st.name == "string":
            n = int(key["len"])
            if n < 0 or n > containers.READ_LIMIT:
                raise _fail(f"garbage string key (length {n})")
            mem = gdb.selected_inferior().read_memory(int(key["str"]), n) if n else b""
            return bytes(mem), True
        if st.code == gdb.TYPE_CODE_ARRAY and st.target().sizeof == 1:  # a literal "two"
            raw = bytes(int(key[i]) & 0xFF for i in range(_array_len(st)))
            return raw.rstrip(b"\0") if raw.endswith(b"\0") else raw, True
        raise _fail(f"a {kt} key cannot be a {key.type}")
    code = skt.code
    if code == gdb.TYPE_CODE_FLT:
        raise _fail(f"map keys of type {kt} are not supported (floating point)")
    if code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_PTR):
        if st.code not in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR, gdb.TYPE_CODE_BOOL) and (
            st.code != gdb.TYPE_CODE_PTR
        ):
            raise _fail(f"a {kt} key cannot be a {key.type}")
        n = int(key.cast(kt)) if st.code != gdb.TYPE_CODE_PTR else int(key)
        size = skt.sizeof
        return (n & ((1 << (8 * size)) - 1)).to_bytes(size, "little"), False
    if st == skt and key.address is not None and code in (gdb.TYPE_CODE_ARRAY,):
        return bytes(gdb.selected_inferior().read_memory(int(key.address), skt.sizeof)), False
    raise _fail(f"map keys of type {kt} are not supported")


def map_index(m: gdb.Value, key: gdb.Value) -> gdb.Value:
    """``m[key]`` of a Go map: the element, read where the map stores it (never calling the
    program); an absent key is an error (Go would give the zero value: a debugger should not
    pretend it found one)."""
    hdr = m.type.strip_typedefs().target().strip_typedefs()
    mkind, geo, kt, et = containers._map_geometry(hdr)  # noqa: SLF001 - the one geometry reader
    raw, is_str = _key_bytes(key, kt)
    addr = None
    if int(m) != 0:
        try:
            addr = gotypes.reader().map_find(int(m), geo, raw, is_str, mkind)
        except _native.WslgoError as e:
            raise _fail(f"map index: {e}") from None
    if addr is None:
        if is_str:
            shown = '"' + raw.decode("utf-8", "replace") + '"'
        else:
            n = int.from_bytes(raw, "little", signed=kt.strip_typedefs().code == gdb.TYPE_CODE_INT)
            shown = str(n) if kt.strip_typedefs().code != gdb.TYPE_CODE_PTR else hex(n)
        nil = " (nil map)" if int(m) == 0 else ""
        raise _fail(f"key {_native.escape_text(shown)} not in map{nil}")
    return gotypes.at(addr, et)
