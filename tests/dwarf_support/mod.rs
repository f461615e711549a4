//! Shared helpers of the DWARF and symbol integration tests: fixture builds, Go tools, gdb.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Go versions under test: WSLGO_GO_VERSIONS (comma list, or `all`), default 1.21,1.24,1.27.
pub fn versions() -> Vec<String> {
    match std::env::var("WSLGO_GO_VERSIONS")
        .ok()
        .as_deref()
        .map(str::trim)
    {
        Some("all") => ["1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        Some(list) if !list.is_empty() && list != "default" => {
            list.split(',').map(|s| s.trim().to_string()).collect()
        }
        _ => vec!["1.21".into(), "1.24".into(), "1.27".into()],
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Build (or reuse) a fixture binary; panics with the script's stderr on failure.
pub fn fixture(name: &str, version: &str, mode: &str) -> PathBuf {
    let out = Command::new("python3")
        .arg(root().join("tests/gofixtures.py"))
        .args([name, version, mode])
        .output()
        .expect("run tests/gofixtures.py");
    assert!(
        out.status.success(),
        "gofixtures {name} {version} {mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Path of `go` for a pinned version.
pub fn go(version: &str) -> PathBuf {
    let out = Command::new("python3")
        .arg(root().join("scripts/go-toolchains"))
        .args(["path", version])
        .output()
        .expect("run scripts/go-toolchains");
    assert!(out.status.success(), "go-toolchains path {version}");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Run `go tool ARGS` with `stdin`, return stdout.
pub fn go_tool(version: &str, args: &[&str], stdin: &str) -> String {
    let go = go(version);
    let goroot = go
        .parent()
        .and_then(Path::parent)
        .expect("GOROOT from go path")
        .to_path_buf();
    let mut child = Command::new(&go)
        .arg("tool")
        .args(args)
        .env("GOROOT", goroot)
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn go tool");
    let mut sin = child.stdin.take().expect("stdin");
    let input = stdin.to_string();
    let writer = std::thread::spawn(move || {
        let _ = sin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("go tool output");
    let _ = writer.join();
    assert!(
        out.status.success(),
        "go tool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `go tool nm` symbols: (addr, kind char, name).
pub fn nm(version: &str, bin: &Path) -> Vec<(u64, char, String)> {
    let text = go_tool(version, &["nm", bin.to_str().expect("utf8 path")], "");
    text.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let addr = u64::from_str_radix(it.next()?, 16).ok()?;
            let kind = it.next()?.chars().next()?;
            let name = it.collect::<Vec<_>>().join(" ");
            Some((addr, kind, name))
        })
        .collect()
}

/// `go tool addr2line` for many pcs: pc -> (function, file, line).
pub fn go_addr2line(version: &str, bin: &Path, pcs: &[u64]) -> HashMap<u64, (String, String, u32)> {
    let input: String = pcs.iter().map(|pc| format!("{pc:#x}\n")).collect();
    let text = go_tool(
        version,
        &["addr2line", bin.to_str().expect("utf8 path")],
        &input,
    );
    let lines: Vec<&str> = text.lines().collect();
    let mut out = HashMap::new();
    for (pc, pair) in pcs.iter().zip(lines.chunks(2)) {
        if let [func, pos] = pair {
            let (file, line) = pos.rsplit_once(':').unwrap_or((pos, "0"));
            out.insert(
                *pc,
                (
                    func.to_string(),
                    file.to_string(),
                    line.parse().unwrap_or(0),
                ),
            );
        }
    }
    out
}

/// Run `gdb -nx -batch` with `set language c` and the given `print` expressions; return the
/// value printed for each (text after `= `), in order.
pub fn gdb_prints(bin: &Path, exprs: &[String]) -> Vec<String> {
    let mut cmd = Command::new("gdb");
    cmd.args([
        "-nx",
        "-batch",
        "-iex",
        "set auto-load no",
        "-ex",
        "set language c",
    ]);
    for e in exprs {
        cmd.arg("-ex").arg(format!("print {e}"));
    }
    cmd.arg(bin);
    let out = cmd.output().expect("run gdb");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            if l.starts_with('$') {
                l.split_once("= ").map(|(_, v)| v.to_string())
            } else if !l.is_empty() {
                Some(format!("ERROR: {l}"))
            } else {
                None
            }
        })
        .collect()
}
