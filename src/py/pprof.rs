//! `goroutine_profile(target, snapshot, time_nanos, labels)`: a snapshot's goroutines as the
//! gzipped pprof goroutine profile `runtime/pprof` writes ([`crate::views::pprof`]).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::goroutines::GoTarget;
use super::snapshot::Snapshot;
use crate::pprof::goroutines::ExtraLabels;
use crate::views::pprof;

/// The gzipped goroutine profile (profile.proto) of `snapshot`, taken from `target` (an
/// enumeration of all goroutines with whole stacks), stamped `time_nanos`, with wslgo's
/// own `labels` (`state,wait`; ValueError for another name).
#[pyfunction]
#[pyo3(signature = (target, snapshot, time_nanos, labels = ""))]
fn goroutine_profile<'py>(
    py: Python<'py>,
    target: &GoTarget,
    snapshot: &Snapshot,
    time_nanos: i64,
    labels: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let extra = ExtraLabels::parse(labels).map_err(PyValueError::new_err)?;
    let (t, snap) = (&target.target, &snapshot.snap);
    let bytes =
        py.detach(|| super::guarded(|| Ok(pprof::goroutine_profile(t, snap, time_nanos, extra))))?;
    Ok(PyBytes::new(py, &bytes))
}

/// The gzipped goroutineleak profile of `snapshot` (all goroutines, whole stacks): the
/// goroutines the leak check finds leaked, stamped `time_nanos`.
#[pyfunction]
fn goroutineleak_profile<'py>(
    py: Python<'py>,
    target: &GoTarget,
    snapshot: &Snapshot,
    time_nanos: i64,
) -> PyResult<Bound<'py, PyBytes>> {
    let (t, snap) = (&target.target, &snapshot.snap);
    let bytes = py.detach(|| {
        super::guarded(|| {
            let l = crate::views::leaks::check(t, snap)?;
            Ok(pprof::goroutineleak_profile(
                t,
                snap,
                &l.goids(),
                time_nanos,
            ))
        })
    })?;
    Ok(PyBytes::new(py, &bytes))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(goroutine_profile, m)?)?;
    m.add_function(wrap_pyfunction!(goroutineleak_profile, m)?)?;
    Ok(())
}
