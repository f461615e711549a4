//! Binding of the wait view: `waits(target, threads=None, json=False, current_tid=None)`,
//! the text or JSON of `runtime::waits` over one enumeration of a `GoTarget` (a live
//! process, a core, gdb's memory).

use pyo3::prelude::*;

use super::goroutines::GoTarget;
use super::guarded;
use crate::runtime::waits::WaitModel;
use crate::runtime::{waits_view, Options};

/// The wait view of `target`: cycles, then one block per object (text), or the JSON
/// document `{"objects": [...], "cycles": [...], "errors": [...]}`.
#[pyfunction]
#[pyo3(signature = (target, threads=None, json=false, current_tid=None))]
fn waits(
    py: Python<'_>,
    target: &Bound<'_, GoTarget>,
    threads: Option<&Bound<'_, PyAny>>,
    json: bool,
    current_tid: Option<i64>,
) -> PyResult<String> {
    let t = target.get();
    let (th, cur) = t.thread_args(threads, current_tid)?;
    let (rt, mem, bias) = t.parts();
    py.detach(|| {
        guarded(|| {
            let opts = Options {
                current_tid: cur,
                ..Options::default()
            };
            let gs = rt.goroutines(mem, bias, &th, &opts)?;
            let model = WaitModel::new(rt)?;
            let w = model.analyze(rt, &rt.target(mem, bias), &gs);
            Ok(if json {
                waits_view::json(&w)
            } else {
                waits_view::text(&w)
            })
        })
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(waits, m)?)
}
