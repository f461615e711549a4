//! Binding of the wait view: `waits(target, threads=None, json=False, current_tid=None,
//! goid=None)`, the text or JSON of [`crate::views::waits::render`] over one enumeration of
//! a `GoTarget` (a live process, a core, gdb's memory); with `goid`, the chain from that
//! goroutine.

use pyo3::prelude::*;

use super::conv::{parse_threads, PyThreadRegs};
use super::goroutines::GoTarget;
use super::guarded;
use crate::ids::GoId;
use crate::views::waits as view;

/// The wait view of `target`: cycles, then one block per object (text), or the JSON
/// document `{"objects": [...], "cycles": [...], "errors": [...]}`; with `goid`, the chain
/// from that goroutine (`{"chain": [...], "end": {...}}`). `now`: the runtime's clock
/// (nanotime) for wait times; without it they are relative to the newest one recorded.
#[pyfunction]
#[pyo3(signature = (target, threads=None, json=false, current_tid=None, goid=None, now=None))]
fn waits(
    py: Python<'_>,
    target: &Bound<'_, GoTarget>,
    threads: Option<Vec<PyThreadRegs>>,
    json: bool,
    current_tid: Option<i64>,
    goid: Option<GoId>,
    now: Option<i64>,
) -> PyResult<String> {
    let t = &target.get().target;
    let (th, cur) = t.thread_args(parse_threads(threads), current_tid);
    py.detach(|| guarded(|| view::render(t, &th, cur, goid, json, now)))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(waits, m)?)
}
