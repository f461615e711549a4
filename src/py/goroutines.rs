//! Python view of the goroutine engine: `Process(binary, pid)`, `Core(binary, core)` and
//! `Callback(binary, read_fn)`, each with `.goroutines()` and `.unwind()`. Results are
//! plain Python data (dicts and lists); the heavy work runs with the GIL released.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use super::guarded;
use super::program::{display, ProgramArg, PyCallbackMemory};
use crate::binary::Binary as CoreBinary;
use crate::error::{Error, Result};
use crate::mem::{CoreFile, Memory, ProcessMemory};
use crate::runtime::fatal;
use crate::runtime::fxhash::FxHashMap;
use crate::runtime::listing::{select, ListFilter};
use crate::runtime::panic::PanicLayout;
use crate::runtime::snapshot::{self as snap, Mode, Sink, Style};
use crate::runtime::{
    Census, Frame, GoRuntime, Goroutine, Goroutines, LayoutSource, Options, ThreadRegs,
    UnwindOptions, UnwindStart, DEFAULT_MAX_DEPTH,
};

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

/// The binary and its runtime model (pclntab and DWARF shared with the `Symbols` when
/// given one).
fn open(prog: &ProgramArg) -> Result<(Arc<CoreBinary>, GoRuntime)> {
    let syms = prog.symbols()?;
    Ok((syms.binary().clone(), GoRuntime::new(syms)?))
}

impl Engine {
    /// Where this binary keeps its panic records (DWARF, else by Go version).
    fn panic_layout(&self) -> PanicLayout {
        PanicLayout::new(self.rt.symbols(), self.rt.pclntab().go_minor())
    }

    /// A core's fatal error (`runtime.throw` / `runtime.fatal`): given as `panic` lines to
    /// every goroutine on a thread whose stack is in one of them, and found on the stack of
    /// the thread that received the fatal signal (the first in the core) or of the
    /// goroutine it ran: given to that goroutine when it has none, else (a system stack,
    /// like a deadlock's) returned.
    fn core_fatal_error(&self, gs: &mut Goroutines) -> Option<String> {
        let Source::Core(c) = &self.src else {
            return None;
        };
        let t = c.threads().first()?;
        let entries = fatal::closure_entries(self.rt.pclntab(), self.bias);
        let mem = self.src.mem();
        // Every goroutine on a thread that is in runtime.throw / runtime.fatal threw: when
        // several did at once (concurrent map writes), each is named, not only the one whose
        // thread took the fatal signal.
        let mut first_named = false;
        for g in gs
            .iter_mut()
            .filter(|g| g.error.is_none() && g.thread_id.is_some())
        {
            let Some(i) = g
                .frames
                .iter()
                .position(|f| fatal::THROWERS.contains(&&*f.func))
            else {
                continue;
            };
            let Some(&sp) = g.frames.sps(g.sp).get(i) else {
                continue;
            };
            if let Some(text) = fatal::scan(mem, &entries, sp, g.stack_hi) {
                g.panic.get_or_insert_with(|| vec![text]);
                first_named |= g.thread_id == Some(t.tid);
            }
        }
        if first_named {
            return None;
        }
        if let Some(g) = gs
            .iter_mut()
            .find(|g| g.error.is_none() && g.thread_id == Some(t.tid))
        {
            let lo = if (g.stack_lo..g.stack_hi).contains(&g.sp) {
                g.sp
            } else {
                g.stack_lo
            };
            if let Some(text) = fatal::scan(mem, &entries, lo, g.stack_hi) {
                if g.panic.is_none() {
                    g.panic = Some(vec![text]);
                    return None;
                }
            }
        }
        // the thread's own stack: from the frame of runtime.throw / runtime.fatal (the
        // thread may be in a signal handler on another stack), else from its sp
        let st = self.rt.unwind(
            mem,
            self.bias,
            UnwindStart {
                pc: t.pc,
                sp: t.sp,
                bp: t.bp,
                lr: t.lr,
                exact: true,
            },
            &UnwindOptions {
                max_depth: 64,
                stop_at_user: false,
                main_module: None,
            },
        );
        st.frames
            .iter()
            .zip(&st.sps)
            .filter(|(f, _)| fatal::THROWERS.contains(&&*f.func))
            .map(|(_, sp)| *sp)
            .chain([t.sp])
            .find_map(|sp| fatal::scan(mem, &entries, sp, sp.saturating_add(1 << 20)))
    }
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

/// Converts engine records to Python data. Keys are interned; strings, frame dicts and
/// `go` statement dicts are shared between goroutines (100k goroutines have a few hundred
/// distinct frames), so treat the returned frame dicts as read-only.
struct Conv<'py> {
    py: Python<'py>,
    arcs: FxHashMap<usize, Bound<'py, PyString>>,
    frames: FxHashMap<(u64, usize, usize, u32, bool), Bound<'py, PyDict>>,
    gostmt: FxHashMap<u64, Bound<'py, PyDict>>,
}

impl<'py> Conv<'py> {
    fn new(py: Python<'py>) -> Self {
        Conv {
            py,
            arcs: FxHashMap::default(),
            frames: FxHashMap::default(),
            gostmt: FxHashMap::default(),
        }
    }

    fn arc(&mut self, v: &Arc<str>) -> Bound<'py, PyString> {
        let key = Arc::as_ptr(v) as *const u8 as usize;
        if let Some(p) = self.arcs.get(&key) {
            return p.clone();
        }
        let p = PyString::new(self.py, v);
        self.arcs.insert(key, p.clone());
        p
    }

    fn frame(&mut self, f: &Frame) -> PyResult<Bound<'py, PyDict>> {
        let key = (
            f.pc,
            Arc::as_ptr(&f.func) as *const u8 as usize,
            Arc::as_ptr(&f.file) as *const u8 as usize,
            f.line,
            f.inlined,
        );
        if let Some(d) = self.frames.get(&key) {
            return Ok(d.clone());
        }
        let py = self.py;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "func"), self.arc(&f.func))?;
        d.set_item(intern!(py, "file"), self.arc(&f.file))?;
        d.set_item(intern!(py, "line"), f.line)?;
        d.set_item(intern!(py, "pc"), f.pc)?;
        d.set_item(intern!(py, "entry"), f.entry)?;
        d.set_item(intern!(py, "inlined"), f.inlined)?;
        d.set_item(intern!(py, "wrapper"), f.wrapper)?;
        self.frames.insert(key, d.clone());
        Ok(d)
    }

    fn frames(&mut self, fr: &[Frame]) -> PyResult<Bound<'py, PyList>> {
        let dicts = fr
            .iter()
            .map(|f| self.frame(f))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(self.py, dicts)
    }

    /// An unwind's result: {frames, frame_sp, error, truncated, fp_mismatches}.
    fn unwound(
        &mut self,
        frames: &[Frame],
        sps: &[u64],
        error: Option<&str>,
        truncated: bool,
        fp_mismatches: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(self.py);
        d.set_item("frames", self.frames(frames)?)?;
        d.set_item("frame_sp", sps)?;
        d.set_item("error", error)?;
        d.set_item("truncated", truncated)?;
        d.set_item("fp_mismatches", fp_mismatches)?;
        Ok(d)
    }

    fn goroutine(&mut self, g: &Goroutine) -> PyResult<Bound<'py, PyDict>> {
        let py = self.py;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "goid"), g.goid)?;
        d.set_item(intern!(py, "addr"), g.addr)?;
        d.set_item(intern!(py, "status"), g.status)?;
        d.set_item(intern!(py, "status_name"), self.arc(&g.status_name))?;
        d.set_item(intern!(py, "state"), self.arc(&g.state))?;
        d.set_item(intern!(py, "wait_reason"), self.arc(&g.wait_reason))?;
        d.set_item(intern!(py, "waitsince"), g.waitsince)?;
        d.set_item(intern!(py, "pc"), g.pc)?;
        d.set_item(intern!(py, "sp"), g.sp)?;
        d.set_item(intern!(py, "bp"), g.bp)?;
        d.set_item(intern!(py, "regs"), g.regs.as_str())?;
        d.set_item(intern!(py, "stack_lo"), g.stack_lo)?;
        d.set_item(intern!(py, "stack_hi"), g.stack_hi)?;
        d.set_item(intern!(py, "frames"), self.frames(&g.frames)?)?;
        d.set_item(intern!(py, "frame_sp"), g.frames.sps(g.sp))?;
        d.set_item(intern!(py, "stack_error"), g.stack_error.as_deref())?;
        d.set_item(intern!(py, "truncated"), g.truncated)?;
        d.set_item(intern!(py, "fp_mismatches"), g.fp_mismatches)?;
        d.set_item(intern!(py, "user_frame"), g.user_frame)?;
        d.set_item(intern!(py, "main_module_frame"), g.main_module_frame)?;
        match &g.go_statement {
            Some(l) => {
                let gs = match self.gostmt.get(&l.pc) {
                    Some(gs) => gs.clone(),
                    None => {
                        let gs = PyDict::new(py);
                        gs.set_item(intern!(py, "func"), self.arc(&l.func))?;
                        gs.set_item(intern!(py, "file"), self.arc(&l.file))?;
                        gs.set_item(intern!(py, "line"), l.line)?;
                        gs.set_item(intern!(py, "pc"), l.pc)?;
                        self.gostmt.insert(l.pc, gs.clone());
                        gs
                    }
                };
                d.set_item(intern!(py, "go_statement"), gs)?;
            }
            None => d.set_item(intern!(py, "go_statement"), py.None())?,
        }
        match &g.start_func {
            Some(sf) => d.set_item(intern!(py, "start_func"), self.arc(sf))?,
            None => d.set_item(intern!(py, "start_func"), py.None())?,
        }
        d.set_item(intern!(py, "parent_goid"), g.parent_goid)?;
        let labels = PyDict::new(py);
        for (k, v) in &g.labels {
            labels.set_item(k, v)?;
        }
        d.set_item(intern!(py, "labels"), labels)?;
        d.set_item(intern!(py, "thread_id"), g.thread_id)?;
        d.set_item(intern!(py, "m_id"), g.m_id)?;
        d.set_item(intern!(py, "locked_to_thread"), g.locked_to_thread)?;
        d.set_item(intern!(py, "system"), g.system)?;
        d.set_item(intern!(py, "current"), g.current)?;
        d.set_item(intern!(py, "error"), g.error.as_deref())?;
        Ok(d)
    }
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
            stop_at_user_frame: false,
            only_current: false,
            only_goid: None,
        };
        let gs = py.detach(|| {
            guarded(|| {
                self.rt
                    .goroutines(self.src.mem(), self.bias, &threads, &opts)
            })
        })?;
        // 100k dicts would trigger many cyclic-GC passes over everything allocated so far;
        // none of these objects can form a cycle, so pause the collector meanwhile.
        let gc = py.import("gc")?;
        let was_enabled = gc.call_method0("isenabled")?.is_truthy()?;
        if was_enabled {
            gc.call_method0("disable")?;
        }
        let mut conv = Conv::new(py);
        let dicts = gs
            .iter()
            .map(|g| conv.goroutine(g))
            .collect::<PyResult<Vec<_>>>();
        if was_enabled {
            gc.call_method0("enable")?;
        }
        PyList::new(py, dicts?)
    }

    fn unwind<'py>(
        &self,
        py: Python<'py>,
        regs: ThreadRegs,
        exact: bool,
        max_depth: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let st = py.detach(|| {
            guarded(|| {
                Ok(self.rt.unwind(
                    self.src.mem(),
                    self.bias,
                    UnwindStart {
                        pc: regs.pc,
                        sp: regs.sp,
                        bp: regs.bp,
                        lr: regs.lr,
                        exact,
                    },
                    &UnwindOptions {
                        max_depth,
                        stop_at_user: false,
                        main_module: None,
                    },
                ))
            })
        })?;
        Conv::new(py).unwound(
            &st.frames,
            &st.sps,
            st.error.as_deref(),
            st.truncated,
            st.fp_mismatches,
        )
    }

    /// Goroutine `goid` (stack unwound to `max_depth`); NotFound when absent or dead.
    fn find(
        &self,
        goid: u64,
        threads: &[ThreadRegs],
        current_tid: Option<i64>,
        max_depth: usize,
    ) -> Result<Goroutine> {
        let opts = Options {
            include_dead: true,
            max_depth,
            current_tid,
            stop_at_user_frame: false,
            only_current: false,
            only_goid: Some(goid),
        };
        let gs = self
            .rt
            .goroutines(self.src.mem(), self.bias, threads, &opts)?;
        let Some(g) = gs.into_iter().find(|g| g.goid == goid && g.error.is_none()) else {
            return Err(Error::NotFound(format!("no goroutine {goid}")));
        };
        let st = &self.rt.layout().status;
        let s = g.status & !st.scan;
        if s == st.dead || Some(s) == st.deadextra {
            return Err(Error::NotFound(format!("goroutine {goid} is dead")));
        }
        Ok(g)
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
            Source::Core(c) => c.threads().iter().map(ThreadRegs::from).collect(),
            _ => Vec::new(),
        }
    }
    /// The threads and current thread a call names, else the source's own (core notes).
    fn thread_args(
        &self,
        threads: Option<&Bound<'_, PyAny>>,
        current_tid: Option<i64>,
    ) -> PyResult<(Vec<ThreadRegs>, Option<i64>)> {
        let mut th = parse_threads(threads)?;
        if th.is_empty() {
            th = self.default_threads();
        }
        Ok((th, current_tid.or_else(|| self.default_current())))
    }

    fn default_current(&self) -> Option<i64> {
        match &self.engine.src {
            Source::Core(c) => c.threads().first().map(|t| t.tid),
            _ => None,
        }
    }
}

impl GoTarget {
    /// The runtime model and the load bias (for views outside this file).
    pub(crate) fn runtime_and_bias(&self) -> (&GoRuntime, u64) {
        (&self.engine.rt, self.engine.bias)
    }
}

/// Each goroutine's `panic: ...` lines: the chains of the few that are panicking (their
/// `g._panic`, read with the g). A record that cannot be read must not cost the listing:
/// the goroutine is shown without its panic.
fn read_panics(e: &Engine, gs: &mut Goroutines) {
    let pl = e.panic_layout();
    for g in gs.iter_mut() {
        if g.error.is_none() && g.panic_ptr != 0 {
            g.panic = pl.chain(e.src.mem(), e.bias, g.panic_ptr).ok();
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
        let (th, cur) = self.thread_args(threads, current_tid)?;
        self.engine.goroutines(py, th, include_dead, max_depth, cur)
    }

    /// Unwind one goroutine by id, or from explicit registers (pc, sp[, bp, lr]; lr: the
    /// arm64 link register, a frameless leaf's return address).
    /// `exact` says pc is an exact instruction address (thread registers).
    #[pyo3(signature = (goid=None, pc=None, sp=None, bp=0, exact=true, max_depth=DEFAULT_MAX_DEPTH, lr=0))]
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
        lr: u64,
    ) -> PyResult<Bound<'py, PyDict>> {
        if let (Some(pc), Some(sp)) = (pc, sp) {
            let regs = ThreadRegs {
                tid: 0,
                pc,
                sp,
                bp,
                lr,
            };
            return self.engine.unwind(py, regs, exact, max_depth);
        }
        let Some(goid) = goid else {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "unwind() needs goid= or pc= and sp=",
            ));
        };
        let th = self.default_threads();
        let cur = self.default_current();
        let e = &self.engine;
        let g = py.detach(|| guarded(|| e.find(goid, &th, cur, max_depth)))?;
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
        goid: u64,
        threads: Option<&Bound<'py, PyAny>>,
        current_tid: Option<i64>,
        max_depth: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (th, cur) = self.thread_args(threads, current_tid)?;
        let e = &self.engine;
        let found = py.detach(|| guarded(|| e.find(goid, &th, cur, max_depth)))?;
        Conv::new(py).goroutine(&found)
    }

    /// The `panic: ...` lines (oldest first, as the runtime prints them) of each goroutine
    /// whose `runtime.g` is at an address of `gs`; None for one that is not panicking.
    fn panic_lines(&self, py: Python<'_>, gs: Vec<u64>) -> PyResult<Vec<Option<Vec<String>>>> {
        let e = &self.engine;
        py.detach(|| {
            guarded(|| {
                let pl = e.panic_layout();
                gs.iter()
                    .map(|&g| pl.goroutine_panic(e.src.mem(), e.bias, g))
                    .collect()
            })
        })
    }

    /// The `panic: ...` lines of the `runtime._panic` chain at `record` (oldest first).
    fn panic_chain(&self, py: Python<'_>, record: u64) -> PyResult<Vec<String>> {
        let e = &self.engine;
        py.detach(|| guarded(|| e.panic_layout().chain(e.src.mem(), e.bias, record)))
    }

    /// A panic value (type descriptor address, data word) as the runtime prints it.
    fn panic_value(&self, py: Python<'_>, typ: u64, data: u64) -> PyResult<String> {
        let e = &self.engine;
        py.detach(|| guarded(|| e.panic_layout().value(e.src.mem(), e.bias, typ, data)))
    }

    /// The goroutine the OS thread `current_tid` runs (running or in a system call on
    /// it, as the runtime's m records), without its stack; None when the thread runs no
    /// goroutine. Only that one record is converted to Python.
    #[pyo3(signature = (current_tid, threads=None))]
    fn current_goroutine<'py>(
        &self,
        py: Python<'py>,
        current_tid: Option<i64>,
        threads: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let (th, cur) = self.thread_args(threads, current_tid)?;
        let e = &self.engine;
        let found = py.detach(|| {
            guarded(|| match cur {
                Some(tid) => e.rt.current_goroutine(e.src.mem(), e.bias, &th, tid),
                None => Ok(None),
            })
        })?;
        found.map(|g| Conv::new(py).goroutine(&g)).transpose()
    }

    /// Facts about the model: layout source, load bias, Go version, g size.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.engine.info(py)
    }

    /// One enumeration of the goroutines, kept to be formatted in every view (see
    /// `Snapshot`). `scope`: "all" unwinds every stack, "user" each stack down to its
    /// first frame outside the runtime (enough for the list), "current" only the current
    /// goroutine's (the stop context: states and counts of the others, no stacks).
    /// `panics`: also read each goroutine's `_panic` chain (the `panic` field of JSON and
    /// `Snapshot.panics`).
    #[pyo3(signature = (threads=None, include_dead=false, current_tid=None, max_depth=DEFAULT_MAX_DEPTH, scope="all", panics=false))]
    #[allow(clippy::too_many_arguments)] // the Python keyword arguments, one each
    fn snapshot(
        &self,
        py: Python<'_>,
        threads: Option<&Bound<'_, PyAny>>,
        include_dead: bool,
        current_tid: Option<i64>,
        max_depth: usize,
        scope: &str,
        panics: bool,
    ) -> PyResult<Snapshot> {
        let (th, cur) = self.thread_args(threads, current_tid)?;
        let rank = match scope {
            "current" => 0u8,
            "user" => 1,
            "all" => 2,
            _ => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "snapshot scope {scope:?}: one of current, user, all"
                )))
            }
        };
        let opts = Options {
            include_dead,
            max_depth,
            current_tid: cur,
            stop_at_user_frame: rank == 1,
            only_current: rank == 0,
            only_goid: None,
        };
        let e = &self.engine;
        let (gs, others, fatal) = py.detach(|| {
            guarded(|| {
                let (mut gs, others) = e.rt.enumerate(e.src.mem(), e.bias, &th, &opts)?;
                let mut fatal = None;
                if panics {
                    read_panics(e, &mut gs);
                    fatal = e.core_fatal_error(&mut gs);
                }
                Ok((gs, others, fatal))
            })
        })?;
        Ok(Snapshot {
            gs,
            others,
            rank,
            include_dead,
            fatal,
        })
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

/// The goroutines of one enumeration: every view (`render`), the counts (`summary`), and
/// single goroutines as dicts. Immutable: a stop's snapshot serves every command until the
/// program resumes.
#[pyclass(name = "Snapshot", module = "wslgo._native", frozen)]
pub struct Snapshot {
    /// The goroutines kept: all of them, or for the "current" scope only those that can
    /// be current (and unreadable records).
    gs: Goroutines,
    /// Goroutines the "current" scope counted without keeping.
    others: Census,
    rank: u8,
    include_dead: bool,
    fatal: Option<String>,
}

impl Snapshot {
    /// The goroutines kept (for views outside this file: the pprof profile).
    pub(crate) fn records(&self) -> &Goroutines {
        &self.gs
    }
}

fn style_of(style: Option<std::collections::HashMap<String, (String, String)>>) -> Style {
    let mut st = Style::default();
    if let Some(m) = style {
        st.func = m.get("func").cloned().unwrap_or_default();
        st.file = m.get("file").cloned().unwrap_or_default();
        st.addr = m.get("addr").cloned().unwrap_or_default();
    }
    st
}

#[pymethods]
impl Snapshot {
    /// How much of the stacks it holds: "current", "user" or "all".
    #[getter]
    fn scope(&self) -> &'static str {
        match self.rank {
            0 => "current",
            1 => "user",
            _ => "all",
        }
    }

    /// Whether dead goroutines are included.
    #[getter]
    fn include_dead(&self) -> bool {
        self.include_dead
    }

    fn __len__(&self) -> usize {
        self.gs.len() + self.others.others
    }

    /// `N goroutines (M system[, K unreadable])`.
    fn summary(&self) -> String {
        snap::summary(self.gs.iter(), &self.others)
    }

    /// (goid, `panic: ...` lines) of each panicking goroutine, by goid (empty unless the
    /// snapshot was taken with `panics=True`).
    fn panics(&self) -> Vec<(u64, Vec<String>)> {
        let mut out: Vec<(u64, Vec<String>)> = self
            .gs
            .iter()
            .filter_map(|g| g.panic.clone().map(|p| (g.goid, p)))
            .collect();
        out.sort_by_key(|(goid, _)| *goid);
        out
    }

    /// The fatal error of a core that no goroutine's `panic` lines hold (one thrown on a
    /// system stack, like a deadlock's), when the snapshot was taken with `panics=True`.
    #[getter]
    fn fatal_error(&self) -> Option<String> {
        self.fatal.clone()
    }

    /// Every goroutine id, in enumeration order (of a "current" snapshot: the goroutines
    /// it kept, those that can be current).
    fn goids(&self) -> Vec<u64> {
        self.gs.iter().map(|g| g.goid).collect()
    }

    /// The current goroutine as a dict (the keys of `GoTarget.goroutines()`), or None.
    fn current<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.gs
            .iter()
            .find(|g| g.current)
            .map(|g| Conv::new(py).goroutine(g))
            .transpose()
    }

    /// Goroutine `goid` as a dict, or None (also for one a "current" snapshot only
    /// counted).
    fn goroutine<'py>(&self, py: Python<'py>, goid: u64) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.gs
            .iter()
            .find(|g| g.goid == goid && g.error.is_none())
            .map(|g| Conv::new(py).goroutine(g))
            .transpose()
    }

    /// The stop context: the current goroutine's top `depth` frames and the counts.
    #[pyo3(signature = (depth=6, style=None))]
    fn brief(
        &self,
        depth: usize,
        style: Option<std::collections::HashMap<String, (String, String)>>,
    ) -> String {
        snap::brief(self.gs.iter(), &self.others, depth, &style_of(style))
    }

    /// Filter, order and format in `mode` (list, full, group, default, json, json-group,
    /// jsonl, jsonl-group). With `write`, the text goes to `write(chunk)` in chunks of
    /// about 64 KiB and `text` is empty; else it is returned. Returns {text, shown,
    /// missing, relative}. `now` is the runtime's clock (nanotime, CLOCK_MONOTONIC) for wait
    /// durations; without it they are relative to the newest `waitsince` (`relative`).
    /// `min_wait` (ns) keeps goroutines waiting at least that long.
    #[pyo3(signature = (mode, *, states=Vec::new(), waits=Vec::new(), func_match=None, user_only=false, labels=Vec::new(), goids=Vec::new(), depth=None, style=None, pretty=false, no_goroutine=String::new(), write=None, top=false, now=None, min_wait=None, thread_nums=None))]
    #[allow(clippy::too_many_arguments)]
    fn render<'py>(
        &self,
        py: Python<'py>,
        mode: &str,
        states: Vec<String>,
        waits: Vec<String>,
        func_match: Option<Bound<'py, PyAny>>,
        user_only: bool,
        labels: Vec<String>,
        goids: Vec<u64>,
        depth: Option<usize>,
        style: Option<std::collections::HashMap<String, (String, String)>>,
        pretty: bool,
        no_goroutine: String,
        write: Option<Bound<'py, PyAny>>,
        top: bool,
        now: Option<i64>,
        min_wait: Option<i64>,
        thread_nums: Option<BTreeMap<i64, u64>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let Some(m) = Mode::parse(mode, pretty) else {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "unknown view {mode:?}"
            )));
        };
        let flt = ListFilter {
            states,
            waits,
            user_only,
            labels,
            goids,
        };
        let shown = match &func_match {
            None => select::<PyErr>(self.gs.iter(), &flt, None)?,
            Some(f) => {
                let mut call = |s: &str| -> PyResult<bool> { f.call1((s,))?.is_truthy() };
                select(self.gs.iter(), &flt, Some(&mut call))?
            }
        };
        // Without the live clock (a core), waits are measured from the newest timestamp
        // the snapshot holds.
        let relative = now.is_none();
        let now = now.or_else(|| self.gs.iter().map(|g| g.waitsince).filter(|w| *w > 0).max());
        let mut shown = shown;
        if let Some(min) = min_wait {
            shown.retain(|g| {
                g.waitsince > 0 && now.is_some_and(|n| n.saturating_sub(g.waitsince) >= min)
            });
        }
        let mut st = style_of(style);
        st.top = top;
        st.now = now;
        st.thread_nums = thread_nums.map(Arc::new);
        st.fatal = self.fatal.clone();
        let mut text = String::new();
        match &write {
            Some(w) => streamed(w, |sink| {
                snap::render(&shown, m, depth, &st, &no_goroutine, sink)
            })?,
            None => {
                let mut flush = |chunk: &str| -> std::result::Result<(), Infallible> {
                    text.push_str(chunk);
                    Ok(())
                };
                let mut sink = Sink::new(&mut flush);
                snap::render(&shown, m, depth, &st, &no_goroutine, &mut sink)
                    .and_then(|()| sink.finish())
                    .unwrap_or_else(|e| match e {});
            }
        }
        let mut missing: Vec<u64> = flt
            .goids
            .iter()
            .copied()
            .filter(|id| !self.gs.iter().any(|g| g.goid == *id))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        let d = PyDict::new(py);
        d.set_item("text", text)?;
        d.set_item("shown", shown.len())?;
        d.set_item("missing", missing)?;
        d.set_item("relative", relative && now.is_some())?;
        Ok(d)
    }
}

/// Hand the text `render` makes to `write` (a Python callable) in chunks, formatting on a
/// second thread meanwhile: gdb's output costs about as much per byte as the formatting
/// (JSON of 100,000 goroutines is 140 MB), so the two overlap. A few chunks wait at most;
/// when `write` raises, the formatting stops and the error is returned.
fn streamed<'s>(
    write: &Bound<'_, PyAny>,
    render: impl FnOnce(&mut Sink<'_, ()>) -> std::result::Result<(), ()> + Send + 's,
) -> PyResult<()> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<String>(4);
    std::thread::scope(|s| {
        let maker = s.spawn(move || {
            guarded(|| {
                let mut flush = |chunk: &str| tx.send(chunk.to_string()).map_err(|_| ());
                let mut sink = Sink::new(&mut flush);
                // Err: the writer stopped taking chunks (its error is the one reported).
                let _ = render(&mut sink).and_then(|()| sink.finish());
                Ok(())
            })
        });
        let mut wrote = Ok(());
        for chunk in rx.iter() {
            if let Err(e) = write.call1((chunk,)) {
                wrote = Err(e);
                break;
            }
        }
        drop(rx);
        let made = maker.join().unwrap_or_else(|_| {
            Err(pyo3::exceptions::PyRuntimeError::new_err(
                "internal error in wslgo's native module: the formatting thread died",
            ))
        });
        wrote.and(made)
    })
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
        let engine = py.detach(|| {
            guarded(|| {
                let (bin, rt) = open(&prog)?;
                let mem = ProcessMemory::open(pid)?;
                let bias = if bin.is_pie() {
                    mem.load_bias(bin.entry()).unwrap_or(0)
                } else {
                    0
                };
                // A live process always maps the executable's headers: not finding them
                // is a mismatch too.
                if !crate::mem::check_same_executable(&mem, &bin, bias, &format!("process {pid}"))? {
                    return Err(Error::Mismatch(format!(
                        "process {pid} does not run {}: nothing readable where its ELF header should be mapped",
                        display(&bin)
                    )));
                }
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
    fn new(
        py: Python<'_>,
        binary: &Bound<'_, PyAny>,
        core: PathBuf,
    ) -> PyResult<PyClassInitializer<Self>> {
        let prog = ProgramArg::from_py(binary)?;
        let engine = py.detach(|| {
            guarded(|| {
                let (bin, rt) = open(&prog)?;
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
        binary: &Bound<'_, PyAny>,
        read: Py<PyAny>,
        load_bias: u64,
    ) -> PyResult<PyClassInitializer<Self>> {
        let prog = ProgramArg::from_py(binary)?;
        let (_, rt) = py.detach(|| guarded(|| open(&prog)))?;
        let engine = Engine {
            rt,
            src: Source::Callback(PyCallbackMemory::new(read)),
            bias: load_bias,
        };
        Ok(PyClassInitializer::from(GoTarget { engine }).add_subclass(Callback))
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<GoTarget>()?;
    m.add_class::<Snapshot>()?;
    m.add_class::<Process>()?;
    m.add_class::<Core>()?;
    m.add_class::<Callback>()?;
    Ok(())
}
