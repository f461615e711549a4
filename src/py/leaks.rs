//! Binding of the leak view: `leaks(target, threads=None, json=False, current_tid=None)`,
//! the text or JSON of [`crate::views::leaks::render`] over one enumeration of a `GoTarget`;
//! `leaked_goids(target, snapshot)`, the ids `--leaked` keeps.

use pyo3::prelude::*;

use super::conv::{parse_threads, PyThreadRegs};
use super::goroutines::GoTarget;
use super::guarded;
use super::snapshot::Snapshot;
use crate::views::leaks as view;

/// The leaked goroutines of `target`: a summary line and their groups (text), or the JSON
/// document `{"leaked": [...], "groups": [...], "blocked": N, "heap_bytes": N, ...}`.
#[pyfunction]
#[pyo3(signature = (target, threads=None, json=false, current_tid=None))]
fn leaks(
    py: Python<'_>,
    target: &Bound<'_, GoTarget>,
    threads: Option<Vec<PyThreadRegs>>,
    json: bool,
    current_tid: Option<i64>,
) -> PyResult<String> {
    let t = &target.get().target;
    let (th, cur) = t.thread_args(parse_threads(threads), current_tid);
    py.detach(|| guarded(|| view::render(t, &th, cur, json)))
}

/// The ids of the goroutines of `snapshot` (taken from `target`) the leak check finds
/// leaked, ascending (when the heap cannot be read: only those blocked forever by
/// construction or by the runtime, as `wslgo leaks` says).
#[pyfunction]
fn leaked_goids(py: Python<'_>, target: &GoTarget, snapshot: &Snapshot) -> PyResult<Vec<u64>> {
    let (t, snap) = (&target.target, &snapshot.snap);
    py.detach(|| guarded(|| Ok(view::check(t, snap)?.goids())))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(leaks, m)?)?;
    m.add_function(wrap_pyfunction!(leaked_goids, m)?)
}
