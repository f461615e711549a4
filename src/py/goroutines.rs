//! Python view of the goroutine engine: `Process(binary, pid)`, `Core(binary, core)` and
//! `Callback(binary, read_fn)`, each a `GoTarget` with `.goroutines()`, `.unwind()` and
//! `.snapshot()`. Results are plain Python data (dicts and lists); the heavy work runs with
//! the GIL released.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::conv::{dicts, parse_threads, Conv, PyScope, PyThreadRegs};
use super::guarded;
use super::program::{ProgramArg, PyCallbackMemory};
use super::snapshot::Snapshot;
use crate::ids::GoId;
use crate::runtime::target::{SnapshotOptions, Target};
use crate::runtime::{Options, UnwindStart, DEFAULT_MAX_DEPTH};

/// The shared base class of Process, Core and Callback: a Go binary's runtime model plus
/// a memory source.
#[pyclass(name = "GoTarget", module = "wslgo._native", subclass, frozen)]
pub struct GoTarget {
    /// The core target (shared with the other views bound beside this file).
    pub(crate) target: Target,
}

#[pymethods]
impl GoTarget {
    /// Every goroutine as a dict (see wslgo/_native.pyi for the keys).
    /// `threads`: iterable of dicts {tid, pc, sp, bp, lr} (OS thread registers) used for
    /// running goroutines; `current_tid` marks the goroutine on that thread.
    #[pyo3(signature = (threads=None, include_dead=false, max_depth=DEFAULT_MAX_DEPTH, current_tid=None))]
    fn goroutines<'py>(
        &self,
        py: Python<'py>,
        threads: Option<Vec<PyThreadRegs>>,
        include_dead: bool,
        max_depth: usize,
        current_tid: Option<i64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let (th, cur) = self.target.thread_args(parse_threads(threads), current_tid);
        let opts = Options {
            include_dead,
            max_depth,
            current_tid: cur,
            ..Options::default()
        };
        let t = &self.target;
        let gs = py.detach(|| guarded(|| t.goroutines(&th, &opts)))?;
        dicts(py, &gs)
    }

    /// Unwind one goroutine by id, or from explicit registers (pc, sp[, bp, lr]; lr: the
    /// arm64 link register, a frameless leaf's return address).
    /// `exact` says pc is an exact instruction address (thread registers).
    #[pyo3(signature = (goid=None, pc=None, sp=None, bp=0, exact=true, max_depth=DEFAULT_MAX_DEPTH, lr=0))]
    #[allow(clippy::too_many_arguments)]
    fn unwind<'py>(
        &self,
        py: Python<'py>,
        goid: Option<GoId>,
        pc: Option<u64>,
        sp: Option<u64>,
        bp: u64,
        exact: bool,
        max_depth: usize,
        lr: u64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let t = &self.target;
        if let (Some(pc), Some(sp)) = (pc, sp) {
            let start = UnwindStart {
                pc,
                sp,
                bp,
                lr,
                exact,
            };
            let st = py.detach(|| guarded(|| Ok(t.unwind(start, max_depth))))?;
            return Conv::new(py).unwound(
                &st.frames,
                &st.sps,
                st.error.as_deref(),
                st.truncated,
                st.fp_mismatches,
            );
        }
        let Some(goid) = goid else {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "unwind() needs goid= or pc= and sp=",
            ));
        };
        let (th, cur) = t.thread_args(Vec::new(), None);
        let g = py.detach(|| guarded(|| t.find(goid, &th, cur, max_depth)))?;
        Conv::new(py).unwound(
            &g.frames,
            &g.frames.sps(g.sp),
            g.stack_error.as_deref(),
            g.truncated,
            g.fp_mismatches,
        )
    }

    /// Goroutine `goid` as a dict (the same keys as goroutines(); its stack only when
    /// `max_depth` > 0). NotFoundError when allgs has no goroutine `goid` or it is dead.
    #[pyo3(signature = (goid, threads=None, current_tid=None, max_depth=0))]
    fn goroutine<'py>(
        &self,
        py: Python<'py>,
        goid: GoId,
        threads: Option<Vec<PyThreadRegs>>,
        current_tid: Option<i64>,
        max_depth: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let t = &self.target;
        let (th, cur) = t.thread_args(parse_threads(threads), current_tid);
        let found = py.detach(|| guarded(|| t.find(goid, &th, cur, max_depth)))?;
        Conv::new(py).goroutine(&found)
    }

    /// The `panic: ...` lines (oldest first, as the runtime prints them) of each goroutine
    /// whose `runtime.g` is at an address of `gs`; None for one that is not panicking.
    fn panic_lines(&self, py: Python<'_>, gs: Vec<u64>) -> PyResult<Vec<Option<Vec<String>>>> {
        let t = &self.target;
        py.detach(|| guarded(|| t.panic_lines(&gs)))
    }

    /// The `panic: ...` lines of the `runtime._panic` chain at `record` (oldest first).
    fn panic_chain(&self, py: Python<'_>, record: u64) -> PyResult<Vec<String>> {
        let t = &self.target;
        py.detach(|| guarded(|| t.panic_chain(record)))
    }

    /// A panic value (type descriptor address, data word) as the runtime prints it.
    fn panic_value(&self, py: Python<'_>, typ: u64, data: u64) -> PyResult<String> {
        let t = &self.target;
        py.detach(|| guarded(|| t.panic_value(typ, data)))
    }

    /// The goroutine the OS thread `current_tid` runs (running or in a system call on
    /// it, as the runtime's m records), without its stack; None when the thread runs no
    /// goroutine. Only that one record is converted to Python.
    #[pyo3(signature = (current_tid, threads=None))]
    fn current_goroutine<'py>(
        &self,
        py: Python<'py>,
        current_tid: Option<i64>,
        threads: Option<Vec<PyThreadRegs>>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let t = &self.target;
        let (th, cur) = t.thread_args(parse_threads(threads), current_tid);
        let found = py.detach(|| guarded(|| t.current_goroutine(&th, cur)))?;
        found.map(|g| Conv::new(py).goroutine(&g)).transpose()
    }

    /// Facts about the model: layout source, load bias, Go version, g size.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let i = self.target.info();
        let d = PyDict::new(py);
        d.set_item("layout", i.layout)?;
        d.set_item("layout_exact", i.layout_exact)?;
        d.set_item("load_bias", i.load_bias)?;
        d.set_item("g_size", i.g_size)?;
        d.set_item("go_version", i.go_version)?;
        Ok(d)
    }

    /// One enumeration of the goroutines, kept to be formatted in every view (see
    /// `Snapshot`). `scope`: "all" unwinds every stack, "user" each stack down to its
    /// first frame outside the runtime (enough for the list), "current" only the current
    /// goroutine's (the stop context: states and counts of the others, no stacks).
    /// `panics`: also read each goroutine's `_panic` chain (the `panic` field of JSON and
    /// `Snapshot.panics`). `waits`: also the object each blocked goroutine waits on (the
    /// `waits_on` of every view, `Snapshot.wait_errors`).
    #[pyo3(signature = (threads=None, include_dead=false, current_tid=None, max_depth=DEFAULT_MAX_DEPTH, scope=PyScope::All, panics=false, waits=false))]
    #[allow(clippy::too_many_arguments)] // the Python keyword arguments, one each
    fn snapshot(
        &self,
        py: Python<'_>,
        threads: Option<Vec<PyThreadRegs>>,
        include_dead: bool,
        current_tid: Option<i64>,
        max_depth: usize,
        scope: PyScope,
        panics: bool,
        waits: bool,
    ) -> PyResult<Snapshot> {
        let t = &self.target;
        let (th, cur) = t.thread_args(parse_threads(threads), current_tid);
        let opts = SnapshotOptions {
            include_dead,
            current_tid: cur,
            max_depth,
            scope: scope.0,
            panics,
            waits,
        };
        let snap = py.detach(|| guarded(|| t.snapshot(&th, &opts)))?;
        Ok(Snapshot { snap })
    }

    /// Threads known to the source: for a core, list of {tid, pc, sp, bp, signal} (the
    /// first one received the fatal signal); empty otherwise (pass gdb's threads).
    fn threads<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let dicts = self
            .target
            .core_threads()
            .iter()
            .map(|t| {
                let d = PyDict::new(py);
                d.set_item("tid", t.tid)?;
                d.set_item("pc", t.pc)?;
                d.set_item("sp", t.sp)?;
                d.set_item("bp", t.bp)?;
                d.set_item("signal", t.signal)?;
                Ok(d)
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, dicts)
    }

    /// The process id (Process only), else None.
    #[getter]
    fn pid(&self) -> Option<i32> {
        self.target.pid()
    }
}

/// Goroutines of a live process, read through /proc/PID/mem (gdb's process may do this
/// for its inferior; so may root).
#[pyclass(name = "Process", module = "wslgo._native", extends = GoTarget, frozen)]
pub struct Process;

#[pymethods]
impl Process {
    #[new]
    fn new(
        py: Python<'_>,
        binary: &Bound<'_, PyAny>,
        pid: i32,
    ) -> PyResult<PyClassInitializer<Self>> {
        let prog = ProgramArg::from_py(binary)?;
        let target = py.detach(|| guarded(|| Target::process(prog.symbols()?, pid)))?;
        Ok(PyClassInitializer::from(GoTarget { target }).add_subclass(Process))
    }
}

/// Goroutines of an ELF core file written by `binary`.
#[pyclass(name = "Core", module = "wslgo._native", extends = GoTarget, frozen)]
pub struct Core;

#[pymethods]
impl Core {
    #[new]
    fn new(
        py: Python<'_>,
        binary: &Bound<'_, PyAny>,
        core: PathBuf,
    ) -> PyResult<PyClassInitializer<Self>> {
        let prog = ProgramArg::from_py(binary)?;
        let target = py.detach(|| guarded(|| Target::core(prog.symbols()?, &core)))?;
        Ok(PyClassInitializer::from(GoTarget { target }).add_subclass(Core))
    }
}

/// Goroutines read through a Python callable `read(addr, length) -> bytes`.
#[pyclass(name = "Callback", module = "wslgo._native", extends = GoTarget, frozen)]
pub struct Callback;

#[pymethods]
impl Callback {
    #[new]
    #[pyo3(signature = (binary, read, load_bias=0))]
    fn new(
        py: Python<'_>,
        binary: &Bound<'_, PyAny>,
        read: Py<PyAny>,
        load_bias: u64,
    ) -> PyResult<PyClassInitializer<Self>> {
        let prog = ProgramArg::from_py(binary)?;
        let mem = Box::new(PyCallbackMemory::new(read));
        let target =
            py.detach(|| guarded(|| Target::with_memory(prog.symbols()?, mem, load_bias)))?;
        Ok(PyClassInitializer::from(GoTarget { target }).add_subclass(Callback))
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<GoTarget>()?;
    m.add_class::<Process>()?;
    m.add_class::<Core>()?;
    m.add_class::<Callback>()?;
    Ok(())
}
