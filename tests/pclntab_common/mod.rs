//! Shared helpers of the pclntab integration tests: Go versions to test, fixture builds and
//! the oracles (`go tool addr2line`, `go tool nm`).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Root of the repository (the crate's manifest dir).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Go versions under test: WSLGO_GO_VERSIONS ("all", or a comma list such as
/// "1.21,1.25"), default 1.21, 1.24 and 1.27.
pub fn versions() -> Vec<String> {
    let all = ["1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27"];
    match std::env::var("WSLGO_GO_VERSIONS") {
        Ok(v) if v.trim() == "all" => all.iter().map(|s| s.to_string()).collect(),
        Ok(v) if !v.trim().is_empty() => v
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => ["1.21", "1.24", "1.27"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }
}

/// Build modes of tests/gofixtures.py.
pub const MODES: &[&str] = &["debug", "opt", "nodwarf", "stripped", "pie"];

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Path of tests/go/NAME built with Go `version` in `mode` (cached by the script).
pub fn fixture(name: &str, version: &str, mode: &str) -> PathBuf {
    let out = run(Command::new("python3")
        .arg(root().join("tests/gofixtures.py"))
        .args([name, version, mode]));
    PathBuf::from(out.trim())
}

/// The `go` command of a pinned version.
pub fn go(version: &str) -> PathBuf {
    let out = run(Command::new("python3")
        .arg(root().join("scripts/go-toolchains"))
        .args(["path", version]));
    PathBuf::from(out.trim())
}

/// A `go` command with an offline, local-toolchain environment.
pub fn go_cmd(version: &str) -> Command {
    let go = go(version);
    let goroot = go
        .parent()
        .and_then(Path::parent)
        .expect("GOROOT")
        .to_path_buf();
    let mut cmd = Command::new(&go);
    cmd.env("GOROOT", goroot)
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("CGO_ENABLED", "0");
    cmd
}

/// One answer of `go tool addr2line`: function name, file, line (-1 when unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct A2l {
    pub name: String,
    pub file: String,
    pub line: i64,
}

/// Ask `go tool addr2line` about every pc (unrelocated addresses).
pub fn addr2line(version: &str, bin: &Path, pcs: &[u64]) -> Vec<A2l> {
    let mut child = go_cmd(version)
        .args(["tool", "addr2line"])
        .arg(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("go tool addr2line");
    let input: String = pcs.iter().map(|pc| format!("{pc:#x}\n")).collect();
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("addr2line output");
    writer.join().expect("writer").expect("write to addr2line");
    assert!(
        out.status.success(),
        "addr2line: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), pcs.len() * 2, "addr2line answered short");
    lines
        .chunks(2)
        .map(|c| {
            let (file, line) = c[1].rsplit_once(':').expect("file:line");
            A2l {
                name: c[0].to_string(),
                file: file.to_string(),
                line: line.parse().expect("line number"),
            }
        })
        .collect()
}

/// Text symbols (type T or t) of `go tool nm -size`: name -> (address, size).
pub fn nm_text(version: &str, bin: &Path) -> HashMap<String, (u64, u64)> {
    let out = run(go_cmd(version).args(["tool", "nm", "-size"]).arg(bin));
    let mut map = HashMap::new();
    for line in out.lines() {
        let mut it = line.split_whitespace();
        let (Some(addr), Some(size), Some(kind)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        if kind != "T" && kind != "t" {
            continue;
        }
        let name = it.collect::<Vec<_>>().join(" ");
        let (Ok(addr), Ok(size)) = (u64::from_str_radix(addr, 16), size.parse::<u64>()) else {
            continue;
        };
        map.insert(name, (addr, size));
    }
    map
}

/// A small deterministic PRNG (xorshift64*), so "random" samples are reproducible.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}
