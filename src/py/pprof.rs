//! `goroutine_profile(target, snapshot, time_nanos)`: a snapshot's goroutines as the
//! gzipped pprof goroutine profile `runtime/pprof` writes ([`crate::views::pprof`]).

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::goroutines::GoTarget;
use super::snapshot::Snapshot;
use crate::views::pprof;

/// The gzipped goroutine profile (profile.proto) of `snapshot`, taken from `target` (an
/// enumeration of all goroutines with whole stacks), stamped `time_nanos`.
#[pyfunction]
fn goroutine_profile<'py>(
    py: Python<'py>,
    target: &GoTarget,
    snapshot: &Snapshot,
    time_nanos: i64,
) -> PyResult<Bound<'py, PyBytes>> {
    let (t, snap) = (&target.target, &snapshot.snap);
    let bytes =
        py.detach(|| super::guarded(|| Ok(pprof::goroutine_profile(t, snap, time_nanos))))?;
    Ok(PyBytes::new(py, &bytes))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(goroutine_profile, m)?)?;
    Ok(())
}
