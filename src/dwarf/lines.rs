//! file:line -> statement addresses, from the DWARF line programs (built on first use).

use std::collections::{BTreeMap, HashMap};

use gimli::Reader as _;

use crate::error::{Error, Result};

use super::{gerr, R};

/// The addresses found for a `file:line` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMatch {
    /// Full path of the file that matched (the first one when several did).
    pub file: String,
    /// The line.
    pub line: u32,
    /// Statement addresses where the line begins, sorted, deduplicated.
    pub addrs: Vec<u64>,
}

/// Per-file map of line -> statement addresses.
#[derive(Default)]
pub(super) struct LineIndex {
    paths: Vec<String>,
    by_path: HashMap<String, usize>,
    lines: Vec<BTreeMap<u32, Vec<u64>>>,
}

fn join(dir: &str, name: &str) -> String {
    if name.starts_with('/') || dir.is_empty() || dir == "." {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Full path of a line-table file entry: directory joined with the name.
pub(super) fn file_path(
    dwarf: &gimli::Dwarf<R>,
    unit: &gimli::Unit<R>,
    header: &gimli::LineProgramHeader<R>,
    f: &gimli::FileEntry<R>,
) -> Option<String> {
    let name = dwarf.attr_string(unit, f.path_name()).ok()?;
    let name = name.to_string_lossy().ok()?.into_owned();
    let dir = f
        .directory(header)
        .and_then(|d| dwarf.attr_string(unit, d).ok())
        .and_then(|d| d.to_string_lossy().ok().map(|c| c.into_owned()))
        .unwrap_or_default();
    Some(join(&dir, &name))
}

/// A user's file spelling, tidied for [`path_matches`]: Windows separators (`pkg\\main.go`)
/// become `/` (drive letters are the path map's job), a leading `./` goes.
pub(crate) fn normalize_query(file: &str) -> String {
    let file = file.replace('\\', "/");
    file.strip_prefix("./").map(str::to_string).unwrap_or(file)
}

/// True if `path` is `file` or ends with it on a `/` boundary (`main.go` matches
/// `/src/x/main.go`, `ain.go` does not).
pub(crate) fn path_matches(path: &str, file: &str) -> bool {
    if path == file {
        return true;
    }
    let Some(head) = path.strip_suffix(file) else {
        return false;
    };
    file.starts_with('/') || head.ends_with('/')
}

/// The "no code at F:L" error, naming the nearest lines with code on either side.
pub(crate) fn no_code_error(
    shown: &str,
    line: u32,
    before: Option<u32>,
    after: Option<u32>,
) -> Error {
    let near: Vec<String> = [before, after]
        .into_iter()
        .flatten()
        .map(|l| l.to_string())
        .collect();
    if near.is_empty() {
        return Error::NotFound(format!("no code in {shown}"));
    }
    let (what, are) = if near.len() == 1 {
        ("line", "is")
    } else {
        ("lines", "are")
    };
    Error::NotFound(format!(
        "no code at {shown}:{line}; nearest {what} with code {are} {}",
        near.join(", ")
    ))
}

/// Where the body of the function at `[entry, end)` starts, as an offset from `entry`: the
/// first statement row after the row Go marks `prologue_end`. The code before it is the
/// entry line's: the stack check, the frame setup, the arguments spilled and (unoptimized)
/// the results zeroed, so a result read there is whatever the stack held. None when the
/// unit's line program has no `prologue_end` row in the function or no statement after it.
pub(super) fn body_offset(unit: &gimli::Unit<R>, entry: u64, end: u64) -> Result<Option<u64>> {
    let Some(program) = unit.line_program.clone() else {
        return Ok(None);
    };
    let mut rows = program.rows();
    let mut prologue_end: Option<u64> = None;
    while let Some((_, row)) = rows.next_row().map_err(gerr)? {
        let addr = row.address();
        if row.end_sequence() || addr < entry || addr >= end {
            continue;
        }
        match prologue_end {
            Some(p) if row.is_stmt() && addr > p => return Ok(Some(addr - entry)),
            None if row.prologue_end() => prologue_end = Some(addr),
            _ => {}
        }
    }
    Ok(None)
}

impl LineIndex {
    pub(super) fn build(dwarf: &gimli::Dwarf<R>, units: &[gimli::Unit<R>]) -> Result<Self> {
        let mut ix = LineIndex::default();
        for unit in units {
            let Some(program) = unit.line_program.clone() else {
                continue;
            };
            // file index -> path id, per unit.
            let mut file_ids: HashMap<u64, Option<usize>> = HashMap::new();
            let mut rows = program.rows();
            let mut prev: Option<(u64, u32)> = None; // (file index, line) of the previous row
            while let Some((header, row)) = rows.next_row().map_err(gerr)? {
                if row.end_sequence() {
                    prev = None;
                    continue;
                }
                let line = row
                    .line()
                    .and_then(|l| u32::try_from(l.get()).ok())
                    .unwrap_or(0);
                let fidx = row.file_index();
                let here = (fidx, line);
                let starts = prev != Some(here);
                prev = Some(here);
                if !row.is_stmt() || line == 0 || !starts {
                    continue;
                }
                let id = match file_ids.get(&fidx) {
                    Some(id) => *id,
                    None => {
                        let path = row
                            .file(header)
                            .and_then(|f| file_path(dwarf, unit, header, f));
                        let id = path.map(|p| ix.path_id(p));
                        file_ids.insert(fidx, id);
                        id
                    }
                };
                if let Some(lines) = id.and_then(|id| ix.lines.get_mut(id)) {
                    lines.entry(line).or_default().push(row.address());
                }
            }
        }
        for lines in &mut ix.lines {
            for addrs in lines.values_mut() {
                addrs.sort_unstable();
                addrs.dedup();
            }
        }
        Ok(ix)
    }

    fn path_id(&mut self, path: String) -> usize {
        if let Some(id) = self.by_path.get(&path) {
            return *id;
        }
        let id = self.paths.len();
        self.by_path.insert(path.clone(), id);
        self.paths.push(path);
        self.lines.push(BTreeMap::new());
        id
    }

    pub(super) fn files(&self) -> Vec<&str> {
        self.paths.iter().map(String::as_str).collect()
    }

    /// Path ids whose path ends with `file` on a `/` boundary.
    fn matching(&self, file: &str) -> Vec<usize> {
        let file = normalize_query(file);
        self.paths
            .iter()
            .enumerate()
            .filter(|(_, p)| path_matches(p, &file))
            .map(|(i, _)| i)
            .collect()
    }

    pub(super) fn lookup(&self, file: &str, line: u32) -> Result<LineMatch> {
        let ids = self.matching(file);
        if ids.is_empty() {
            return Err(Error::NotFound(format!("no source file matches {file}")));
        }
        let mut addrs = Vec::new();
        let mut matched = None;
        for &id in &ids {
            if let Some(a) = self.lines.get(id).and_then(|l| l.get(&line)) {
                addrs.extend_from_slice(a);
                matched.get_or_insert(id);
            }
        }
        if let Some(id) = matched {
            addrs.sort_unstable();
            addrs.dedup();
            return Ok(LineMatch {
                file: self.paths.get(id).cloned().unwrap_or_default(),
                line,
                addrs,
            });
        }
        // No code: name the nearest lines with code on either side.
        let mut before: Option<u32> = None;
        let mut after: Option<u32> = None;
        for &id in &ids {
            if let Some(l) = self.lines.get(id) {
                if let Some((&b, _)) = l.range(..line).next_back() {
                    before = Some(before.map_or(b, |x| x.max(b)));
                }
                if let Some((&a, _)) = l.range(line..).next() {
                    after = Some(after.map_or(a, |x| x.min(a)));
                }
            }
        }
        let shown = ids
            .first()
            .and_then(|i| self.paths.get(*i))
            .map(String::as_str)
            .unwrap_or(file);
        Err(no_code_error(shown, line, before, after))
    }
}

#[cfg(test)]
mod tests {
    use super::no_code_error;

    #[test]
    fn no_code_names_one_or_two_lines_in_the_right_number() {
        let one = no_code_error("main.go", 3, None, Some(5)).to_string();
        assert!(one.ends_with("nearest line with code is 5"), "{one}");
        let two = no_code_error("main.go", 3, Some(2), Some(5)).to_string();
        assert!(two.ends_with("nearest lines with code are 2, 5"), "{two}");
    }
}
