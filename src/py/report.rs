//! Binding of the HTML report: `report(target, threads=None, current_tid=None,
//! path_map=None)`, the page of [`crate::views::report::render`] over one enumeration of a
//! `GoTarget` (a live process, a core, gdb's memory).

use pyo3::prelude::*;

use super::conv::{parse_threads, PyThreadRegs};
use super::goroutines::GoTarget;
use super::guarded;
use super::wsl::PathMap;
use crate::views::report::{self as view, ReportOptions};

/// The HTML report of `target` (one self-contained page).
#[pyfunction]
#[pyo3(signature = (target, threads=None, current_tid=None, path_map=None))]
fn report(
    py: Python<'_>,
    target: &Bound<'_, GoTarget>,
    threads: Option<Vec<PyThreadRegs>>,
    current_tid: Option<i64>,
    path_map: Option<PyRef<'_, PathMap>>,
) -> PyResult<String> {
    let t = &target.get().target;
    let (th, cur) = t.thread_args(parse_threads(threads), current_tid);
    let opts = ReportOptions {
        path_map: path_map.map(|p| p.inner.clone()),
    };
    py.detach(|| guarded(|| view::render(t, &th, cur, &opts)))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(report, m)?)
}
