//! Windows <-> WSL path mapping: the automatic drive and `\\wsl$` mapping, user rules
//! (longest prefix wins), the config file (`~/.config/wslgo/config.toml`) and imports from
//! a VS Code launch.json (Go's `substitutePath`, C/C++'s `sourceFileMap`).
//!
//! A rule `FROM -> TO` has gdb's `set substitute-path` meaning: a path spelled `FROM...`
//! (in the binary, in the editor, on Windows) is `TO...` here, inside WSL. Paths are
//! compared after the automatic mapping (`C:\x` is `/mnt/c/x`), with either separator, and
//! case-insensitively on Windows drives (`/mnt/<letter>/` and `X:`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Read as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::text;

/// The largest config file or launch.json read (a bigger one is refused, not read).
pub const MAX_RULES_FILE: u64 = 64 << 20;

/// One mapping rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The foreign spelling (binary, editor or Windows side), as the user wrote it.
    pub from: String,
    /// Where that is here (a WSL path, or a Windows path mapped automatically).
    pub to: String,
    /// Where the rule came from: `set`, a config file or a launch.json path.
    pub origin: String,
}

/// The rules of a session plus the automatic mapping.
///
/// Lookups go through two indexes, so adding a rule and mapping a path cost the same with
/// 20,000 rules as with one: `from` keys (WSL space, drive letters without case) to the
/// rule, and `to` keys to the rules that map there (the first added wins a tie).
#[derive(Debug, Clone, Default)]
pub struct PathMap {
    rules: Vec<Rule>,
    /// key(to_wsl_space(from)) -> index in `rules` (unique: `add` replaces).
    by_from: HashMap<String, usize>,
    /// key(to_wsl_space(to)) -> indexes in `rules`, smallest first.
    by_to: HashMap<String, BTreeSet<usize>>,
}

/// Refuse a rule that would carry a control character (or a bidi override, a line
/// separator) into gdb's command line or onto a terminal: one line naming the rule,
/// escaped. Backslashes are fine (Windows paths).
fn check_rule_text(from: &str, to: &str, origin: &str) -> Result<()> {
    let odd = |s: &str| s.chars().any(|c| c != '\\' && text::needs_escape(c));
    if odd(from) || odd(to) {
        return Err(Error::BadInput(format!(
            "{}: path-map rule {} -> {} contains a control character; refused",
            text::escape(origin),
            text::escape(from),
            text::escape(to)
        )));
    }
    Ok(())
}

/// The prefixes of a WSL-space path on `/` boundaries, longest first, with what follows
/// each (empty or starting with `/`); `/` itself last for an absolute path (its rest is
/// the whole path, as [`join`] expects).
fn prefixes(ws: &str) -> impl Iterator<Item = (&str, &str)> {
    let cuts = ws
        .char_indices()
        .filter(|&(i, c)| c == '/' && i > 0)
        .map(|(i, _)| i)
        .collect::<Vec<_>>();
    let whole = std::iter::once((ws, ""));
    let inner = cuts.into_iter().rev().map(move |i| ws.split_at(i));
    let root = ws
        .starts_with('/')
        .then_some(("/", ws))
        .filter(|_| ws != "/");
    whole.chain(inner).chain(root)
}

/// True for `X:`, `X:\...`, `X:/...` and UNC paths (`\\host\...`, `//host/...`).
pub fn is_windows_path(p: &str) -> bool {
    drive_split(p).is_some() || p.starts_with("\\\\") || p.starts_with("//")
}

/// `("c", rest)` for `C:\rest` / `c:/rest` / `C:` (rest without the leading separator).
fn drive_split(p: &str) -> Option<(char, &str)> {
    let mut chars = p.chars();
    let letter = chars.next()?;
    if !letter.is_ascii_alphabetic() || chars.next()? != ':' {
        return None;
    }
    let rest = &p[2..];
    if rest.is_empty() {
        return Some((letter.to_ascii_lowercase(), ""));
    }
    let first = rest.as_bytes()[0];
    if first != b'\\' && first != b'/' {
        return None; // `C:foo` is drive-relative: not something we can map
    }
    Some((
        letter.to_ascii_lowercase(),
        rest[1..].trim_start_matches(['\\', '/']),
    ))
}

/// The part after `\\wsl$\DISTRO\` or `\\wsl.localhost\DISTRO\` (either separator).
fn wsl_unc_split(p: &str) -> Option<&str> {
    let body = p.strip_prefix("\\\\").or_else(|| p.strip_prefix("//"))?;
    let (host, rest) = body.split_once(['\\', '/'])?;
    let host = host.to_ascii_lowercase();
    if host != "wsl$" && host != "wsl.localhost" {
        return None;
    }
    let (_distro, rest) = match rest.split_once(['\\', '/']) {
        Some(x) => x,
        None => (rest, ""),
    };
    Some(rest)
}

/// The WSL spelling of a Windows path: `C:\a\b` -> `/mnt/c/a/b`,
/// `\\wsl.localhost\Ubuntu\home\u` -> `/home/u`. None for anything else.
pub fn windows_to_wsl(p: &str) -> Option<String> {
    if let Some(rest) = wsl_unc_split(p) {
        return Some(format!("/{}", rest.replace('\\', "/")));
    }
    let (letter, rest) = drive_split(p)?;
    if rest.is_empty() {
        return Some(format!("/mnt/{letter}"));
    }
    Some(format!("/mnt/{letter}/{}", rest.replace('\\', "/")))
}

/// The Windows spelling of a WSL path: `/mnt/c/a/b` -> `C:\a\b`; another absolute path
/// becomes `\\wsl.localhost\DISTRO\...` when `distro` is known, else None.
pub fn wsl_to_windows(p: &str, distro: Option<&str>) -> Option<String> {
    if let Some((letter, rest)) = mnt_split(p) {
        let rest = rest.replace('/', "\\");
        return Some(format!("{}:\\{rest}", letter.to_ascii_uppercase()));
    }
    let distro = distro.filter(|d| !d.is_empty())?;
    let rest = p.strip_prefix('/')?;
    Some(format!(
        "\\\\wsl.localhost\\{distro}\\{}",
        rest.replace('/', "\\")
    ))
}

/// `("c", rest)` for `/mnt/c` and `/mnt/c/rest`.
fn mnt_split(p: &str) -> Option<(char, &str)> {
    let rest = p.strip_prefix("/mnt/")?;
    let mut chars = rest.chars();
    let letter = chars.next()?;
    if !letter.is_ascii_alphabetic() {
        return None;
    }
    let after = &rest[1..];
    if after.is_empty() {
        return Some((letter.to_ascii_lowercase(), ""));
    }
    let tail = after.strip_prefix('/')?;
    Some((letter.to_ascii_lowercase(), tail))
}

/// A path in WSL space with `/` separators: the automatic mapping applied, doubled
/// separators and a trailing `/` removed.
pub fn to_wsl_space(p: &str) -> String {
    let s = windows_to_wsl(p).unwrap_or_else(|| p.replace('\\', "/"));
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    if out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    out
}

/// The comparison key of a WSL-space path: Windows drives compare without case.
fn key(wsl: &str) -> String {
    if mnt_split(wsl).is_some() {
        wsl.to_ascii_lowercase()
    } else {
        wsl.to_string()
    }
}

/// Join a prefix and a rest that is empty or starts with `/`.
fn join(prefix: &str, rest: &str) -> String {
    if prefix == "/" {
        if rest.is_empty() {
            "/".into()
        } else {
            rest.to_string()
        }
    } else {
        format!("{prefix}{rest}")
    }
}

impl PathMap {
    /// An empty map (only the automatic mapping).
    pub fn new() -> Self {
        Self::default()
    }

    /// The rules, in the order they were added.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Add `from -> to` (replacing a rule with the same `from`, in its place). Empty sides
    /// and control characters are an error.
    pub fn add(&mut self, from: &str, to: &str, origin: &str) -> Result<()> {
        let (from, to) = (from.trim(), to.trim());
        if from.is_empty() || to.is_empty() {
            return Err(Error::BadInput(
                "a path-map rule needs two paths: FROM TO".into(),
            ));
        }
        check_rule_text(from, to, origin)?;
        self.push(from, to, origin);
        Ok(())
    }

    /// Add a rule already checked by [`check_rule_text`].
    fn push(&mut self, from: &str, to: &str, origin: &str) {
        let rule = Rule {
            from: from.to_string(),
            to: to.to_string(),
            origin: origin.to_string(),
        };
        let to_key = key(&to_wsl_space(to));
        let i = match self.by_from.get(&key(&to_wsl_space(from))) {
            Some(&i) => {
                let old = key(&to_wsl_space(&self.rules[i].to));
                if let Some(set) = self.by_to.get_mut(&old) {
                    set.remove(&i);
                    if set.is_empty() {
                        self.by_to.remove(&old);
                    }
                }
                self.rules[i] = rule;
                i
            }
            None => {
                self.by_from
                    .insert(key(&to_wsl_space(from)), self.rules.len());
                self.rules.push(rule);
                self.rules.len() - 1
            }
        };
        self.by_to.entry(to_key).or_default().insert(i);
    }

    /// Build the indexes again (after rules were removed).
    fn reindex(&mut self) {
        self.by_from.clear();
        self.by_to.clear();
        for (i, r) in self.rules.iter().enumerate() {
            self.by_from.insert(key(&to_wsl_space(&r.from)), i);
            self.by_to
                .entry(key(&to_wsl_space(&r.to)))
                .or_default()
                .insert(i);
        }
    }

    /// Remove the rule whose `from` is `from` (any spelling); false if there was none.
    pub fn remove(&mut self, from: &str) -> bool {
        let Some(i) = self.by_from.get(&key(&to_wsl_space(from.trim()))).copied() else {
            return false;
        };
        self.rules.remove(i);
        self.reindex();
        true
    }

    /// Remove every rule (of one origin, when given).
    pub fn clear(&mut self, origin: Option<&str>) {
        match origin {
            Some(o) => self.rules.retain(|r| r.origin != o),
            None => self.rules.clear(),
        }
        self.reindex();
    }

    /// Where `path` is here: the rule with the longest matching `from` applied, else the
    /// automatic mapping; `/` separators.
    pub fn to_local(&self, path: &str) -> String {
        let ws = to_wsl_space(path);
        if self.rules.is_empty() {
            return ws;
        }
        for (prefix, rest) in prefixes(&ws) {
            if let Some(&i) = self.by_from.get(&key(prefix)) {
                return join(&to_wsl_space(&self.rules[i].to), rest);
            }
        }
        ws
    }

    /// The foreign spelling of a local path: the rule with the longest matching `to`
    /// applied in reverse (in its `from`'s separator style); else, when `windows`, the
    /// automatic Windows spelling (`/mnt/c/x` -> `C:\x`, other paths through
    /// `\\wsl.localhost\DISTRO` when `distro` is given); else the path itself.
    pub fn to_foreign(&self, path: &str, windows: bool, distro: Option<&str>) -> String {
        let ws = to_wsl_space(path);
        let best = prefixes(&ws).find_map(|(prefix, rest)| {
            let i = *self.by_to.get(&key(prefix))?.first()?;
            Some((self.rules.get(i)?, rest))
        });
        if let Some((r, rest)) = best {
            let from = r.from.trim_end_matches(['/', '\\']);
            if is_windows_path(&r.from) && !r.from.starts_with("//") {
                return format!("{from}{}", rest.replace('/', "\\"));
            }
            return join(if from.is_empty() { "/" } else { from }, rest);
        }
        if windows {
            if let Some(w) = wsl_to_windows(&ws, distro) {
                return w;
            }
        }
        ws
    }

    /// `(from, to)` pairs for gdb's `set substitute-path`: each rule in the spellings a
    /// binary may carry (as written, with `/` separators, in WSL space), to its local path.
    pub fn substitutions(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for r in &self.rules {
            let to = to_wsl_space(&r.to);
            let from = r.from.trim_end_matches(['/', '\\']).to_string();
            let slashed = from.replace('\\', "/");
            for f in [from, slashed, to_wsl_space(&r.from)] {
                if !f.is_empty() && f != to && seen.insert(f.clone()) {
                    out.push((f, to.clone()));
                }
            }
        }
        out
    }

    /// The binary's files that `query` names through the map: same file after mapping both
    /// sides to local paths, or a path suffix on a `/` boundary (`main.go`, `hello/main.go`).
    /// Exact matches come first.
    pub fn resolve<'a>(&self, query: &str, files: &'a [String]) -> Vec<&'a str> {
        let q = key(&self.to_local(query));
        let relative = !q.starts_with('/');
        let q_rel = q.strip_prefix("./").unwrap_or(&q).to_string();
        let mut exact = Vec::new();
        let mut suffix = Vec::new();
        for f in files {
            let local = key(&self.to_local(f));
            if local == q {
                exact.push(f.as_str());
            } else if relative && crate::dwarf::path_matches(&local, &q_rel) {
                suffix.push(f.as_str());
            }
        }
        exact.extend(suffix);
        exact
    }

    /// Read `[[path-map]]` entries (`from`, `to`) or a `[path-map]` table (`"FROM" =
    /// "TO"`) from a TOML config file. Returns the number of rules added.
    pub fn load_config_str(&mut self, text: &str, origin: &str) -> Result<usize> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| bad_input(origin, &e.to_string()))?;
        let mut found: Vec<(String, String)> = Vec::new();
        match table.get("path-map") {
            None => {}
            Some(toml::Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let from = item.get("from").and_then(toml::Value::as_str);
                    let to = item.get("to").and_then(toml::Value::as_str);
                    let (Some(from), Some(to)) = (from, to) else {
                        return Err(bad_input(
                            origin,
                            &format!("path-map entry {} needs string keys from and to", i + 1),
                        ));
                    };
                    found.push((from.to_string(), to.to_string()));
                }
            }
            Some(toml::Value::Table(t)) => {
                for (from, to) in t {
                    let Some(to) = to.as_str() else {
                        return Err(bad_input(
                            origin,
                            &format!("path-map.{from} is not a string"),
                        ));
                    };
                    found.push((from.clone(), to.to_string()));
                }
            }
            Some(_) => {
                return Err(bad_input(
                    origin,
                    "path-map must be a table or an array of tables",
                ))
            }
        }
        self.add_all(&found, origin)
    }

    /// Add every rule of one file, or none: the first bad rule (an empty side, a control
    /// character) is the error. Returns how many were added.
    fn add_all(&mut self, rules: &[(String, String)], origin: &str) -> Result<usize> {
        for (from, to) in rules {
            if from.trim().is_empty() || to.trim().is_empty() {
                return Err(bad_input(
                    origin,
                    &format!(
                        "path-map rule {} -> {} needs two paths",
                        text::escape(from),
                        text::escape(to)
                    ),
                ));
            }
            check_rule_text(from.trim(), to.trim(), origin)?;
        }
        for (from, to) in rules {
            self.push(from.trim(), to.trim(), origin);
        }
        Ok(rules.len())
    }

    /// [`PathMap::load_config_str`] on a file.
    pub fn load_config(&mut self, path: &Path) -> Result<usize> {
        let text = read(path)?;
        self.load_config_str(&text, &path.display().to_string())
    }

    /// Import the rules of a VS Code launch.json (JSON with comments and trailing commas):
    /// each configuration's `substitutePath` (Go: `{from: editor path, to: debugger path}`)
    /// and `sourceFileMap` (C/C++: `{"compile-time path": "editor path" | {editorPath}}`).
    /// `${workspaceFolder}` becomes `workspace` (the folder holding `.vscode`). Returns the
    /// number of rules added.
    pub fn import_launch_json_str(
        &mut self,
        text: &str,
        origin: &str,
        workspace: Option<&str>,
    ) -> Result<usize> {
        let value = parse_jsonc(text, origin)?;
        let Some(jsonc_parser::JsonValue::Object(root)) = value else {
            return Err(bad_input(origin, "not a JSON object"));
        };
        let subst = |s: &str| match workspace {
            Some(w) => s
                .replace("${workspaceFolder}", w)
                .replace("${workspaceRoot}", w),
            None => s.to_string(),
        };
        let mut found: Vec<(String, String)> = Vec::new();
        let Some(configs) = root.get_array("configurations") else {
            return Ok(0);
        };
        for c in configs.iter() {
            let jsonc_parser::JsonValue::Object(c) = c else {
                continue;
            };
            if let Some(sp) = c.get_array("substitutePath") {
                for e in sp.iter() {
                    let jsonc_parser::JsonValue::Object(e) = e else {
                        continue;
                    };
                    if let (Some(from), Some(to)) = (e.get_string("from"), e.get_string("to")) {
                        found.push((subst(from), subst(to)));
                    }
                }
            }
            if let Some(sfm) = c.get_object("sourceFileMap") {
                for (from, to) in sfm.clone().into_iter() {
                    let to = match to {
                        jsonc_parser::JsonValue::String(s) => s.to_string(),
                        jsonc_parser::JsonValue::Object(o) => match o.get_string("editorPath") {
                            Some(s) => s.to_string(),
                            None => continue,
                        },
                        _ => continue,
                    };
                    found.push((subst(&from), subst(&to)));
                }
            }
        }
        self.add_all(&found, origin)
    }

    /// [`PathMap::import_launch_json_str`] on a file.
    pub fn import_launch_json(&mut self, path: &Path, workspace: Option<&str>) -> Result<usize> {
        let text = read(path)?;
        self.import_launch_json_str(&text, &path.display().to_string(), workspace)
    }
}

/// Parse JSON with comments and trailing commas (VS Code's JSONC) with jsonc-parser.
pub fn parse_jsonc<'a>(text: &'a str, origin: &str) -> Result<Option<jsonc_parser::JsonValue<'a>>> {
    jsonc_parser::parse_to_value(text, &jsonc_parser::ParseOptions::default())
        .map_err(|e| bad_input(origin, &e.to_string()))
}

/// A JSONC text (comments, trailing commas) as strict JSON, for readers that only take
/// JSON (Python's `json`). `Error::BadInput` if it does not parse; `null` for an empty text.
pub fn jsonc_to_json(text: &str, origin: &str) -> Result<String> {
    let v: serde_json::Value =
        jsonc_parser::parse_to_serde_value(text, &jsonc_parser::ParseOptions::default())
            .map_err(|e| bad_input(origin, &e.to_string()))?;
    Ok(v.to_string())
}

/// True if `text` parses as JSONC (an empty text counts as parseable).
pub fn jsonc_ok(text: &str) -> std::result::Result<(), String> {
    parse_jsonc(text, "input")
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Suggest the rule that makes `query` (a path as the user or editor spells it) name
/// `binary_file` (a path the binary has): the two paths minus their longest common tail
/// of path components (at least the file name). None when nothing but the file name is
/// shared... or when the paths are equal.
pub fn suggest_rule(query: &str, binary_file: &str) -> Option<(String, String)> {
    let q: Vec<&str> = query.split(['/', '\\']).collect();
    let b: Vec<&str> = binary_file.split(['/', '\\']).collect();
    let mut common = 0;
    while common < q.len().min(b.len()) {
        let (x, y) = (q[q.len() - 1 - common], b[b.len() - 1 - common]);
        if x != y || x.is_empty() {
            break;
        }
        common += 1;
    }
    if common == 0 || common >= q.len() || common >= b.len() {
        return None;
    }
    let sep = if query.contains('\\') { "\\" } else { "/" };
    let from = q[..q.len() - common].join(sep);
    let to = b[..b.len() - common].join("/");
    let from = if from.is_empty() {
        sep.to_string()
    } else {
        from
    };
    let from = if from.len() == 2 && drive_split(&from).is_some() {
        format!("{from}{sep}")
    } else {
        from
    };
    let to = if to.is_empty() { "/".to_string() } else { to };
    Some((from, to))
}

/// Add `configs` (a JSON array of objects) to the `configurations` of a launch.json text,
/// keeping its comments and layout (jsonc-parser's CST); an empty text starts a new file.
/// A configuration whose `name` is already there is left alone. Returns the new text and
/// the names added and skipped. A text that does not parse is `Error::BadInput`.
pub fn merge_launch_json(
    text: &str,
    configs: &str,
    origin: &str,
) -> Result<(String, Vec<String>, Vec<String>)> {
    use jsonc_parser::cst::{CstInputValue, CstRootNode};
    use jsonc_parser::JsonValue;

    fn input(v: &JsonValue<'_>) -> CstInputValue {
        match v {
            JsonValue::String(s) => CstInputValue::String(s.to_string()),
            JsonValue::Number(n) => CstInputValue::Number(n.to_string()),
            JsonValue::Boolean(b) => CstInputValue::Bool(*b),
            JsonValue::Null => CstInputValue::Null,
            JsonValue::Array(a) => CstInputValue::Array(a.iter().map(input).collect()),
            JsonValue::Object(o) => CstInputValue::Object(
                o.clone()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), input(&v)))
                    .collect(),
            ),
        }
    }

    let text = if text.trim().is_empty() {
        "{\n  \"version\": \"0.2.0\",\n  \"configurations\": []\n}\n"
    } else {
        text
    };
    let opts = jsonc_parser::ParseOptions::default();
    let root = CstRootNode::parse(text, &opts).map_err(|e| bad_input(origin, &e.to_string()))?;
    let Some(obj) = root.object_value() else {
        return Err(bad_input(origin, "the top level is not a JSON object"));
    };
    if obj.get("configurations").is_some() && obj.array_value("configurations").is_none() {
        return Err(bad_input(origin, "\"configurations\" is not an array"));
    }
    if obj.get("version").is_none() {
        obj.append("version", CstInputValue::String("0.2.0".into()));
    }
    let arr = obj.array_value_or_set("configurations");
    let existing: Vec<String> = arr
        .elements()
        .iter()
        .filter_map(|e| e.as_object()?.get("name")?.value()?.as_string_lit())
        .filter_map(|s| s.decoded_value().ok())
        .collect();
    let new = parse_jsonc(configs, "configurations")?;
    let Some(JsonValue::Array(new)) = new else {
        return Err(bad_input("configurations", "not a JSON array"));
    };
    let (mut added, mut skipped) = (Vec::new(), Vec::new());
    for c in new.iter() {
        let name = match c {
            JsonValue::Object(o) => o.get_string("name").map(|s| s.to_string()),
            _ => None,
        }
        .unwrap_or_default();
        if existing.contains(&name) {
            skipped.push(name);
            continue;
        }
        arr.append(input(c));
        added.push(name);
    }
    Ok((root.to_string(), added, skipped))
}

/// A rules file's text: a regular file only (a FIFO or device is refused by what it is,
/// without reading), at most [`MAX_RULES_FILE`] bytes.
fn read(path: &Path) -> Result<String> {
    let file = crate::binary::open_regular(path, "a rules file")?;
    let mut bytes = Vec::new();
    file.take(MAX_RULES_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_RULES_FILE {
        return Err(Error::BadInput(format!(
            "{}: larger than {} MiB; not a rules file",
            text::escape(&path.display().to_string()),
            MAX_RULES_FILE >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        Error::BadInput(format!(
            "{}: not UTF-8 text",
            text::escape(&path.display().to_string())
        ))
    })
}

fn bad_input(origin: &str, msg: &str) -> Error {
    let msg = msg.split_whitespace().collect::<Vec<_>>().join(" ");
    Error::BadInput(format!("{}: {}", text::escape(origin), text::escape(&msg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_mapping_both_ways() {
        assert_eq!(
            windows_to_wsl(r"C:\work\hello").as_deref(),
            Some("/mnt/c/work/hello")
        );
        assert_eq!(
            windows_to_wsl("c:/work/hello").as_deref(),
            Some("/mnt/c/work/hello")
        );
        assert_eq!(windows_to_wsl(r"D:\").as_deref(), Some("/mnt/d"));
        assert_eq!(windows_to_wsl("E:").as_deref(), Some("/mnt/e"));
        assert_eq!(
            windows_to_wsl(r"\\wsl$\Ubuntu\home\u\x.go").as_deref(),
            Some("/home/u/x.go")
        );
        assert_eq!(
            windows_to_wsl("//WSL.localhost/Debian/home/u").as_deref(),
            Some("/home/u")
        );
        assert_eq!(windows_to_wsl(r"\\server\share\x"), None);
        assert_eq!(windows_to_wsl("/home/u"), None);
        assert_eq!(windows_to_wsl("C:foo"), None);
        assert_eq!(
            wsl_to_windows("/mnt/c/work/hello", None).as_deref(),
            Some(r"C:\work\hello")
        );
        assert_eq!(
            wsl_to_windows("/home/u/x.go", Some("Ubuntu")).as_deref(),
            Some(r"\\wsl.localhost\Ubuntu\home\u\x.go")
        );
        assert_eq!(wsl_to_windows("/home/u", None), None);
        assert_eq!(wsl_to_windows("/mnt/cdrom/x", None), None);
    }

    #[test]
    fn rules_longest_prefix_and_case() {
        let mut m = PathMap::new();
        m.add(r"C:\work", "/home/u/work", "set").unwrap();
        m.add(r"c:\WORK\special", "/srv/special", "set").unwrap();
        assert_eq!(
            m.to_local(r"C:\Work\hello\main.go"),
            "/home/u/work/hello/main.go"
        );
        assert_eq!(m.to_local("c:/work/special/a.go"), "/srv/special/a.go");
        assert_eq!(m.to_local("/mnt/c/work/x.go"), "/home/u/work/x.go");
        assert_eq!(m.to_local(r"C:\workshop\x.go"), "/mnt/c/workshop/x.go");
        assert_eq!(
            m.to_foreign("/srv/special/a.go", true, None),
            r"c:\WORK\special\a.go"
        );
        assert_eq!(
            m.to_foreign("/home/u/work/h/m.go", true, None),
            r"C:\work\h\m.go"
        );
        assert_eq!(m.to_foreign("/mnt/d/x", true, None), r"D:\x");
        assert_eq!(m.to_foreign("/tmp/x", false, None), "/tmp/x");
        assert!(m.remove("C:/work"));
        assert!(!m.remove("C:/work"));
        assert_eq!(m.rules().len(), 1);
        // same `from` in another spelling replaces
        m.add("C:/WORK/special/", "/elsewhere", "set").unwrap();
        assert_eq!(m.rules().len(), 1);
        assert!(m.add("", "/x", "set").is_err());
    }

    #[test]
    fn resolve_against_binary_files() {
        let files = vec![
            "/home/u/work/hello/main.go".to_string(),
            "/usr/lib/go/src/fmt/print.go".to_string(),
        ];
        let mut m = PathMap::new();
        assert!(m.resolve(r"C:\work\hello\main.go", &files).is_empty());
        m.add(r"C:\work", "/home/u/work", "set").unwrap();
        assert_eq!(
            m.resolve(r"C:\work\hello\main.go", &files),
            vec![files[0].as_str()]
        );
        assert_eq!(m.resolve("hello/main.go", &files), vec![files[0].as_str()]);
        assert_eq!(m.resolve("fmt/print.go", &files), vec![files[1].as_str()]);
        assert!(m.resolve("lo/main.go", &files).is_empty());
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest_rule(r"C:\work\hello\main.go", "/home/u/src/hello/main.go"),
            Some((r"C:\work".into(), "/home/u/src".into()))
        );
        assert_eq!(
            suggest_rule(r"C:\hello\main.go", "/home/u/hello/main.go"),
            Some((r"C:\".into(), "/home/u".into()))
        );
        assert_eq!(suggest_rule("main.go", "/x/main.go"), None);
        assert_eq!(suggest_rule("/a/x.go", "/b/y.go"), None);
    }

    #[test]
    fn config_and_launch_json() {
        let mut m = PathMap::new();
        let n = m
            .load_config_str(
                "[[path-map]]\nfrom = 'C:\\work'\nto = \"/home/u/work\"\n",
                "config.toml",
            )
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(m.to_local(r"C:\work\a.go"), "/home/u/work/a.go");
        let mut t = PathMap::new();
        assert_eq!(
            t.load_config_str("[path-map]\n'D:\\src' = '/src'\n", "c")
                .unwrap(),
            1
        );
        assert!(t.load_config_str("[[path-map]]\nfrom = 1\n", "c").is_err());
        let e = t
            .load_config_str("path-map = [", "cfg.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("cfg.toml: "), "{e}");
        assert!(!e.contains('\n'));

        let launch = r#"{
            // VS Code writes comments
            "version": "0.2.0",
            "configurations": [
                {
                    "name": "Go",
                    "type": "go",
                    "substitutePath": [
                        { "from": "${workspaceFolder}", "to": "/home/u/proj" }, // trailing
                    ],
                },
                {
                    "type": "cppdbg",
                    "sourceFileMap": {
                        "/build/proj": "C:\\proj",
                        "/build/other": { "editorPath": "/home/u/other", "useForBreakpoints": true },
                    },
                },
            ],
        }"#;
        let mut v = PathMap::new();
        assert_eq!(
            v.import_launch_json_str(launch, "launch.json", Some(r"C:\proj"))
                .unwrap(),
            3
        );
        assert_eq!(v.to_local(r"C:\proj\main.go"), "/home/u/proj/main.go");
        assert_eq!(v.to_local("/build/other/x.go"), "/home/u/other/x.go");
        assert!(v.import_launch_json_str("{ nope", "l", None).is_err());
    }

    #[test]
    fn merge_keeps_comments() {
        let text = "{\n  // mine\n  \"configurations\": [\n    {\"name\": \"a\", \"type\": \"go\"},\n  ],\n}\n";
        let (out, added, skipped) = merge_launch_json(
            text,
            r#"[{"name": "a"}, {"name": "b", "setupCommands": [{"text": "x"}]}]"#,
            "l",
        )
        .unwrap();
        assert!(out.contains("// mine"), "{out}");
        assert_eq!(added, vec!["b".to_string()]);
        assert_eq!(skipped, vec!["a".to_string()]);
        assert!(jsonc_ok(&out).is_ok());
        let (fresh, added, _) = merge_launch_json("", r#"[{"name": "c"}]"#, "l").unwrap();
        assert_eq!(added, vec!["c".to_string()]);
        assert!(fresh.contains("\"c\""));
        assert!(merge_launch_json("{ broken", "[]", "l").is_err());
        assert!(merge_launch_json("[1]", "[]", "l").is_err());
        assert_eq!(
            jsonc_to_json("{/* c */ \"a\": [1,],}", "x").unwrap(),
            "{\"a\":[1]}"
        );
    }

    #[test]
    fn substitutions_cover_spellings() {
        let mut m = PathMap::new();
        m.add(r"C:\build\", "/home/u/build", "set").unwrap();
        let s = m.substitutions();
        assert!(s.contains(&(r"C:\build".into(), "/home/u/build".into())));
        assert!(s.contains(&("C:/build".into(), "/home/u/build".into())));
        assert!(s.contains(&("/mnt/c/build".into(), "/home/u/build".into())));
    }

    #[test]
    fn control_characters_refuse_the_rule_and_the_whole_file() {
        let mut m = PathMap::new();
        let e = m
            .add("/build/src", "/home/u/src\nshell touch /tmp/PWNED #", "set")
            .unwrap_err()
            .to_string();
        assert!(!e.contains('\n'), "{e}");
        assert!(e.contains(r"/home/u/src\nshell touch"), "{e}");
        assert!(m.add("/a\u{202e}b", "/x", "set").is_err());
        assert!(m.add("/a\x1b[31m", "/x", "set").is_err());
        assert!(m.rules().is_empty());
        let launch = r#"{"configurations": [{"substitutePath": [
            {"from": "/ok", "to": "/fine"},
            {"from": "/build/src", "to": "/home/u/src\nshell touch /tmp/PWNED #"}]}]}"#;
        let e = m
            .import_launch_json_str(launch, "launch.json", None)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("launch.json: path-map rule /build/src -> "),
            "{e}"
        );
        assert!(m.rules().is_empty(), "no rule of a refused file is kept");
        let toml = "[[path-map]]\nfrom = '/ok'\nto = '/fine'\n[[path-map]]\nfrom = '/b'\nto = \"/x\\u0007\"\n";
        assert!(m.load_config_str(toml, "config.toml").is_err());
        assert!(m.rules().is_empty());
        // backslashes are Windows paths, not escapes
        m.add(r"C:\work", "/home/u/work", "set").unwrap();
    }

    #[test]
    fn odd_files_are_refused_without_reading() {
        let mut m = PathMap::new();
        for dev in ["/dev/zero", "/dev/null"] {
            let e = m.import_launch_json(Path::new(dev), None).unwrap_err();
            assert!(e.to_string().contains("not a rules file"), "{e}");
            assert!(m.load_config(Path::new(dev)).is_err());
        }
        let dir = std::env::temp_dir().join(format!("wslgo-pm-fifo-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let c = std::ffi::CString::new(dir.to_string_lossy().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = m.import_launch_json(&dir, None).unwrap_err().to_string();
        let _ = std::fs::remove_file(&dir);
        assert!(e.contains("FIFO") || e.contains("fifo"), "{e}");
    }

    #[test]
    fn many_rules_keep_the_longest_prefix_and_first_to() {
        let mut m = PathMap::new();
        let n = 20_000;
        let mut json = String::from(r#"{"configurations": [{"substitutePath": ["#);
        for i in 0..n {
            json.push_str(&format!(
                r#"{{"from": "/build/p{i}", "to": "/home/u/p{i}"}},"#
            ));
        }
        json.push_str("]}]}");
        assert_eq!(m.import_launch_json_str(&json, "l", None).unwrap(), n);
        assert_eq!(m.to_local("/build/p19999/x.go"), "/home/u/p19999/x.go");
        assert_eq!(
            m.to_foreign("/home/u/p7/a/b.go", false, None),
            "/build/p7/a/b.go"
        );
        assert_eq!(m.substitutions().len(), n);
        // a longer rule wins, a replaced rule keeps its place, remove re-indexes
        m.add("/build/p7/a", "/srv/a", "set").unwrap();
        assert_eq!(m.to_local("/build/p7/a/b.go"), "/srv/a/b.go");
        assert_eq!(m.to_local("/build/p7/ab.go"), "/home/u/p7/ab.go");
        m.add("/build/p7", "/elsewhere", "set").unwrap();
        assert_eq!(m.rules()[7].to, "/elsewhere");
        assert_eq!(m.to_foreign("/elsewhere/z", false, None), "/build/p7/z");
        assert_eq!(m.to_foreign("/home/u/p7/z", false, None), "/home/u/p7/z");
        assert!(m.remove("/build/p3"));
        assert_eq!(m.to_local("/build/p3/x"), "/build/p3/x");
        assert_eq!(m.to_local("/build/p4/x"), "/home/u/p4/x");
        // two rules to one place: the first added names it; a root rule
        let mut t = PathMap::new();
        t.add("/one", "/same", "set").unwrap();
        t.add("/two", "/same", "set").unwrap();
        assert_eq!(t.to_foreign("/same/f", false, None), "/one/f");
        t.add("/", "/root", "set").unwrap();
        assert_eq!(t.to_local("/x/y"), "/root/x/y");
        assert_eq!(t.to_local("/one/f"), "/same/f");
        assert_eq!(t.to_foreign("/root/x", false, None), "/x");
    }
}
