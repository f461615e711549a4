//! Python view of the goroutine engine: `Process(binary, pid)`, `Core(binary, core)` and
//! `Callback(binary, read_fn)`, each with `.goroutines()` and `.unwind()`. Results are
//! plain Python data (dicts and lists); the heavy work runs with the GIL released.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use super::guarded;
use super::program::{ProgramArg, PyCallbackMemory};
use crate::runtime::fxhash::FxHashMap;
use crate::runtime::target::{Scope, Snapshot as CoreSnapshot, SnapshotOptions, Target};
use crate::runtime::{
    Frame, Goroutine, LayoutSource, Options, ThreadRegs, UnwindStart, DEFAULT_MAX_DEPTH,
};
use crate::views::{self, Filter, Mode, Sink, Style};

/// A thread's registers as Python gives them: a dict with `tid`, `pc` and `sp` (`bp` and
/// `lr` may be left out or None); a missing or misspelled key is an error, not a 0.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct PyThreadRegs {
    tid: i64,
    pc: u64,
    sp: u64,
    #[pyo3(default)]
    bp: Option<u64>,
    #[pyo3(default)]
    lr: Option<u64>,
}

impl From<PyThreadRegs> for ThreadRegs {
    fn from(t: PyThreadRegs) -> Self {
        ThreadRegs {
            tid: t.tid,
            pc: t.pc,
            sp: t.sp,
            bp: t.bp.unwrap_or(0),
            lr: t.lr.unwrap_or(0),
        }
    }
}

pub(crate) fn parse_threads(threads: Option<Vec<PyThreadRegs>>) -> Vec<ThreadRegs> {
    threads
        .unwrap_or_default()
        .into_iter()
        .map(ThreadRegs::from)
        .collect()
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

/// Records as dicts, with the cyclic GC paused: 100k dicts would trigger many passes over
/// everything allocated so far, and none of these objects can form a cycle.
fn dicts<'py>(py: Python<'py>, gs: &[Goroutine]) -> PyResult<Bound<'py, PyList>> {
    let gc = py.import("gc")?;
    let was_enabled = gc.call_method0("isenabled")?.is_truthy()?;
    if was_enabled {
        gc.call_method0("disable")?;
    }
    let mut conv = Conv::new(py);
    let out = gs
        .iter()
        .map(|g| conv.goroutine(g))
        .collect::<PyResult<Vec<_>>>();
    if was_enabled {
        gc.call_method0("enable")?;
    }
    PyList::new(py, out?)
}

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
        goid: Option<u64>,
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
        goid: u64,
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
        py.detach(|| {
            guarded(|| {
                let pl = t.panic_layout();
                gs.iter()
                    .map(|&g| pl.goroutine_panic(t.mem(), t.bias(), g))
                    .collect()
            })
        })
    }

    /// The `panic: ...` lines of the `runtime._panic` chain at `record` (oldest first).
    fn panic_chain(&self, py: Python<'_>, record: u64) -> PyResult<Vec<String>> {
        let t = &self.target;
        py.detach(|| guarded(|| t.panic_layout().chain(t.mem(), t.bias(), record)))
    }

    /// A panic value (type descriptor address, data word) as the runtime prints it.
    fn panic_value(&self, py: Python<'_>, typ: u64, data: u64) -> PyResult<String> {
        let t = &self.target;
        py.detach(|| guarded(|| t.panic_layout().value(t.mem(), t.bias(), typ, data)))
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
        let found = py.detach(|| {
            guarded(|| match cur {
                Some(tid) => t.current_goroutine(&th, tid),
                None => Ok(None),
            })
        })?;
        found.map(|g| Conv::new(py).goroutine(&g)).transpose()
    }

    /// Facts about the model: layout source, load bias, Go version, g size.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let rt = self.target.runtime();
        let d = PyDict::new(py);
        let (src, exact) = match &rt.layout().source {
            LayoutSource::Dwarf => ("dwarf".to_string(), true),
            LayoutSource::Fallback { release, exact } => (format!("fallback {release}"), *exact),
        };
        d.set_item("layout", src)?;
        d.set_item("layout_exact", exact)?;
        d.set_item("load_bias", self.target.bias())?;
        d.set_item("g_size", rt.layout().g.size)?;
        d.set_item(
            "go_version",
            rt.binary().build_info().ok().map(|b| b.go_version),
        )?;
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
        let out = PyList::empty(py);
        for t in self.target.core_threads() {
            let d = PyDict::new(py);
            d.set_item("tid", t.tid)?;
            d.set_item("pc", t.pc)?;
            d.set_item("sp", t.sp)?;
            d.set_item("bp", t.bp)?;
            d.set_item("signal", t.signal)?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// The process id (Process only), else None.
    #[getter]
    fn pid(&self) -> Option<i32> {
        self.target.pid()
    }
}

/// A snapshot scope from Python: "current", "user" or "all".
struct PyScope(Scope);

#[allow(non_upper_case_globals)]
impl PyScope {
    const All: PyScope = PyScope(Scope::All);
}

impl<'a, 'py> FromPyObject<'a, 'py> for PyScope {
    type Error = PyErr;

    fn extract(ob: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let name: String = ob.extract()?;
        Scope::parse(&name).map(PyScope).ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "snapshot scope {name:?}: one of current, user, all"
            ))
        })
    }
}

/// The goroutines of one enumeration: every view (`render`), the counts (`summary`), and
/// single goroutines as dicts. Immutable: a stop's snapshot serves every command until the
/// program resumes.
#[pyclass(name = "Snapshot", module = "wslgo._native", frozen)]
pub struct Snapshot {
    /// The core snapshot (shared with the other views bound beside this file).
    pub(crate) snap: CoreSnapshot,
}

/// Decoration as Python gives it: {"func"|"file"|"addr": (prefix, suffix)}.
type PyStyle = Option<std::collections::HashMap<String, (String, String)>>;

fn style_of(style: PyStyle) -> Style {
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
        self.snap.scope.name()
    }

    /// One line per part of the wait objects that could not be read (a snapshot taken
    /// with `waits=True`).
    #[getter]
    fn wait_errors(&self) -> Vec<String> {
        self.snap.wait_errors.clone()
    }

    /// Whether dead goroutines are included.
    #[getter]
    fn include_dead(&self) -> bool {
        self.snap.include_dead
    }

    fn __len__(&self) -> usize {
        self.snap.len()
    }

    /// `N goroutines (M system[, K unreadable])`.
    fn summary(&self) -> String {
        views::summary(self.snap.gs.iter(), &self.snap.others)
    }

    /// (goid, `panic: ...` lines) of each panicking goroutine, by goid (empty unless the
    /// snapshot was taken with `panics=True`).
    fn panics(&self) -> Vec<(u64, Vec<String>)> {
        self.snap.panics()
    }

    /// The fatal error of a core that no goroutine's `panic` lines hold (one thrown on a
    /// system stack, like a deadlock's), when the snapshot was taken with `panics=True`.
    #[getter]
    fn fatal_error(&self) -> Option<String> {
        self.snap.fatal.clone()
    }

    /// Every goroutine id, in enumeration order (of a "current" snapshot: the goroutines
    /// it kept, those that can be current).
    fn goids(&self) -> Vec<u64> {
        self.snap.gs.iter().map(|g| g.goid).collect()
    }

    /// The current goroutine as a dict (the keys of `GoTarget.goroutines()`), or None.
    fn current<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.snap
            .current()
            .map(|g| Conv::new(py).goroutine(g))
            .transpose()
    }

    /// Goroutine `goid` as a dict, or None (also for one a "current" snapshot only
    /// counted).
    fn goroutine<'py>(&self, py: Python<'py>, goid: u64) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.snap
            .goroutine(goid)
            .map(|g| Conv::new(py).goroutine(g))
            .transpose()
    }

    /// The stop context: the current goroutine's top `depth` frames and the counts.
    #[pyo3(signature = (depth=6, style=None))]
    fn brief(&self, depth: usize, style: PyStyle) -> String {
        views::brief(
            self.snap.gs.iter(),
            &self.snap.others,
            depth,
            &style_of(style),
        )
    }

    /// Filter, order and format as `view` says. With `write`, the text goes to
    /// `write(chunk)` in chunks of about 64 KiB and `text` is empty; else it is returned.
    /// Returns {text, shown, missing, relative}. `now` is the runtime's clock (nanotime,
    /// CLOCK_MONOTONIC) for wait durations; without it they are relative to the newest
    /// `waitsince` (`relative`).
    #[pyo3(signature = (view, *, write=None, now=None))]
    fn render<'py>(
        &self,
        py: Python<'py>,
        view: &View,
        write: Option<Bound<'py, PyAny>>,
        now: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let v = &view.view;
        let snap = &self.snap;
        guarded(|| v.filter.check_states(&snap.state_names))?;
        let (text, got) = match &write {
            Some(w) => (
                String::new(),
                streamed(w, |sink| views::render(snap, v, now, sink))?,
            ),
            None => views::render_text(snap, v, now),
        };
        let d = PyDict::new(py);
        d.set_item("text", text)?;
        d.set_item("shown", got.shown)?;
        d.set_item("missing", got.missing)?;
        d.set_item("relative", got.relative)?;
        Ok(d)
    }
}

/// A view of a snapshot: the mode (list, full, group, default, json, json-group, jsonl,
/// jsonl-group), the goroutines shown (states and wait reasons as case-insensitive
/// substrings, the `func` regex over every frame's function name and file:line, the main
/// module's goroutines, pprof labels, ids (only those when `only_ids`, even none), `min_wait` ns of waiting), the frames (`depth`,
/// `top`) and the decoration (`style`, `pretty` JSON, gdb's `thread_nums`).
#[pyclass(name = "View", module = "wslgo._native", frozen)]
pub struct View {
    view: views::View,
}

#[pymethods]
impl View {
    #[new]
    #[pyo3(signature = (mode, *, states=Vec::new(), waits=Vec::new(), func=None, user_only=false, labels=Vec::new(), goids=Vec::new(), only_ids=false, min_wait=None, depth=None, top=false, style=None, pretty=false, no_goroutine=String::new(), thread_nums=None, current_goid=None))]
    #[allow(clippy::too_many_arguments)] // the Python keyword arguments, one each
    fn new(
        mode: &str,
        states: Vec<String>,
        waits: Vec<String>,
        func: Option<&str>,
        user_only: bool,
        labels: Vec<String>,
        goids: Vec<u64>,
        only_ids: bool,
        min_wait: Option<i64>,
        depth: Option<usize>,
        top: bool,
        style: PyStyle,
        pretty: bool,
        no_goroutine: String,
        thread_nums: Option<BTreeMap<i64, u64>>,
        current_goid: Option<u64>,
    ) -> PyResult<View> {
        let Some(mode) = Mode::parse(mode, pretty) else {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "unknown view {mode:?}"
            )));
        };
        let func = func.map(|f| guarded(|| views::func_regex(f))).transpose()?;
        let mut st = style_of(style);
        st.top = top;
        st.thread_nums = thread_nums.map(Arc::new);
        Ok(View {
            view: views::View {
                mode,
                filter: Filter {
                    states,
                    waits,
                    func,
                    user_only,
                    labels,
                    goids,
                    only_ids,
                    min_wait,
                },
                depth,
                style: st,
                no_goroutine,
                current_goid,
            },
        })
    }
}

/// Hand the text `render` makes to `write` (a Python callable) in chunks, formatting on a
/// second thread meanwhile: gdb's output costs about as much per byte as the formatting
/// (JSON of 100,000 goroutines is 140 MB), so the two overlap. A few chunks wait at most;
/// when `write` raises, the formatting stops and the error is returned.
fn streamed<'s, T: Send>(
    write: &Bound<'_, PyAny>,
    render: impl FnOnce(&mut Sink<'_, ()>) -> std::result::Result<T, ()> + Send + 's,
) -> PyResult<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<String>(4);
    std::thread::scope(|s| {
        let maker = s.spawn(move || {
            guarded(|| {
                let mut flush = |chunk: &str| tx.send(chunk.to_string()).map_err(|_| ());
                let mut sink = Sink::new(&mut flush);
                // Err: the writer stopped taking chunks (its error is the one reported).
                Ok(render(&mut sink)
                    .and_then(|r| sink.finish().map(|()| r))
                    .ok())
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
        wrote?;
        made?.ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("the view's output stopped"))
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
    m.add_class::<Snapshot>()?;
    m.add_class::<View>()?;
    m.add_class::<Process>()?;
    m.add_class::<Core>()?;
    m.add_class::<Callback>()?;
    Ok(())
}
