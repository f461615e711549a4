//! Python view of the goroutine engine: `Process(binary, pid)`, `Core(binary, core)` and
//! `Callback(binary, read_fn)`, each with `.goroutines()` and `.unwind()`. Results are
//! plain Python data (dicts and lists); the heavy work runs with the GIL released.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use super::guarded;
use crate::binary::Binary as CoreBinary;
use crate::error::{Error, Result};
use crate::mem::{mem_error, CoreFile, Memory, ProcessMemory};
use crate::runtime::{
    group, Frame, GoRuntime, Goroutine, LayoutSource, Options, ThreadRegs, UnwindStart,
    DEFAULT_MAX_DEPTH,
};

/// Memory served by a Python callable `read(addr, length) -> bytes` (gdb's
/// `inferior.read_memory` for remote targets). Calls re-acquire the GIL.
struct PyCallbackMemory {
    func: Py<PyAny>,
}

impl Memory for PyCallbackMemory {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        Python::attach(|py| {
            let r = self
                .func
                .call1(py, (addr, buf.len()))
                .map_err(|e| mem_error(addr, buf.len(), e.to_string()))?;
            let r = r.bind(py);
            let bytes: Vec<u8> = if let Ok(b) = r.cast::<PyBytes>() {
                b.as_bytes().to_vec()
            } else {
                // memoryview / bytearray / gdb.Membuf: anything bytes() accepts.
                let b = py
                    .import("builtins")
                    .and_then(|m| m.getattr("bytes"))
                    .and_then(|f| f.call1((r,)))
                    .map_err(|e| mem_error(addr, buf.len(), e.to_string()))?;
                b.cast::<PyBytes>()
                    .map_err(|e| mem_error(addr, buf.len(), e.to_string()))?
                    .as_bytes()
                    .to_vec()
            };
            if bytes.len() != buf.len() {
                return Err(mem_error(
                    addr,
                    buf.len(),
                    format!("read callback returned {} bytes", bytes.len()),
                ));
            }
            buf.copy_from_slice(&bytes);
            Ok(())
        })
    }
}

enum Source {
    Process(ProcessMemory),
    Core(CoreFile),
    Callback(PyCallbackMemory),
}

impl Source {
    fn mem(&self) -> &dyn Memory {
        match self {
            Source::Process(m) => m,
            Source::Core(m) => m,
            Source::Callback(m) => m,
        }
    }
}

/// Shared state of the three front classes.
struct Engine {
    rt: GoRuntime,
    src: Source,
    bias: u64,
}

fn open_runtime(path: &PathBuf) -> Result<(Arc<CoreBinary>, GoRuntime)> {
    let bin = Arc::new(CoreBinary::open(path)?);
    if !bin.is_go() {
        return Err(Error::NotGo(format!("{}", path.display())));
    }
    let rt = GoRuntime::new(bin.clone())?;
    Ok((bin, rt))
}

fn parse_threads(threads: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<ThreadRegs>> {
    let Some(t) = threads else {
        return Ok(Vec::new());
    };
    if t.is_none() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for item in t.try_iter()? {
        let item = item?;
        let get = |k: &str| -> PyResult<u64> {
            match item.get_item(k) {
                Ok(v) if !v.is_none() => v.extract::<u64>(),
                _ => Ok(0),
            }
        };
        out.push(ThreadRegs {
            tid: item.get_item("tid")?.extract::<i64>()?,
            pc: get("pc")?,
            sp: get("sp")?,
            bp: get("bp")?,
            lr: get("lr")?,
        });
    }
    Ok(out)
}

fn frame_dict<'py>(py: Python<'py>, f: &Frame) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("func", &*f.func)?;
    d.set_item("file", &*f.file)?;
    d.set_item("line", f.line)?;
    d.set_item("pc", f.pc)?;
    d.set_item("sp", f.sp)?;
    d.set_item("entry", f.entry)?;
    d.set_item("inlined", f.inlined)?;
    d.set_item("wrapper", f.wrapper)?;
    Ok(d)
}

fn goroutine_dict<'py>(py: Python<'py>, g: &Goroutine) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("goid", g.goid)?;
    d.set_item("addr", g.addr)?;
    d.set_item("status", g.status)?;
    d.set_item("status_name", &g.status_name)?;
    d.set_item("state", &g.state)?;
    d.set_item("wait_reason", &g.wait_reason)?;
    d.set_item("waitsince", g.waitsince)?;
    d.set_item("pc", g.pc)?;
    d.set_item("sp", g.sp)?;
    d.set_item("bp", g.bp)?;
    d.set_item("regs", g.regs.as_str())?;
    d.set_item("stack_lo", g.stack_lo)?;
    d.set_item("stack_hi", g.stack_hi)?;
    let frames = PyList::empty(py);
    for f in &g.frames {
        frames.append(frame_dict(py, f)?)?;
    }
    d.set_item("frames", frames)?;
    d.set_item("stack_error", g.stack_error.as_deref())?;
    d.set_item("truncated", g.truncated)?;
    d.set_item("user_frame", g.user_frame)?;
    match &g.go_statement {
        Some(l) => {
            let gs = PyDict::new(py);
            gs.set_item("func", &l.func)?;
            gs.set_item("file", &l.file)?;
            gs.set_item("line", l.line)?;
            gs.set_item("pc", l.pc)?;
            d.set_item("go_statement", gs)?;
        }
        None => d.set_item("go_statement", py.None())?,
    }
    d.set_item("start_func", g.start_func.as_deref())?;
    d.set_item("parent_goid", g.parent_goid)?;
    let labels = PyDict::new(py);
    for (k, v) in &g.labels {
        labels.set_item(k, v)?;
    }
    d.set_item("labels", labels)?;
    d.set_item("thread_id", g.thread_id)?;
    d.set_item("m_id", g.m_id)?;
    d.set_item("locked_to_thread", g.locked_to_thread)?;
    d.set_item("system", g.system)?;
    d.set_item("current", g.current)?;
    d.set_item("error", g.error.as_deref())?;
    Ok(d)
}

impl Engine {
    fn goroutines<'py>(
        &self,
        py: Python<'py>,
        threads: Vec<ThreadRegs>,
        include_dead: bool,
        max_depth: usize,
        current_tid: Option<i64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let opts = Options {
            include_dead,
            max_depth,
            current_tid,
        };
        let gs = py.detach(|| {
            guarded(|| {
                self.rt
                    .goroutines(self.src.mem(), self.bias, &threads, &opts)
            })
        })?;
        let out = PyList::empty(py);
        for g in &gs {
            out.append(goroutine_dict(py, g)?)?;
        }
        Ok(out)
    }

    fn unwind<'py>(
        &self,
        py: Python<'py>,
        pc: u64,
        sp: u64,
        bp: u64,
        exact: bool,
        max_depth: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let st = py.detach(|| {
            guarded(|| {
                Ok(self.rt.unwind(
                    self.src.mem(),
                    self.bias,
                    UnwindStart {
                        pc,
                        sp,
                        bp,
                        lr: 0,
                        exact,
                    },
                    max_depth,
                ))
            })
        })?;
        let d = PyDict::new(py);
        let frames = PyList::empty(py);
        for f in &st.frames {
            frames.append(frame_dict(py, f)?)?;
        }
        d.set_item("frames", frames)?;
        d.set_item("error", st.error)?;
        d.set_item("truncated", st.truncated)?;
        Ok(d)
    }

    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let (src, exact) = match &self.rt.layout().source {
            LayoutSource::Dwarf => ("dwarf".to_string(), true),
            LayoutSource::Fallback { release, exact } => (format!("fallback {release}"), *exact),
        };
        d.set_item("layout", src)?;
        d.set_item("layout_exact", exact)?;
        d.set_item("load_bias", self.bias)?;
        d.set_item("g_size", self.rt.layout().g.size)?;
        d.set_item(
            "go_version",
            self.rt.binary().build_info().ok().map(|b| b.go_version),
        )?;
        Ok(d)
    }
}

/// The shared base class of Process, Core and Callback: a Go binary's runtime model plus
/// a memory source.
#[pyclass(name = "GoTarget", module = "wslgo._native", subclass, frozen)]
pub struct GoTarget {
    engine: Engine,
}

impl GoTarget {
    fn default_threads(&self) -> Vec<ThreadRegs> {
        match &self.engine.src {
            Source::Core(c) => c
                .threads()
                .iter()
                .map(|t| ThreadRegs {
                    tid: t.tid,
                    pc: t.pc,
                    sp: t.sp,
                    bp: t.bp,
                    lr: 0,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
    fn default_current(&self) -> Option<i64> {
        match &self.engine.src {
            Source::Core(c) => c.threads().first().map(|t| t.tid),
            _ => None,
        }
    }
}

#[pymethods]
impl GoTarget {
    /// Every goroutine as a dict (see wslgo/_native.pyi for the keys).
    /// `threads`: iterable of dicts {tid, pc, sp, bp} (OS thread registers) used for
    /// running goroutines; `current_tid` marks the goroutine on that thread.
    #[pyo3(signature = (threads=None, include_dead=false, max_depth=DEFAULT_MAX_DEPTH, current_tid=None))]
    fn goroutines<'py>(
        &self,
        py: Python<'py>,
        threads: Option<&Bound<'py, PyAny>>,
        include_dead: bool,
        max_depth: usize,
        current_tid: Option<i64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let mut th = parse_threads(threads)?;
        if th.is_empty() {
            th = self.default_threads();
        }
        let cur = current_tid.or_else(|| self.default_current());
        self.engine.goroutines(py, th, include_dead, max_depth, cur)
    }

    /// Unwind one goroutine by id, or from explicit registers (pc, sp[, bp]).
    /// `exact` says pc is an exact instruction address (thread registers).
    #[pyo3(signature = (goid=None, pc=None, sp=None, bp=0, exact=true, max_depth=DEFAULT_MAX_DEPTH))]
    #[allow(clippy::too_many_arguments)]
    fn unwind<'py>(
        &self,
        py: Python<'py>,
        goid: Option<u64>,
        pc: Option<u64>,
        sp: Option<u64>,
        bp: u64,
        exact: bool,
        max_depth: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        if let (Some(pc), Some(sp)) = (pc, sp) {
            return self.engine.unwind(py, pc, sp, bp, exact, max_depth);
        }
        let Some(goid) = goid else {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "unwind() needs goid= or pc= and sp=",
            ));
        };
        let th = self.default_threads();
        let cur = self.default_current();
        let all = self.engine.goroutines(py, th, false, max_depth, cur)?;
        for g in all.iter() {
            let g = g.cast_into::<PyDict>()?;
            if g.get_item("goid")?
                .map(|v| v.extract::<u64>())
                .transpose()?
                == Some(goid)
            {
                let d = PyDict::new(py);
                d.set_item("frames", g.get_item("frames")?)?;
                d.set_item("error", g.get_item("stack_error")?)?;
                d.set_item("truncated", g.get_item("truncated")?)?;
                return Ok(d);
            }
        }
        Err(super::NotFoundError::new_err(format!(
            "no goroutine {goid}"
        )))
    }

    /// Facts about the model: layout source, load bias, Go version, g size.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.engine.info(py)
    }

    /// Group goroutine dicts (as returned by goroutines()) is done in Python; this
    /// returns the engine's own grouping: list of {state, frames, goids, current}.
    #[pyo3(signature = (threads=None, max_depth=DEFAULT_MAX_DEPTH, current_tid=None))]
    fn grouped<'py>(
        &self,
        py: Python<'py>,
        threads: Option<&Bound<'py, PyAny>>,
        max_depth: usize,
        current_tid: Option<i64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let mut th = parse_threads(threads)?;
        if th.is_empty() {
            th = self.default_threads();
        }
        let cur = current_tid.or_else(|| self.default_current());
        let opts = Options {
            include_dead: false,
            max_depth,
            current_tid: cur,
        };
        let e = &self.engine;
        let buckets = py.detach(|| {
            guarded(|| {
                let gs = e.rt.goroutines(e.src.mem(), e.bias, &th, &opts)?;
                Ok(group(&gs))
            })
        })?;
        let out = PyList::empty(py);
        for b in &buckets {
            let d = PyDict::new(py);
            d.set_item("state", &b.state)?;
            d.set_item("frames", b.frames.clone())?;
            d.set_item("goids", b.goids.clone())?;
            d.set_item("current", b.current)?;
            out.append(d)?;
        }
        Ok(out)
    }
    /// Threads known to the source: for a core, list of {tid, pc, sp, bp, signal} (the
    /// first one received the fatal signal); empty otherwise (pass gdb's threads).
    fn threads<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        if let Source::Core(c) = &self.engine.src {
            for t in c.threads() {
                let d = PyDict::new(py);
                d.set_item("tid", t.tid)?;
                d.set_item("pc", t.pc)?;
                d.set_item("sp", t.sp)?;
                d.set_item("bp", t.bp)?;
                d.set_item("signal", t.signal)?;
                out.append(d)?;
            }
        }
        Ok(out)
    }

    /// The process id (Process only), else None.
    #[getter]
    fn pid(&self) -> Option<i32> {
        match &self.engine.src {
            Source::Process(m) => Some(m.pid()),
            _ => None,
        }
    }
}

/// Goroutines of a live process, read through /proc/PID/mem (gdb's process may do this
/// for its inferior; so may root).
#[pyclass(name = "Process", module = "wslgo._native", extends = GoTarget, frozen)]
pub struct Process;

#[pymethods]
impl Process {
    #[new]
    fn new(py: Python<'_>, binary: PathBuf, pid: i32) -> PyResult<PyClassInitializer<Self>> {
        let engine = py.detach(|| {
            guarded(|| {
                let (bin, rt) = open_runtime(&binary)?;
                let mem = ProcessMemory::open(pid)?;
                let bias = if bin.is_pie() {
                    mem.load_bias(bin.entry()).unwrap_or(0)
                } else {
                    0
                };
                Ok(Engine {
                    rt,
                    src: Source::Process(mem),
                    bias,
                })
            })
        })?;
        Ok(PyClassInitializer::from(GoTarget { engine }).add_subclass(Process))
    }
}

/// Goroutines of an ELF core file written by `binary`.
#[pyclass(name = "Core", module = "wslgo._native", extends = GoTarget, frozen)]
pub struct Core;

#[pymethods]
impl Core {
    #[new]
    fn new(py: Python<'_>, binary: PathBuf, core: PathBuf) -> PyResult<PyClassInitializer<Self>> {
        let engine = py.detach(|| {
            guarded(|| {
                let (bin, rt) = open_runtime(&binary)?;
                let cf = CoreFile::open(&core, bin)?;
                let bias = cf.load_bias();
                Ok(Engine {
                    rt,
                    src: Source::Core(cf),
                    bias,
                })
            })
        })?;
        Ok(PyClassInitializer::from(GoTarget { engine }).add_subclass(Core))
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
        binary: PathBuf,
        read: Py<PyAny>,
        load_bias: u64,
    ) -> PyResult<PyClassInitializer<Self>> {
        let (_, rt) = py.detach(|| guarded(|| open_runtime(&binary)))?;
        let engine = Engine {
            rt,
            src: Source::Callback(PyCallbackMemory { func: read }),
            bias: load_bias,
        };
        Ok(PyClassInitializer::from(GoTarget { engine }).add_subclass(Callback))
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<GoTarget>()?;
    m.add_class::<Process>()?;
    m.add_class::<Core>()?;
    m.add_class::<Callback>()?;
    Ok(())
}
