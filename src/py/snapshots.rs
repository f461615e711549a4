//! `SavedSnapshot` (a `--save` file, written and read in Rust: [`crate::views::snapfile`])
//! and `diff(a, b, ...)`, the report of two of them ([`crate::views::diff`]).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::goroutines::GoTarget;
use super::snapshot::Snapshot;
use crate::binary::open_regular;
use crate::views::diff as report;
use crate::views::snapfile::Saved;

/// The goroutines of one moment, as a `--save` file holds them.
#[pyclass(frozen, module = "wslgo._native")]
pub struct SavedSnapshot {
    saved: Saved,
}

#[pymethods]
impl SavedSnapshot {
    /// The saved form of `snapshot` (whole stacks) of `target`, at wall clock `time_nanos`
    /// and runtime clock `now` (None for a core).
    #[staticmethod]
    #[pyo3(signature = (target, snapshot, time_nanos, now = None))]
    fn of(
        py: Python<'_>,
        target: &GoTarget,
        snapshot: &Snapshot,
        time_nanos: i64,
        now: Option<i64>,
    ) -> SavedSnapshot {
        let (t, snap) = (&target.target, &snapshot.snap);
        let saved = py.detach(|| {
            let bin = t.runtime().binary();
            let path = bin
                .path()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            Saved::of(
                snap,
                path,
                bin.build_id_hex().unwrap_or_default(),
                time_nanos,
                now,
            )
        });
        SavedSnapshot { saved }
    }

    /// Reads a snapshot file (ValueError when it is not one).
    #[staticmethod]
    fn read(py: Python<'_>, path: PathBuf) -> PyResult<SavedSnapshot> {
        let saved = py.detach(|| {
            super::guarded(|| {
                let f = open_regular(&path, "a wslgo snapshot")?;
                Saved::read(f)
            })
        })?;
        Ok(SavedSnapshot { saved })
    }

    /// The file's bytes (gzipped JSON Lines).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| self.saved.to_bytes());
        PyBytes::new(py, &bytes)
    }

    /// The binary's build id (hex, empty if none).
    #[getter]
    fn build_id(&self) -> &str {
        &self.saved.build_id
    }

    /// Wall clock of the moment, ns since the Unix epoch.
    #[getter]
    fn time_nanos(&self) -> i64 {
        self.saved.time_nanos
    }

    fn __len__(&self) -> usize {
        self.saved.gs.len()
    }
}

/// The report comparing `a` (before) with `b` (after): text, or JSON with `json`.
#[pyfunction]
#[pyo3(signature = (a, b, json = false, pretty = false, all_groups = false))]
fn diff(
    py: Python<'_>,
    a: &SavedSnapshot,
    b: &SavedSnapshot,
    json: bool,
    pretty: bool,
    all_groups: bool,
) -> String {
    py.detach(|| {
        let d = report::diff(&a.saved, &b.saved);
        if json {
            report::render_json(&d, pretty)
        } else {
            report::render_text(&d, all_groups)
        }
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SavedSnapshot>()?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    Ok(())
}
