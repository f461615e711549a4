//! Binding of the wait view: `waits(target, threads=None, json=False, current_tid=None,
//! goid=None)`, the text or JSON of `runtime::waits` over one enumeration of a `GoTarget`
//! (a live process, a core, gdb's memory); with `goid`, the chain from that goroutine.

use pyo3::prelude::*;

use super::goroutines::GoTarget;
use super::guarded;
use crate::runtime::waits::WaitModel;
use crate::runtime::{waits_view, Options};

/// The wait view of `target`: cycles, then one block per object (text), or the JSON
/// document `{"objects": [...], "cycles": [...], "errors": [...]}`; with `goid`, the chain
/// from that goroutine (`{"chain": [...], "end": {...}}`).
#[pyfunction]
#[pyo3(signature = (target, threads=None, json=false, current_tid=None, goid=None))]
fn waits(
    py: Python<'_>,
    target: &Bound<'_, GoTarget>,
    threads: Option<&Bound<'_, PyAny>>,
    json: bool,
    current_tid: Option<i64>,
    goid: Option<u64>,
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
            Ok(match (goid, json) {
                (Some(g), true) => waits_view::chain_json(&w, g),
                (Some(g), false) => waits_view::chain_text(&w, g),
                (None, true) => waits_view::json(&w),
                (None, false) => waits_view::text(&w),
            })
        })
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(waits, m)?)
}
