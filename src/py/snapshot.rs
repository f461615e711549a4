//! Python view of a goroutine snapshot and its views: `Snapshot` (one enumeration, every
//! view of it) and `View` (the mode, the filter and the decoration of a `render`).

use std::collections::BTreeMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::conv::{style_of, Conv, PyStyle};
use super::{guarded, internal_error, to_py};
use crate::ids::GoId;
use crate::runtime::target::Snapshot as CoreSnapshot;
use crate::views::{self, Filter, Mode, Stopped};

/// The goroutines of one enumeration: every view (`render`), the counts (`summary`), and
/// single goroutines as dicts. Immutable: a stop's snapshot serves every command until the
/// program resumes.
#[pyclass(name = "Snapshot", module = "wslgo._native", frozen)]
pub struct Snapshot {
    /// The core snapshot (shared with the other views bound beside this file).
    pub(crate) snap: CoreSnapshot,
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
    fn panics(&self) -> Vec<(GoId, Vec<String>)> {
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
    fn goids(&self) -> Vec<GoId> {
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
    fn goroutine<'py>(&self, py: Python<'py>, goid: GoId) -> PyResult<Option<Bound<'py, PyDict>>> {
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
        let (v, snap) = (&view.view, &self.snap);
        let mut text = String::new();
        let got = match &write {
            Some(w) => views::render_streamed(snap, v, now, |chunk| w.call1((chunk,)).map(drop)),
            None => views::render_streamed(snap, v, now, |chunk| {
                text.push_str(&chunk);
                Ok(())
            }),
        }
        .map_err(|e| match e {
            Stopped::Write(e) => e,
            Stopped::Failed(e) => to_py(e),
            Stopped::Panicked(what) => internal_error(&what),
        })?;
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
/// module's goroutines, pprof labels, ids (only those when `only_ids`, even none),
/// `min_wait` ns of waiting), the frames (`depth`,
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
        goids: Vec<GoId>,
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

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Snapshot>()?;
    m.add_class::<View>()?;
    Ok(())
}
