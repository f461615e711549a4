//! Python view of [`crate::binary::Binary`]: file facts and Go build info.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::guarded;
use crate::binary::Binary as CoreBinary;

/// An opened ELF binary (read-only mmap). `Binary(path)` raises BadBinaryError on bad input.
#[pyclass(name = "Binary", module = "wslgo._native", frozen)]
pub struct Binary {
    pub(crate) inner: Arc<CoreBinary>,
}

#[pymethods]
impl Binary {
    #[new]
    fn new(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| guarded(|| CoreBinary::open(&path)))?;
        Ok(Binary {
            inner: Arc::new(inner),
        })
    }

    /// The path the binary was opened from.
    #[getter]
    fn path(&self) -> Option<String> {
        self.inner.path().map(|p| p.display().to_string())
    }

    /// GOARCH of the binary (amd64, arm64, 386 or unknown).
    #[getter]
    fn arch(&self) -> &'static str {
        self.inner.arch().goarch()
    }

    /// True for position-independent executables.
    #[getter]
    fn is_pie(&self) -> bool {
        self.inner.is_pie()
    }

    /// True if this looks like a Go binary.
    #[getter]
    fn is_go(&self) -> bool {
        self.inner.is_go()
    }

    /// True if DWARF sections are present.
    #[getter]
    fn has_dwarf(&self) -> bool {
        self.inner.has_dwarf()
    }

    /// True if any DWARF section is compressed.
    #[getter]
    fn dwarf_compressed(&self) -> bool {
        self.inner.dwarf_compressed()
    }

    /// True if the ELF symbol table is present.
    #[getter]
    fn has_symtab(&self) -> bool {
        self.inner.has_symtab()
    }

    /// The GNU build-id as hex, or None.
    #[getter]
    fn build_id(&self) -> Option<String> {
        self.inner.build_id_hex()
    }

    /// The Go build id (`.note.go.buildid`), or None.
    #[getter]
    fn go_build_id(&self) -> Option<String> {
        self.inner.go_build_id()
    }

    /// Names of all sections, in header order.
    fn section_names(&self) -> Vec<String> {
        self.inner
            .sections()
            .iter()
            .map(|s| s.name.clone())
            .collect()
    }

    /// The Python script files the binary asks gdb to auto-load (`.debug_gdb_scripts`: a
    /// Go binary names its toolchain's runtime-gdb.py). Raises BadBinaryError when the
    /// section cannot be read.
    fn gdb_python_scripts(&self) -> PyResult<Vec<String>> {
        guarded(|| self.inner.gdb_python_scripts())
    }

    /// `(address, size)` of the ELF `.symtab` symbol `name` (unrelocated; add the load
    /// bias for PIE), or None when absent (stripped binary, unknown name).
    fn elf_symbol(&self, name: &str) -> Option<(u64, u64)> {
        self.inner.elf_symbol(name).map(|s| (s.addr, s.size))
    }

    /// Go build info as a dict: go_version, path, main_module, settings (list of pairs).
    /// Raises BadBinaryError for a non-Go binary.
    fn build_info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let info = guarded(|| self.inner.build_info())?;
        let d = PyDict::new(py);
        d.set_item("go_version", &info.go_version)?;
        d.set_item("path", &info.path)?;
        d.set_item("main_module", info.main_module.clone())?;
        d.set_item("settings", info.settings.clone())?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "<wslgo Binary {} {}>",
            self.path().unwrap_or_else(|| "<memory>".into()),
            self.arch()
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Binary>()
}
