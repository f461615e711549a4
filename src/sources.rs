//! The source files a Go binary names: what `wslgo why` and `wslgo-break` match user paths
//! against, and what the doctor checks on disk.

use std::collections::BTreeSet;

use crate::symbols::Symbols;

/// Every source file of the binary, sorted: the DWARF line tables' files, else (no or
/// unreadable DWARF) the files where the pclntab's functions begin.
pub fn source_files(s: &Symbols) -> Vec<String> {
    if let Ok(d) = s.dwarf() {
        if let Ok(files) = d.files() {
            let set: BTreeSet<String> = files.into_iter().map(str::to_string).collect();
            return set.into_iter().collect();
        }
    }
    let Ok(p) = s.pclntab() else {
        return Vec::new();
    };
    let set: BTreeSet<String> = p
        .funcs()
        .filter_map(|f| p.file_line(&f, f.entry).map(|(file, _)| file.to_string()))
        .filter(|f| !f.starts_with('<'))
        .collect();
    set.into_iter().collect()
}
