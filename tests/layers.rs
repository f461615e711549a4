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
const CONVERTERS: [&str; 5] = [
    "Conv<'py>",        // records to dicts (shared strings and frames)
    "ProgramArg",       // Symbols / Binary / path argument to the core's Symbols
    "PyCallbackMemory", // a Python callable as the core's Memory
    "PyScope",          // "current" / "user" / "all" to Scope
    "Values",           // the values reader's Python-side state (src/py/values.rs)
];

#[test]
fn the_binding_holds_conversions_only() {
    for f in rust_files(&src("py")) {
        let text = fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(rest) = line.strip_prefix("impl") else {
                continue;
            };
            let pymethods = i > 0 && lines[i - 1].trim() == "#[pymethods]";
            let trait_impl = rest.contains(" for ");
            // `impl<'py> Conv<'py> {`: the type after the generic parameters
            let rest = rest.trim_start();
            let rest = match rest.strip_prefix('<') {
                Some(r) => r.split_once('>').map_or(r, |(_, t)| t),
                None => rest,
            };
            let ty = rest.trim().trim_end_matches('{').trim();
            let converter = CONVERTERS.contains(&ty);
            assert!(
                pymethods || trait_impl || converter,
                "{}:{}: `{line}` is neither Python methods, a conversion trait nor a converter \
                 ({CONVERTERS:?}): domain logic belongs in the core",
                f.display(),
                i + 1
            );
        }
    }
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
