//! The pyo3 binding layer: thin, typed wrappers over the core. Compiled only with the
//! `python` feature. Every entry point runs through [`guarded`], so a core error becomes a
//! Python exception with a one-line message and a Rust panic becomes `WslgoError` instead
//! of a `PanicException` (a BaseException that would escape `except Exception` in gdb).

mod binary;
mod conv;
mod diagnose;
mod goroutines;
mod leaks;
mod pprof;
mod program;
mod report;
mod snapshot;
mod snapshots;
mod symbols;
mod values;
mod waits;
mod wsl;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use crate::error::Error;

create_exception!(
    _native,
    WslgoError,
    PyException,
    "Base class of every wslgo error."
);
create_exception!(
    _native,
    BadBinaryError,
    WslgoError,
    "Not a readable (Go) ELF binary."
);
create_exception!(
    _native,
    NotFoundError,
    WslgoError,
    "A symbol, address or line was not found."
);
create_exception!(
    _native,
    MismatchError,
    WslgoError,
    "The process or core and the binary do not belong together."
);
create_exception!(
    _native,
    MemoryReadError,
    WslgoError,
    "Debuggee memory could not be read."
);
create_exception!(
    _native,
    UnsupportedError,
    WslgoError,
    "Valid input that wslgo cannot read yet."
);

/// Map a core error to the matching Python exception.
pub(crate) fn to_py(err: Error) -> PyErr {
    let msg = err.to_string();
    match err {
        Error::Io { .. }
        | Error::NotAFile(_)
        | Error::BadElf(_)
        | Error::NotGo(_)
        | Error::Corrupt { .. } => BadBinaryError::new_err(msg),
        Error::Dwarf(_) => BadBinaryError::new_err(msg),
        Error::NotFound(_) => NotFoundError::new_err(msg),
        Error::Memory { .. } => MemoryReadError::new_err(msg),
        Error::Mismatch(_) => MismatchError::new_err(msg),
        Error::Unsupported(_) | Error::NoGoVersion(_) => UnsupportedError::new_err(msg),
        Error::BadInput(_) => pyo3::exceptions::PyValueError::new_err(msg),
    }
}

/// Run `f`, turning core errors and panics into Python exceptions.
pub(crate) fn guarded<T>(f: impl FnOnce() -> crate::Result<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(to_py),
        Err(panic) => Err(internal_error(&crate::error::panic_message(&*panic))),
    }
}

/// The exception of a panic in the native module (its message `what`).
pub(crate) fn internal_error(what: &str) -> PyErr {
    WslgoError::new_err(format!("internal error in wslgo's native module: {what}"))
}

/// The version of the native module (the crate version it was built from).
#[pyfunction]
fn version() -> &'static str {
    crate::VERSION
}

/// How many ELF binaries this process has opened (a program should be opened once per
/// gdb session; tests check it).
#[pyfunction]
fn binaries_opened() -> usize {
    crate::binary::binaries_opened()
}

/// Text the debugged program controls, escaped for a terminal (`wslgo::text::escape`).
#[pyfunction]
fn escape_text(s: &str) -> String {
    crate::text::escape(s).into_owned()
}

/// Whether `func` is a function of the Go runtime (`runtime.*` and its internal packages),
/// the rule of [`crate::runtime::unwind::is_runtime_func`].
#[pyfunction]
fn is_runtime_func(func: &str) -> bool {
    crate::runtime::unwind::is_runtime_func(func)
}

/// Raise unless `path` is a regular file; the message names what it is instead ("… is a
/// FIFO, not WHAT"). Never blocks and reads nothing.
#[pyfunction]
fn check_regular_file(py: Python<'_>, path: std::path::PathBuf, what: &str) -> PyResult<()> {
    py.detach(|| guarded(|| crate::binary::open_regular(&path, what).map(drop)))
}

/// From now on, an allocation failure in the native module ends the process with one line
/// "PREFIX: out of memory (...)" and status 1 (the CLI asks for this; gdb does not).
#[pyfunction]
fn exit_on_oom(prefix: &str) {
    crate::oom::exit_on_oom(prefix);
}

#[global_allocator]
static ALLOCATOR: crate::oom::Allocator = crate::oom::Allocator;

/// The wslgo native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    crate::oom::quiet_panics();
    m.add("WslgoError", py.get_type::<WslgoError>())?;
    m.add("BadBinaryError", py.get_type::<BadBinaryError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("MismatchError", py.get_type::<MismatchError>())?;
    m.add("MemoryReadError", py.get_type::<MemoryReadError>())?;
    m.add("UnsupportedError", py.get_type::<UnsupportedError>())?;
    m.add("MAX_DEPTH", crate::runtime::DEFAULT_MAX_DEPTH)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(binaries_opened, m)?)?;
    m.add_function(wrap_pyfunction!(escape_text, m)?)?;
    m.add_function(wrap_pyfunction!(is_runtime_func, m)?)?;
    m.add_function(wrap_pyfunction!(check_regular_file, m)?)?;
    m.add_function(wrap_pyfunction!(exit_on_oom, m)?)?;
    binary::register(m)?;
    goroutines::register(m)?;
    snapshot::register(m)?;
    symbols::register(m)?;
    wsl::register(m)?;
    diagnose::register(m)?;
    values::register(m)?;
    waits::register(m)?;
    report::register(m)?;
    leaks::register(m)?;
    pprof::register(m)?;
    snapshots::register(m)?;
    Ok(())
}
