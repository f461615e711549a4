//! Python view of [`crate::symbols::Symbols`]: pc -> frames, names -> addresses,
//! file:line -> addresses, globals, type layouts, constants and the `info` report.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use super::guarded;
use crate::binary::Binary as CoreBinary;
use crate::error::Error;
use crate::symbols::{FrameFormat, Symbols as CoreSymbols};

/// One frame at a pc (innermost first).
#[pyclass(name = "Frame", module = "wslgo._native", frozen, get_all)]
#[derive(Clone)]
pub struct Frame {
    /// Function name (`?` if unknown).
    function: String,
    /// Source file ('' if unknown).
    file: String,
    /// Line (0 if unknown).
    line: u32,
    /// True for an inlined call.
    inlined: bool,
}

impl From<crate::symbols::Frame> for Frame {
    fn from(f: crate::symbols::Frame) -> Self {
        Frame {
            function: f.function,
            file: f.file,
            line: f.line,
            inlined: f.inlined,
        }
    }
}

#[pymethods]
impl Frame {
    fn __repr__(&self) -> String {
        format!(
            "Frame({:?}, {:?}, {}, inlined={})",
            self.function,
            self.file,
            self.line,
            if self.inlined { "True" } else { "False" }
        )
    }
}

/// Symbols of one Go binary: pcs from the pclntab (DWARF only for pcs it does not cover,
/// e.g. cgo), types and globals from DWARF, names from the pclntab and .symtab.
/// `Symbols(path)` raises BadBinaryError for a missing, non-ELF or non-Go file.
#[pyclass(name = "Symbols", module = "wslgo._native", frozen)]
pub struct Symbols {
    pub(crate) inner: Arc<CoreSymbols>,
}

#[pymethods]
impl Symbols {
    #[new]
    fn new(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| guarded(|| CoreSymbols::open(&path)))?;
        Ok(Symbols {
            inner: Arc::new(inner),
        })
    }

    /// Symbols over an already opened `Binary`.
    #[staticmethod]
    fn from_binary(bin: &super::binary::Binary) -> PyResult<Self> {
        let b: Arc<CoreBinary> = bin.inner.clone();
        let inner = guarded(|| CoreSymbols::new(b))?;
        Ok(Symbols {
            inner: Arc::new(inner),
        })
    }

    /// Frames at `pc`, innermost first. NotFoundError if no function contains it.
    fn frames(&self, py: Python<'_>, pc: u64) -> PyResult<Vec<Frame>> {
        let s = self.inner.clone();
        py.detach(|| guarded(|| Ok(s.frames(pc)?.into_iter().map(Frame::from).collect())))
    }

    /// Frames of many pcs in one call (backtraces): one list per pc, empty when unknown.
    fn frames_batch(&self, py: Python<'_>, pcs: Vec<u64>) -> PyResult<Vec<Vec<Frame>>> {
        let s = self.inner.clone();
        let frames = py.detach(|| guarded(|| Ok(s.frames_batch(&pcs))))?;
        Ok(frames
            .into_iter()
            .map(|fs| fs.into_iter().map(Frame::from).collect())
            .collect())
    }

    /// A symbol file for gdb written from the pclntab (ELF symbols and DWARF names, files
    /// and lines of every function), for a program without DWARF.
    fn symbol_file<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let s = self.inner.clone();
        let bytes = py.detach(|| guarded(|| s.symbol_file()))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Functions matching `name` in any accepted spelling: [(name, entry, end)], by entry.
    fn lookup(&self, py: Python<'_>, name: &str) -> PyResult<Vec<(String, u64, u64)>> {
        let s = self.inner.clone();
        let name = name.to_string();
        py.detach(|| {
            guarded(|| {
                Ok(s.lookup(&name)?
                    .into_iter()
                    .map(|f| (f.name, f.entry, f.end))
                    .collect())
            })
        })
    }

    /// Statement addresses of FILE:LINE (file matched as a path suffix):
    /// (matched file path, addresses). NotFoundError names the nearest lines with code.
    fn line_addresses(
        &self,
        py: Python<'_>,
        file: &str,
        line: u32,
    ) -> PyResult<(String, Vec<u64>)> {
        let s = self.inner.clone();
        let file = file.to_string();
        py.detach(|| {
            guarded(|| {
                let m = s.line_addresses(&file, line)?;
                Ok((m.file, m.addrs))
            })
        })
    }

    /// Function names containing `pattern` (or matching it when `regex`), sorted.
    #[pyo3(signature = (pattern, regex = false))]
    fn search(&self, py: Python<'_>, pattern: &str, regex: bool) -> PyResult<Vec<String>> {
        let s = self.inner.clone();
        let pattern = pattern.to_string();
        py.detach(|| guarded(|| s.search(&pattern, regex)))
    }

    /// A global variable: (address, size, type name). NotFoundError if unknown.
    fn variable(&self, py: Python<'_>, name: &str) -> PyResult<(u64, u64, String)> {
        let s = self.inner.clone();
        let name = name.to_string();
        py.detach(|| {
            guarded(|| {
                let v = s.variable(&name)?;
                Ok((v.addr, v.size, v.type_name))
            })
        })
    }

    /// The names of function `func`'s results, in order (`~r0` or the source's names);
    /// NotFoundError when DWARF lacks the function.
    fn result_names(&self, py: Python<'_>, func: &str) -> PyResult<Vec<String>> {
        let s = self.inner.clone();
        let func = func.to_string();
        py.detach(|| guarded(|| s.result_names(&func)))
    }

    /// Where function `func`'s body starts, as an offset from its entry (its results are not
    /// set before it); None when its line rows do not say; NotFoundError when DWARF lacks it.
    fn body_offset(&self, py: Python<'_>, func: &str) -> PyResult<Option<u64>> {
        let s = self.inner.clone();
        let func = func.to_string();
        py.detach(|| guarded(|| s.body_offset(&func)))
    }

    /// Layout of a struct type: {"name", "size", "fields": [(name, offset, size, type)]}.
    fn struct_layout<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.clone();
        let name = name.to_string();
        let layout = py.detach(|| guarded(|| s.struct_layout(&name)))?;
        let d = PyDict::new(py);
        d.set_item("name", layout.name)?;
        d.set_item("size", layout.size)?;
        let fields: Vec<(String, u64, u64, String)> = layout
            .fields
            .into_iter()
            .map(|f| (f.name, f.offset, f.size, f.type_name))
            .collect();
        d.set_item("fields", fields)?;
        Ok(d)
    }

    /// Value of a DWARF constant (`runtime._Grunning`); NotFoundError if unknown.
    fn constant(&self, py: Python<'_>, name: &str) -> PyResult<i64> {
        let s = self.inner.clone();
        let name = name.to_string();
        py.detach(|| {
            guarded(|| {
                s.constant(&name)
                    .ok_or_else(|| Error::NotFound(format!("no constant named {name}")))
            })
        })
    }

    /// Every DWARF constant whose name starts with `prefix`: [(name, value)].
    fn constants(&self, py: Python<'_>, prefix: &str) -> PyResult<Vec<(String, i64)>> {
        let s = self.inner.clone();
        let prefix = prefix.to_string();
        py.detach(|| guarded(|| Ok(s.constants_with_prefix(&prefix))))
    }

    /// The DWARF constants of the named type `type_name` (`main.Color`): [(name, value)].
    fn constants_of_type(&self, py: Python<'_>, type_name: &str) -> PyResult<Vec<(String, i64)>> {
        let s = self.inner.clone();
        let type_name = type_name.to_string();
        py.detach(|| guarded(|| Ok(s.constants_of_type(&type_name))))
    }

    /// Symbolize many pcs in one call; returns output lines (addr2line-style text, or one
    /// JSON object per pc with `json=True`; every inlined frame with `inlines=True`).
    #[pyo3(signature = (pcs, inlines = false, json = false, addresses = false))]
    fn symbolize(
        &self,
        py: Python<'_>,
        pcs: Vec<u64>,
        inlines: bool,
        json: bool,
        addresses: bool,
    ) -> PyResult<Vec<String>> {
        let s = self.inner.clone();
        let fmt = FrameFormat {
            inlines,
            json,
            addresses,
        };
        py.detach(|| guarded(|| Ok(s.symbolize(&pcs, fmt))))
    }

    /// `wslgo symbolize` over raw input: `data` holds one hex address per line (`0x`
    /// optional, blank lines skipped); the formatted text is handed to `write` (e.g.
    /// `sys.stdout.buffer.write`) as `bytes` chunks of about 64 KiB, made without any per-pc
    /// Python object. Returns (number of pcs symbolized, [(line number, message)] of the
    /// lines that are not an address: skipped, the others still answered).
    #[pyo3(signature = (data, write, inlines = false, json = false, addresses = false))]
    fn symbolize_stream(
        &self,
        py: Python<'_>,
        data: &[u8],
        write: Bound<'_, PyAny>,
        inlines: bool,
        json: bool,
        addresses: bool,
    ) -> PyResult<(usize, Vec<(usize, String)>)> {
        let fmt = FrameFormat {
            inlines,
            json,
            addresses,
        };
        // Formatting runs without the GIL, chunk by chunk; only `write` takes it.
        let mut sink = PySink {
            write: write.unbind(),
            err: None,
        };
        let s = self.inner.clone();
        let r = py.detach(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                s.symbolize_stream(data, &mut sink, fmt)
            }))
        });
        if let Some(e) = sink.err.take() {
            return Err(e);
        }
        match r {
            Ok(Ok(report)) => Ok((report.symbolized, report.bad_lines)),
            Ok(Err(e)) => guarded(|| Err(Error::io("<output>", e))),
            Err(_) => guarded(|| panic!("symbolize_stream panicked")),
        }
    }

    /// Build info and debug-info state, with a one-line hint per problem.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.clone();
        let i = py.detach(|| guarded(|| Ok(s.info())))?;
        let d = PyDict::new(py);
        d.set_item("path", i.path)?;
        d.set_item("go_version", i.go_version)?;
        d.set_item("main_path", i.main_path)?;
        d.set_item("main_module", i.main_module)?;
        d.set_item("settings", i.settings)?;
        d.set_item("arch", i.arch)?;
        d.set_item("pie", i.pie)?;
        d.set_item("build_id", i.build_id)?;
        d.set_item("dwarf", i.dwarf)?;
        d.set_item("dwarf_compressed", i.dwarf_compressed)?;
        d.set_item("dwarf_version", i.dwarf_version)?;
        d.set_item("dwarf_error", i.dwarf_error)?;
        d.set_item("pclntab", i.pclntab)?;
        d.set_item("pclntab_error", i.pclntab_error)?;
        d.set_item("optimized", i.optimized)?;
        d.set_item("inlining_disabled", i.inlining_disabled)?;
        d.set_item("stripped", i.stripped)?;
        d.set_item("hints", i.hints)?;
        Ok(d)
    }
}

/// An `io::Write` that hands each chunk to a Python callable (taking the GIL per chunk).
struct PySink {
    write: Py<PyAny>,
    err: Option<PyErr>,
}

impl std::io::Write for PySink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        Python::attach(|py| {
            let chunk = PyBytes::new(py, buf);
            match self.write.call1(py, (chunk,)) {
                Ok(_) => Ok(()),
                Err(e) => {
                    self.err = Some(e);
                    Err(std::io::Error::other("write failed"))
                }
            }
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Add the symbol classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Symbols>()?;
    m.add_class::<Frame>()?;
    Ok(())
}
