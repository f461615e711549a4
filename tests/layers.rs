//! The core's layers, read from the sources: `runtime` never imports `views` (the views sit
//! above the runtime model), and `src/py` holds conversions only (domain logic lives in the
//! core, where `cargo test` and the fuzzers reach it).

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn src(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(sub)
}

#[test]
fn runtime_does_not_import_views() {
    for f in rust_files(&src("runtime")) {
        let text = fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            assert!(
                !code.contains("views::") && !code.contains("crate::views"),
                "{}:{}: runtime imports views: {line}",
                f.display(),
                i + 1
            );
        }
    }
}

/// Types of src/py that may have inherent methods that are not Python methods: the
/// converters between Python objects and the core's types.
const CONVERTERS: [&str; 4] = [
    "Conv<'py>",        // records to dicts (shared strings and frames)
    "ProgramArg",       // Symbols / Binary / path argument to the core's Symbols
    "PyCallbackMemory", // a Python callable as the core's Memory
    "PyScope",          // "current" / "user" / "all" to Scope
];

/// The traits src/py may implement: conversions, and the core's I/O traits over Python
/// callables.
const CONVERSION_TRAITS: [&str; 5] = [
    "From<",          // a Python-side struct into the core's
    "FromPyObject<",  // Python arguments into Rust
    "IntoPyObject<",  // Rust results into Python
    "Memory",         // reads through a Python callable
    "std::io::Write", // writes through a Python callable
];

/// A src/py file, line by line, with the type of the `impl` block each line is in (None
/// outside one).
fn impl_blocks(text: &str) -> Vec<(Option<String>, &str)> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(head) = impl_head(line) {
            current = Some(head);
        } else if line == "}" {
            out.push((current.take(), line));
            continue;
        }
        out.push((current.clone(), line));
    }
    out
}

/// `impl<'py> Conv<'py> {` -> `Conv<'py>`; `impl<'a> FromPyObject<'a> for X {` ->
/// `FromPyObject<'a> for X`.
fn impl_head(line: &str) -> Option<String> {
    let rest = line
        .strip_prefix("unsafe impl")
        .or_else(|| line.strip_prefix("impl"))?;
    if !(rest.starts_with(' ') || rest.starts_with('<')) {
        return None;
    }
    let rest = rest.trim_start();
    let rest = match rest.strip_prefix('<') {
        // the generic parameters: up to the matching '>'
        Some(r) => {
            let mut depth = 1;
            let end = r
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '<' => depth += 1,
                        '>' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(r.len(), |(i, _)| i + 1);
            &r[end..]
        }
        None => rest,
    };
    Some(rest.trim().trim_end_matches('{').trim().to_string())
}

#[test]
fn the_binding_holds_conversions_only() {
    for f in rust_files(&src("py")) {
        let text = fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines.len() <= 400,
            "{}: {} lines; the binding converts arguments, a few hundred lines a file",
            f.display(),
            lines.len()
        );
        for (i, line) in lines.iter().enumerate() {
            let Some(ty) = impl_head(line) else {
                continue;
            };
            let pymethods = i > 0 && lines[i - 1].trim() == "#[pymethods]";
            let ok = if let Some((tr, _)) = ty.split_once(" for ") {
                CONVERSION_TRAITS.iter().any(|t| tr.starts_with(t))
            } else {
                pymethods || CONVERTERS.contains(&ty.as_str())
            };
            assert!(
                ok,
                "{}:{}: `{line}` is neither Python methods, a conversion trait \
                 ({CONVERSION_TRAITS:?}) nor a converter ({CONVERTERS:?}): domain logic \
                 belongs in the core",
                f.display(),
                i + 1
            );
        }
        // Loops walk data: only a converter walks a record into Python objects; every other
        // walk (over goroutines, frames, strings, chunks) is the core's.
        for (i, (block, line)) in impl_blocks(&text).iter().enumerate() {
            let code = line.split("//").next().unwrap_or("").trim_start();
            let looping = ["for ", "while ", "loop {"]
                .iter()
                .any(|k| code.starts_with(k));
            let in_converter = block.as_deref().is_some_and(|b| CONVERTERS.contains(&b));
            assert!(
                !looping || in_converter,
                "{}:{}: `{}` loops outside a converter: the walk belongs in the core",
                f.display(),
                i + 1,
                line.trim()
            );
        }
    }
}

#[test]
fn the_layer_rules_see_impls_and_loops() {
    // the rules above parse what they check: a test of the parser on known lines
    assert_eq!(
        impl_head("impl<'py> Conv<'py> {").as_deref(),
        Some("Conv<'py>")
    );
    assert_eq!(
        impl_head("impl<'a, 'py> FromPyObject<'a, 'py> for PyScope {").as_deref(),
        Some("FromPyObject<'a, 'py> for PyScope")
    );
    assert_eq!(
        impl_head("unsafe impl GlobalAlloc for Allocator {").as_deref(),
        Some("GlobalAlloc for Allocator")
    );
    assert_eq!(impl_head("implied"), None);
    assert_eq!(impl_head("    impl X {"), None); // only top-level blocks
    let blocks = impl_blocks("impl A {\n    for x in y {}\n}\nfn f() {\n    for z in w {}\n}");
    let owners: Vec<Option<&str>> = blocks.iter().map(|(b, _)| b.as_deref()).collect();
    assert_eq!(owners, [Some("A"), Some("A"), Some("A"), None, None, None]);
}

#[test]
fn the_dwarf_layout_does_not_import_the_fallback_tables() {
    // fallback.rs builds Layouts; layout.rs reads them from DWARF: the status table both
    // need lives in statuses.rs, so the two do not import each other.
    let text = fs::read_to_string(src("runtime/layout.rs")).unwrap();
    assert!(
        !text
            .lines()
            .any(|l| l.split("//").next().unwrap_or("").contains("fallback")),
        "runtime/layout.rs imports runtime/fallback.rs"
    );
}
