//! Python view of [`crate::diagnose`]: a log scanner fed chunks of bytes.

use pyo3::prelude::*;

use crate::diagnose::{Scanner, PATTERNS};

/// One known problem: (name, cause, fix, first line numbers, count, first line).
type PyHit = (String, String, String, Vec<u64>, u64, String);

/// Reads a gdb / delve / VS Code log in chunks and names its known failures.
#[pyclass(name = "LogScan", module = "wslgo._native")]
pub struct LogScan {
    inner: Option<Scanner>,
}

#[pymethods]
impl LogScan {
    #[new]
    fn new() -> Self {
        Self {
            inner: Some(Scanner::new()),
        }
    }

    /// Feed the next bytes of the log (any chunking).
    fn feed(&mut self, chunk: &[u8]) {
        if let Some(s) = self.inner.as_mut() {
            s.feed(chunk);
        }
    }

    /// The report: (known problems in pattern order, unknown (line, text) lines kept,
    /// how many unknown lines, how many lines). The scanner is spent afterwards.
    fn finish(&mut self) -> (Vec<PyHit>, Vec<(u64, String)>, u64, u64) {
        let r = self.inner.take().unwrap_or_default().finish();
        let hits = r
            .hits
            .into_iter()
            .map(|h| {
                (
                    h.pattern.name.to_string(),
                    h.pattern.cause.to_string(),
                    h.pattern.fix.to_string(),
                    h.lines,
                    h.count,
                    h.first,
                )
            })
            .collect();
        (hits, r.unknown, r.unknown_count, r.total)
    }
}

/// The known failures: (name, regex, cause, fix), in the order they are tried.
#[pyfunction]
fn log_patterns() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    PATTERNS
        .iter()
        .map(|p| (p.name, p.regex, p.cause, p.fix))
        .collect()
}

/// Add the log scanner to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<LogScan>()?;
    m.add_function(wrap_pyfunction!(log_patterns, m)?)?;
    Ok(())
}
