//! What the binding's debuggee readers share: the program they read ([`ProgramArg`]: an open
//! `Symbols` or `Binary`, or a path) and memory served by a Python callable
//! ([`PyCallbackMemory`]: gdb's `inferior.read_memory` for cores and remote targets).

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::binary::Binary as PyBinary;
use super::symbols::Symbols as PySymbols;
use crate::binary::Binary as CoreBinary;
use crate::error::{Error, Result};
use crate::mem::{mem_error, Memory};
use crate::symbols::Symbols as CoreSymbols;

/// What a reader is built from: an open `Symbols` or `Binary` (shared: nothing is opened or
/// parsed again) or a path (the CLI).
pub(crate) enum ProgramArg {
    Symbols(Arc<CoreSymbols>),
    Binary(Arc<CoreBinary>),
    Path(PathBuf),
}

impl ProgramArg {
    /// The argument as Python passed it: `Symbols`, `Binary`, `str` or `os.PathLike`.
    pub(crate) fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(s) = obj.cast::<PySymbols>() {
            return Ok(ProgramArg::Symbols(s.get().inner.clone()));
        }
        if let Ok(b) = obj.cast::<PyBinary>() {
            return Ok(ProgramArg::Binary(b.get().inner.clone()));
        }
        Ok(ProgramArg::Path(obj.extract::<PathBuf>()?))
    }

    /// The program's `Symbols` (the given one, or built over the given or opened binary).
    /// NotGo when the binary is not a Go program.
    pub(crate) fn symbols(&self) -> Result<Arc<CoreSymbols>> {
        let syms = match self {
            ProgramArg::Symbols(s) => s.clone(),
            ProgramArg::Binary(b) => Arc::new(CoreSymbols::new(b.clone())?),
            ProgramArg::Path(p) => Arc::new(CoreSymbols::open(p)?),
        };
        if !syms.binary().is_go() {
            return Err(Error::NotGo(display(syms.binary())));
        }
        Ok(syms)
    }
}

/// The binary's path for messages ("the binary" when it has none).
pub(crate) fn display(bin: &CoreBinary) -> String {
    bin.path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the binary".into())
}

/// Memory served by a Python callable `read(addr, length) -> bytes` (anything `bytes()`
/// accepts: gdb.Membuf, memoryview, bytearray). Calls re-acquire the GIL.
pub(crate) struct PyCallbackMemory {
    func: Py<PyAny>,
}

impl PyCallbackMemory {
    /// Memory read by calling `func(addr, length)`.
    pub(crate) fn new(func: Py<PyAny>) -> Self {
        PyCallbackMemory { func }
    }
}

impl Memory for PyCallbackMemory {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        Python::attach(|py| {
            let fail = |e: PyErr| mem_error(addr, buf.len(), e.to_string());
            let r = self.func.call1(py, (addr, buf.len())).map_err(fail)?;
            let r = r.bind(py);
            let owned;
            let bytes: &[u8] = if let Ok(b) = r.cast::<PyBytes>() {
                b.as_bytes()
            } else {
                owned = py
                    .import("builtins")
                    .and_then(|m| m.getattr("bytes"))
                    .and_then(|f| f.call1((r,)))
                    .map_err(fail)?;
                owned
                    .cast::<PyBytes>()
                    .map_err(|e| mem_error(addr, buf.len(), e.to_string()))?
                    .as_bytes()
            };
            if bytes.len() != buf.len() {
                return Err(mem_error(
                    addr,
                    buf.len(),
                    format!(
                        "read callback returned {} byte{}",
                        bytes.len(),
                        if bytes.len() == 1 { "" } else { "s" }
                    ),
                ));
            }
            buf.copy_from_slice(bytes);
            Ok(())
        })
    }
}
