//! Conversions between the goroutine engine's types and Python's: thread registers and
//! scopes from Python, records to dicts (shared strings and frames), the view's decoration.

use std::sync::Arc;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::ids::{Addr, GoId, Pc};
use crate::runtime::fxhash::FxHashMap;
use crate::runtime::target::Scope;
use crate::runtime::{Frame, Goroutine, ThreadRegs};
use crate::views::Style;

/// The core's typed numbers ([`GoId`], [`Pc`], [`Addr`]) are Python ints, both ways.
macro_rules! int_newtype {
    ($($t:ident),*) => {$(
        impl<'py> IntoPyObject<'py> for $t {
            type Target = pyo3::types::PyInt;
            type Output = Bound<'py, pyo3::types::PyInt>;
            type Error = std::convert::Infallible;

            fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
                self.0.into_pyobject(py)
            }
        }

        impl<'a, 'py> FromPyObject<'a, 'py> for $t {
            type Error = PyErr;

            fn extract(ob: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
                ob.extract::<u64>().map($t)
            }
        }
    )*};
}

int_newtype!(GoId, Pc, Addr);

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
pub(crate) struct Conv<'py> {
    py: Python<'py>,
    arcs: FxHashMap<usize, Bound<'py, PyString>>,
    frames: FxHashMap<(Pc, usize, usize, u32, bool), Bound<'py, PyDict>>,
    gostmt: FxHashMap<Pc, Bound<'py, PyDict>>,
}

impl<'py> Conv<'py> {
    pub(crate) fn new(py: Python<'py>) -> Self {
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
    pub(crate) fn unwound(
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

    pub(crate) fn goroutine(&mut self, g: &Goroutine) -> PyResult<Bound<'py, PyDict>> {
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
pub(crate) fn dicts<'py>(py: Python<'py>, gs: &[Goroutine]) -> PyResult<Bound<'py, PyList>> {
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

/// A snapshot scope from Python: "current", "user" or "all".
pub(crate) struct PyScope(pub(crate) Scope);

#[allow(non_upper_case_globals)]
impl PyScope {
    pub(crate) const All: PyScope = PyScope(Scope::All);
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

/// Decoration as Python gives it: {"func"|"file"|"addr": (prefix, suffix)}.
pub(crate) type PyStyle = Option<std::collections::HashMap<String, (String, String)>>;

pub(crate) fn style_of(style: PyStyle) -> Style {
    let mut st = Style::default();
    if let Some(m) = style {
        st.func = m.get("func").cloned().unwrap_or_default();
        st.file = m.get("file").cloned().unwrap_or_default();
        st.addr = m.get("addr").cloned().unwrap_or_default();
    }
    st
}
