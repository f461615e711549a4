//! Binding of `values`: `Values(program, read=None, pid=None, load_bias=0, types=None)`, the
//! readers behind the gdb pretty-printers (map and chan walks, dynamic types, batched strings
//! and integers), built from the program's open `Symbols` (or `Binary`, or a path for tools),
//! so the printers share its binary and DWARF. Memory is /proc/PID/mem for a live process,
//! else a Python callable `read(addr, length) -> bytes` (gdb's `inferior.read_memory`, which
//! also serves cores). Each call reads through a fresh page cache, so nothing stale survives
//! the debuggee running. The module functions format standard-library values from their raw
//! words (time.Duration, time.Time, sync.Mutex, sync.RWMutex).

use pyo3::prelude::*;

use super::guarded;
use super::program::{ProgramArg, PyCallbackMemory};
use crate::mem::{Memory, PageCache, ProcessMemory};
use crate::values::program::{self, Program};
use crate::values::render;
use crate::values::{self, lookup, stdtypes, Geometry, Limits};

/// Readers for Go values of one binary in one debuggee.
#[pyclass(name = "Values", module = "wslgo._native", frozen)]
pub struct Values {
    /// /proc/PID/mem, or the Python callable.
    mem: Box<dyn Memory>,
    prog: Program,
}

fn limits(max_bytes: u64, max_entries: u64) -> Limits {
    Limits {
        max_bytes,
        max_entries,
    }
}

#[pymethods]
impl Values {
    #[new]
    #[pyo3(signature = (program, read=None, pid=None, load_bias=0, types=None))]
    fn new(
        py: Python<'_>,
        program: &Bound<'_, PyAny>,
        read: Option<Py<PyAny>>,
        pid: Option<i32>,
        load_bias: u64,
        types: Option<u64>,
    ) -> PyResult<Self> {
        let prog = ProgramArg::from_py(program)?;
        let syms = py.detach(|| guarded(|| prog.symbols()))?;
        let mem: Box<dyn Memory> = match (pid, read) {
            (Some(pid), _) => Box::new(guarded(|| ProcessMemory::open(pid))?),
            (None, Some(func)) => Box::new(PyCallbackMemory::new(func)),
            (None, None) => {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "Values needs a pid or a read callback",
                ))
            }
        };
        let prog = guarded(|| Ok(Program::new(syms, load_bias, types)))?;
        Ok(Values { mem, prog })
    }

    /// The binary's Go version (`go1.24.11`; empty when unknown).
    #[getter]
    fn go_version(&self) -> &str {
        &self.prog.go_version
    }

    /// "hash" (Go < 1.24) or "swiss".
    #[getter]
    fn map_kind(&self) -> &'static str {
        self.prog.kind.name()
    }

    /// Walk a map: `(count, [(key_addr, elem_addr)], marker or None)`.
    /// `geometry` is (group_size, key_base, key_stride, elem_base, elem_stride, overflow,
    /// key_indirect, elem_indirect) from the binary's bucket / group type. `kind` overrides the
    /// version's map implementation ("hash" / "swiss", read from the DWARF type's fields).
    #[pyo3(signature = (addr, geometry, kind=None, max_bytes=64 << 20, max_entries=1 << 20))]
    #[allow(clippy::type_complexity)]
    fn map_entries(
        &self,
        addr: u64,
        geometry: PyGeometry,
        kind: Option<&str>,
        max_bytes: u64,
        max_entries: u64,
    ) -> PyResult<(u64, Vec<(u64, u64)>, Option<String>)> {
        let geo = geometry_of(geometry);
        let kind = self.prog.map_kind(kind);
        let lim = limits(max_bytes, max_entries);
        let m = PageCache::new(&*self.mem);
        let w = values::map_entries(&m, &self.prog.layout, kind, addr, &geo, lim);
        Ok((w.count, w.entries, w.marker))
    }

    /// `m[key]` without calling the program: the address of the element stored under `key`
    /// in the map at `addr`, or None when the map has no such key. `key` is the key's bytes
    /// (its in-memory representation; for a string key, its text with `string=True`);
    /// `geometry` and `kind` as for `map_entries`. Raises `WslgoError` (one line) when the
    /// map cannot be read within `max_bytes`.
    #[pyo3(signature = (addr, geometry, key, string=false, kind=None, max_bytes=1 << 30))]
    #[allow(clippy::too_many_arguments)]
    fn map_find(
        &self,
        py: Python<'_>,
        addr: u64,
        geometry: PyGeometry,
        key: Vec<u8>,
        string: bool,
        kind: Option<&str>,
        max_bytes: u64,
    ) -> PyResult<Option<u64>> {
        let geo = geometry_of(geometry);
        let kind = self.prog.map_kind(kind);
        let key = if string {
            lookup::MapKey::Str(key)
        } else {
            lookup::MapKey::Bytes(key)
        };
        let (p, m) = (&self.prog, &*self.mem);
        py.detach(|| guarded(|| p.map_find(m, kind, addr, &geo, &key, max_bytes)))
    }

    /// Read a chan: `(len, cap, closed, [elem_addr in receive order], marker or None)`.
    #[pyo3(signature = (addr, max_bytes=64 << 20, max_entries=1 << 20))]
    #[allow(clippy::type_complexity)]
    fn chan_queue(
        &self,
        addr: u64,
        max_bytes: u64,
        max_entries: u64,
    ) -> PyResult<(u64, u64, bool, Vec<u64>, Option<String>)> {
        let m = PageCache::new(&*self.mem);
        let q = values::chan_queue(&m, &self.prog.layout, addr, limits(max_bytes, max_entries));
        Ok((q.len, q.cap, q.closed, q.elems, q.marker))
    }

    /// The dynamic type at an `*abi.Type`: `(name, size, kind, direct)`.
    fn dyn_type(&self, typ: u64) -> PyResult<(String, u64, u8, bool)> {
        let t = guarded(|| self.prog.dyn_type(&PageCache::new(&*self.mem), typ))?;
        Ok((t.name, t.size, t.kind, t.direct))
    }

    /// The text of an interface's dynamic value decoded from its type descriptor alone (no
    /// DWARF): `T value` (`main.point {X = 7, Y = 8}`), given the `*abi.Type` and the
    /// interface's data word; at most `max_elems` elements per slice or array and `max_string`
    /// bytes per string.
    #[pyo3(signature = (typ, data, max_elems=200, max_string=200))]
    fn dynamic_text(
        &self,
        typ: u64,
        data: u64,
        max_elems: u64,
        max_string: u64,
    ) -> PyResult<String> {
        let m = PageCache::new(&*self.mem);
        guarded(|| self.prog.dynamic_text(&m, typ, data, max_elems, max_string))
    }

    /// The DWARF name of a type the runtime names `name` (`y.T` for `github.com/x/y.T`), or
    /// None when the DWARF has no such type or several candidates.
    fn dwarf_type_name(&self, py: Python<'_>, name: &str) -> Option<String> {
        let p = &self.prog;
        py.detach(|| p.dwarf_type_name(name))
    }

    /// len() of the map whose header is at `addr` (0 for nil); `kind` as for `map_entries`.
    #[pyo3(signature = (addr, kind=None))]
    fn map_len(&self, addr: u64, kind: Option<&str>) -> PyResult<u64> {
        let kind = self.prog.map_kind(kind);
        let m = PageCache::new(&*self.mem);
        guarded(|| values::map_len(&m, &self.prog.layout, kind, addr))
    }

    /// `(len, cap)` of the chan at `addr` (`(0, 0)` for nil).
    fn chan_len_cap(&self, addr: u64) -> PyResult<(u64, u64)> {
        let m = PageCache::new(&*self.mem);
        guarded(|| values::chan_len_cap(&m, &self.prog.layout, addr))
    }

    /// The `*abi.Type` held by an itab.
    fn itab_type(&self, itab: u64) -> PyResult<u64> {
        let m = PageCache::new(&*self.mem);
        guarded(|| values::itab_type(&m, &self.prog.layout, itab))
    }

    /// Go strings whose headers sit at `addrs`: `(text, full length)` each (at most
    /// `max_len` bytes decoded, `max_bytes` for all together, only what the memory holds;
    /// invalid UTF-8 replaced), None where unreadable or past the budget.
    #[pyo3(signature = (addrs, max_len, max_bytes=16 << 20))]
    fn strings(&self, addrs: Vec<u64>, max_len: u64, max_bytes: u64) -> Vec<Option<(String, u64)>> {
        program::lossy_strings(&PageCache::new(&*self.mem), &addrs, max_len, max_bytes)
    }

    /// Go strings whose headers sit at `addrs`, quoted as the printers show them (at most
    /// `max_len` bytes each and `max_bytes` for all together, only what the memory holds,
    /// `"..."` after a cut one; `<unreadable string>` where unreadable, `<string: read limit
    /// reached>` past the budget): the children of a big map or slice in one call.
    #[pyo3(signature = (addrs, max_len, max_bytes=16 << 20))]
    fn quoted_strings(&self, addrs: Vec<u64>, max_len: u64, max_bytes: u64) -> Vec<String> {
        program::quoted_strings(&PageCache::new(&*self.mem), &addrs, max_len, max_bytes)
    }

    /// The one Go string at the header `addr`, quoted ([`Values.quoted_strings`] of one).
    #[pyo3(signature = (addr, max_len, max_bytes=16 << 20))]
    fn quoted_string(&self, addr: u64, max_len: u64, max_bytes: u64) -> String {
        self.quoted_strings(vec![addr], max_len, max_bytes)
            .pop()
            .unwrap_or_default()
    }

    /// How many bytes from `addr` on lie in mapped memory, or None when the memory does not
    /// know its map (cores and remote targets read through gdb).
    fn mapped_extent(&self, addr: u64) -> Option<u64> {
        PageCache::new(&*self.mem).mapped_extent(addr)
    }

    /// Integers of `size` bytes at `addrs` (None where unreadable).
    fn ints(&self, addrs: Vec<u64>, size: usize, signed: bool) -> Vec<Option<i128>> {
        values::read_ints(&PageCache::new(&*self.mem), &addrs, size, signed)
    }
}

/// A map's bucket or group geometry as Python gives it: (group size, key base, key stride,
/// elem base, elem stride, overflow offset, key indirect, elem indirect).
type PyGeometry = (u64, u64, u64, u64, u64, u64, bool, bool);

fn geometry_of(g: PyGeometry) -> Geometry {
    let (group_size, key_base, key_stride, elem_base, elem_stride, overflow, ki, ei) = g;
    Geometry {
        group_size,
        key_base,
        key_stride,
        elem_base,
        elem_stride,
        overflow,
        key_indirect: ki,
        elem_indirect: ei,
    }
}

/// `data` quoted by the one Go-string rule (`"..."` after it when `truncated`): a string
/// the printers hold as bytes (one not in memory, such as a slice expression's result).
#[pyfunction]
fn go_quote(data: &[u8], truncated: bool) -> String {
    render::quote(data, truncated)
}

/// time.Duration.String() of `ns` nanoseconds: `1.5s`, `2m0s`.
#[pyfunction]
fn go_duration(ns: i64) -> String {
    stdtypes::duration(ns)
}

/// time.Time.String() (without the monotonic reading) of a Time's `wall` and `ext` words,
/// `offset` seconds east of UTC in the zone named `zone`.
#[pyfunction]
#[pyo3(signature = (wall, ext, offset=0, zone="UTC"))]
fn go_time(wall: u64, ext: i64, offset: i64, zone: &str) -> String {
    stdtypes::time_string(wall, ext, offset, zone)
}

/// Seconds since 1970 of a time.Time's `wall` and `ext` words.
/// time.Time.String()'s monotonic suffix (`m=+0.000039304`), or None without a reading.
#[pyfunction]
fn go_time_monotonic(wall: u64, ext: i64) -> Option<String> {
    stdtypes::time_monotonic(wall, ext)
}

#[pyfunction]
fn go_time_unix(wall: u64, ext: i64) -> i64 {
    stdtypes::time_unix_seconds(wall, ext)
}

/// A sync.Mutex from its state word: `sync.Mutex locked, 2 waiters`.
#[pyfunction]
fn go_mutex(state: i64) -> String {
    stdtypes::mutex_string(state)
}

/// A sync.RWMutex from its readerCount and its writer mutex's state word.
#[pyfunction]
fn go_rwmutex(reader_count: i64, writer_state: i64) -> String {
    stdtypes::rwmutex_string(reader_count, writer_state)
}

/// One leaf of a result as Python gives it: `("int" | "float" | "stack", offset, size)`.
struct PyLeaf(crate::values::abi::Leaf);

impl<'a, 'py> FromPyObject<'a, 'py> for PyLeaf {
    type Error = PyErr;

    fn extract(ob: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        use crate::values::abi::Leaf;
        let (kind, offset, size): (String, u64, u64) = ob.extract()?;
        Ok(PyLeaf(match kind.as_str() {
            "int" => Leaf::Int { offset, size },
            "float" => Leaf::Float { offset, size },
            "stack" => Leaf::Unassignable,
            _ => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "leaf kind {kind:?}: one of int, float, stack"
                )))
            }
        }))
    }
}

/// Where Go's register ABI puts each result of a function on `arch` (gdb's architecture
/// name): per result, its leaves (`("int" | "float" | "stack", offset, size)`) in; out,
/// `[(register, is_float, offset, size)]`, or None for a result on the stack.
#[pyfunction]
#[allow(clippy::type_complexity)] // the Python shape, converted here
fn abi_results(
    arch: &str,
    results: Vec<Vec<PyLeaf>>,
) -> PyResult<Vec<Option<Vec<(&'static str, bool, u64, u64)>>>> {
    use crate::values::abi::{assign_results, Arch};
    let arch = Arch::of_name(arch).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!("no Go register ABI on {arch}"))
    })?;
    let shapes: Vec<Vec<_>> = results
        .into_iter()
        .map(|r| r.into_iter().map(|l| l.0).collect())
        .collect();
    Ok(assign_results(arch, &shapes)
        .into_iter()
        .map(|r| {
            r.map(|ps| {
                ps.into_iter()
                    .map(|p| (p.reg, p.float, p.offset, p.size))
                    .collect()
            })
        })
        .collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Values>()?;
    m.add_function(wrap_pyfunction!(abi_results, m)?)?;
    m.add("MAP_MAX_INLINE_BYTES", values::layout::MAP_MAX_INLINE_BYTES)?;
    m.add_function(wrap_pyfunction!(go_quote, m)?)?;
    m.add_function(wrap_pyfunction!(go_duration, m)?)?;
    m.add_function(wrap_pyfunction!(go_time, m)?)?;
    m.add_function(wrap_pyfunction!(go_time_unix, m)?)?;
    m.add_function(wrap_pyfunction!(go_time_monotonic, m)?)?;
    m.add_function(wrap_pyfunction!(go_mutex, m)?)?;
    m.add_function(wrap_pyfunction!(go_rwmutex, m)?)?;
    Ok(())
}
