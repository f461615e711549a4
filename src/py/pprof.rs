//! `goroutine_profile(target, snapshot, time_nanos)`: a snapshot's goroutines as the
//! gzipped pprof goroutine profile `runtime/pprof` writes (see `crate::pprof`).

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::goroutines::{GoTarget, Snapshot};
use crate::pprof::{goroutines::samples, write_count_profile, CountProfile, Mapping};
use crate::runtime::GoRuntime;

/// The executable's text mapping (the PT_LOAD holding the Go text), relocated.
fn mapping(rt: &GoRuntime, bias: u64) -> Vec<Mapping> {
    let bin = rt.binary();
    let text = rt.pclntab().text_start();
    let Some(seg) = bin
        .segments()
        .iter()
        .find(|s| s.addr <= text && text < s.addr.saturating_add(s.size))
    else {
        return Vec::new();
    };
    vec![Mapping {
        start: seg.addr.wrapping_add(bias),
        limit: seg.addr.wrapping_add(seg.size).wrapping_add(bias),
        offset: seg.file_range.0,
        file: bin
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        build_id: bin.build_id_hex().unwrap_or_default(),
    }]
}

/// The gzipped goroutine profile (profile.proto) of `snapshot`, taken from `target` (an
/// enumeration of all goroutines with whole stacks), stamped `time_nanos`.
#[pyfunction]
fn goroutine_profile<'py>(
    py: Python<'py>,
    target: &GoTarget,
    snapshot: &Snapshot,
    time_nanos: i64,
) -> PyResult<Bound<'py, PyBytes>> {
    let (rt, bias) = target.runtime_and_bias();
    let bytes = py.detach(|| {
        super::guarded(|| {
            let profile = CountProfile {
                name: "goroutine".into(),
                samples: samples(snapshot.records().iter(), rt.pclntab()),
                mappings: mapping(rt, bias),
                time_nanos,
            };
            Ok(write_count_profile(&profile))
        })
    })?;
    Ok(PyBytes::new(py, &bytes))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(goroutine_profile, m)?)?;
    Ok(())
}
