//! Python view of the WSL helpers: [`crate::pathmap`] (Windows <-> WSL paths, rules, config
//! and launch.json) and [`crate::sources`] (the source files a binary names).

use pyo3::prelude::*;

use super::guarded;
use crate::pathmap::{self, PathMap as CorePathMap};

/// Windows <-> WSL path rules (longest `from` prefix wins) over the automatic mapping
/// (`C:\` <-> `/mnt/c/`, `\\wsl$\D\` and `\\wsl.localhost\D\` -> `/`).
#[pyclass(name = "PathMap", module = "wslgo._native")]
#[derive(Default)]
pub struct PathMap {
    pub(crate) inner: CorePathMap,
}

#[pymethods]
impl PathMap {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) the rule `from -> to`. ValueError for an empty side.
    #[pyo3(signature = (from_, to, origin = "set"))]
    fn add(&mut self, from_: &str, to: &str, origin: &str) -> PyResult<()> {
        guarded(|| self.inner.add(from_, to, origin))
    }

    /// Remove the rule whose `from` is `from_` (any spelling); False if there was none.
    fn remove(&mut self, from_: &str) -> bool {
        self.inner.remove(from_)
    }

    /// Remove every rule, or those of one origin.
    #[pyo3(signature = (origin = None))]
    fn clear(&mut self, origin: Option<&str>) {
        self.inner.clear(origin)
    }

    /// The rules: [(from, to, origin)], in the order they were added.
    fn rules(&self) -> Vec<(String, String, String)> {
        self.inner
            .rules()
            .iter()
            .map(|r| (r.from.clone(), r.to.clone(), r.origin.clone()))
            .collect()
    }

    /// Where `path` is here (rules, then the automatic mapping), `/` separators.
    fn to_local(&self, path: &str) -> String {
        self.inner.to_local(path)
    }

    /// The foreign spelling of a local path (rules reversed, then `/mnt/c/x` -> `C:\x`
    /// when `windows`).
    #[pyo3(signature = (path, windows = true, distro = None))]
    fn to_foreign(&self, path: &str, windows: bool, distro: Option<&str>) -> String {
        self.inner.to_foreign(path, windows, distro)
    }

    /// (from, to) pairs for gdb's `set substitute-path`.
    fn substitutions(&self) -> Vec<(String, String)> {
        self.inner.substitutions()
    }

    /// The files among `files` that `query` names through the map (exact first).
    fn resolve(&self, query: &str, files: Vec<String>) -> Vec<String> {
        self.inner
            .resolve(query, &files)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// Add the rules of a TOML config file; returns how many. ValueError for bad TOML.
    fn load_config(&mut self, path: std::path::PathBuf) -> PyResult<usize> {
        guarded(|| self.inner.load_config(&path))
    }

    /// Add `substitutePath` / `sourceFileMap` rules of a VS Code launch.json (comments and
    /// trailing commas allowed); returns how many. ValueError if it does not parse.
    #[pyo3(signature = (path, workspace = None))]
    fn import_launch_json(
        &mut self,
        path: std::path::PathBuf,
        workspace: Option<&str>,
    ) -> PyResult<usize> {
        guarded(|| self.inner.import_launch_json(&path, workspace))
    }

    fn __len__(&self) -> usize {
        self.inner.rules().len()
    }
}

/// `C:\a` -> `/mnt/c/a`, `\\wsl.localhost\D\x` -> `/x`; None for other paths.
#[pyfunction]
fn windows_to_wsl(path: &str) -> Option<String> {
    pathmap::windows_to_wsl(path)
}

/// `/mnt/c/a` -> `C:\a`; other absolute paths via `\\wsl.localhost\DISTRO` if given.
#[pyfunction]
#[pyo3(signature = (path, distro = None))]
fn wsl_to_windows(path: &str, distro: Option<&str>) -> Option<String> {
    pathmap::wsl_to_windows(path, distro)
}

/// True for drive (`C:\`) and UNC (`\\host\`) paths.
#[pyfunction]
fn is_windows_path(path: &str) -> bool {
    pathmap::is_windows_path(path)
}

/// The (from, to) rule that makes `query` name `binary_file`, or None.
#[pyfunction]
fn suggest_rule(query: &str, binary_file: &str) -> Option<(String, String)> {
    pathmap::suggest_rule(query, binary_file)
}

/// Merge `configs` (JSON array) into a launch.json text, keeping comments:
/// (new text, names added, names skipped). ValueError if `text` does not parse.
#[pyfunction]
#[pyo3(signature = (text, configs, origin = "launch.json"))]
fn merge_launch_json(
    text: &str,
    configs: &str,
    origin: &str,
) -> PyResult<(String, Vec<String>, Vec<String>)> {
    guarded(|| pathmap::merge_launch_json(text, configs, origin))
}

/// A JSONC text (comments, trailing commas) as strict JSON. ValueError if it does not parse.
#[pyfunction]
#[pyo3(signature = (text, origin = "input"))]
fn jsonc_to_json(text: &str, origin: &str) -> PyResult<String> {
    guarded(|| pathmap::jsonc_to_json(text, origin))
}

/// Every source file the binary names (DWARF line tables, else the pclntab), sorted.
#[pyfunction]
fn source_files(py: Python<'_>, symbols: &super::symbols::Symbols) -> Vec<String> {
    let s = symbols.inner.clone();
    py.detach(|| crate::sources::source_files(&s))
}

/// Add the WSL helpers to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PathMap>()?;
    m.add_function(wrap_pyfunction!(windows_to_wsl, m)?)?;
    m.add_function(wrap_pyfunction!(wsl_to_windows, m)?)?;
    m.add_function(wrap_pyfunction!(is_windows_path, m)?)?;
    m.add_function(wrap_pyfunction!(suggest_rule, m)?)?;
    m.add_function(wrap_pyfunction!(merge_launch_json, m)?)?;
    m.add_function(wrap_pyfunction!(source_files, m)?)?;
    m.add_function(wrap_pyfunction!(jsonc_to_json, m)?)?;
    Ok(())
}
