//! The runtime constants wslgo hard-codes, checked against each pinned GOROOT's sources
//! (the idea of delve's `_scripts/rtype.go`): goroutine statuses (`_G*` in
//! runtime/runtime2.go) against `runtime::fallback::STATUSES`, FuncID numbering and FuncFlag
//! bits (internal/abi/symtab.go) against `pclntab::FuncKind` and `FUNC_FLAG_*`. Runs on
//! every pin selected by WSLGO_GO_VERSIONS. Also the sync.Mutex / RWMutex and time.Time
//! encodings of `values::stdtypes` against sync/, internal/sync/ and time/. Wait-reason
//! names are not hard-coded (they are read from the binary's `runtime.waitReasonStrings`),
//! so there is nothing to check there.

use crate::common;

use std::path::PathBuf;

use wslgo::pclntab::{FuncKind, FUNC_FLAG_ASM, FUNC_FLAG_SPWRITE, FUNC_FLAG_TOPFRAME};
use wslgo::runtime::fallback;

fn goroot(version: &str) -> PathBuf {
    let out = common::go_cmd(version)
        .args(["env", "GOROOT"])
        .output()
        .expect("go env GOROOT");
    assert!(out.status.success(), "go env GOROOT for {version}");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// The constants of the `const (...)` block that starts with a spec containing `first`:
/// (name, value) where the value is `iota` (counted per spec) or a literal.
fn const_block(src: &str, first: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut lines = src.lines().skip_while(|l| !l.contains(first));
    let mut iota = 0u64;
    let mut last_expr: Option<String> = None;
    for l in lines.by_ref() {
        let code = l.split("//").next().unwrap_or("").trim();
        if code == ")" {
            break;
        }
        if code.is_empty() {
            continue;
        }
        let (name, expr) = match code.split_once('=') {
            Some((lhs, rhs)) => {
                let name = lhs.split_whitespace().next().unwrap_or("").to_string();
                last_expr = Some(rhs.trim().to_string());
                (name, rhs.trim().to_string())
            }
            None => (
                code.split_whitespace().next().unwrap_or("").to_string(),
                last_expr.clone().unwrap_or_default(),
            ),
        };
        let value = eval(&expr, iota, &out);
        out.push((name, value));
        iota += 1;
    }
    out
}

/// The few expression forms these blocks use: `iota`, `1 << iota`, `T = iota`, hex and
/// decimal literals, `_Gscan + _Grunning`.
fn eval(expr: &str, iota: u64, known: &[(String, u64)]) -> u64 {
    let e = expr
        .trim_start_matches(|c: char| c.is_alphanumeric() || c == '_')
        .trim();
    // `FuncID = iota`: the type name comes first.
    let e = if expr.contains('=') { e } else { expr.trim() };
    let e = e.trim_start_matches('=').trim();
    let e = if e.is_empty() { expr.trim() } else { e };
    if e == "iota" {
        return iota;
    }
    if let Some(rest) = e.strip_suffix("<< iota") {
        return rest.trim().parse::<u64>().expect("shift base") << iota;
    }
    if let Some(h) = e.strip_prefix("0x") {
        return u64::from_str_radix(h, 16).expect("hex");
    }
    if let Ok(v) = e.parse::<u64>() {
        return v;
    }
    if let Some((a, b)) = e.split_once('+') {
        let get = |n: &str| {
            known
                .iter()
                .find(|(k, _)| k == n.trim())
                .map(|(_, v)| *v)
                .unwrap_or_else(|| panic!("unknown constant {n} in {expr:?}"))
        };
        return get(a) + get(b);
    }
    panic!("cannot evaluate {expr:?}");
}

#[test]
fn goroutine_statuses_match_runtime2_go() {
    for v in common::versions() {
        let minor: u32 = v
            .split('.')
            .nth(1)
            .and_then(|m| m.parse().ok())
            .expect("minor");
        let src = std::fs::read_to_string(goroot(&v).join("src/runtime/runtime2.go"))
            .expect("runtime2.go");
        // The statuses, then _Gscan (in the same block or the next one); the derived
        // _Gscanrunning etc. are not constants wslgo keeps.
        let mut goroot: Vec<(String, u64)> = Vec::new();
        let blocks = [
            const_block(&src, "_Gidle = iota"),
            const_block(&src, "_Gscan "),
        ];
        for (n, val) in blocks.into_iter().flatten() {
            let derived = n.starts_with("_Gscan") && n != "_Gscan";
            if n.starts_with("_G") && !derived && !goroot.iter().any(|(k, _)| *k == n) {
                goroot.push((n, val));
            }
        }
        let ours: Vec<(String, u64)> = fallback::statuses(minor)
            .map(|s| (format!("_G{}", s.name), u64::from(s.value)))
            .collect();
        assert_eq!(ours, goroot, "goroutine statuses of Go {v}");
    }
}

#[test]
fn func_ids_and_flags_match_internal_abi() {
    for v in common::versions() {
        let minor: u32 = v
            .split('.')
            .nth(1)
            .and_then(|m| m.parse().ok())
            .expect("minor");
        let src = std::fs::read_to_string(goroot(&v).join("src/internal/abi/symtab.go"))
            .expect("internal/abi/symtab.go");
        let ids = const_block(&src, "FuncIDNormal FuncID = iota");
        assert!(ids.len() > 20, "FuncIDs of Go {v}: {ids:?}");
        for (name, raw) in &ids {
            let want = name
                .trim_start_matches("FuncID_")
                .trim_start_matches("FuncID")
                .replace('_', "")
                .to_ascii_lowercase();
            let raw = u8::try_from(*raw).expect("u8");
            let got = format!("{:?}", FuncKind::from_raw(raw, minor)).to_ascii_lowercase();
            assert_eq!(got, want, "FuncID {raw} of Go {v}");
        }
        let past = u8::try_from(ids.len()).expect("u8");
        assert_eq!(
            FuncKind::from_raw(past, minor),
            FuncKind::Unknown(past),
            "Go {v} has {} FuncIDs",
            ids.len()
        );
        let flags = const_block(&src, "FuncFlagTopFrame FuncFlag = 1 << iota");
        let flag = |n: &str| flags.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
        assert_eq!(
            flag("FuncFlagTopFrame"),
            Some(u64::from(FUNC_FLAG_TOPFRAME))
        );
        assert_eq!(flag("FuncFlagSPWrite"), Some(u64::from(FUNC_FLAG_SPWRITE)));
        assert_eq!(flag("FuncFlagAsm"), Some(u64::from(FUNC_FLAG_ASM)));
    }
}

/// The `NAME = <literal>` (or `1 << N`) constant `name` of a Go source, if present.
fn literal_const(src: &str, name: &str) -> Option<u64> {
    src.lines().find_map(|l| {
        let code = l.split("//").next()?.trim();
        let code = code.strip_prefix("const ").unwrap_or(code);
        let (lhs, rhs) = code.split_once('=')?;
        if lhs.split_whitespace().next()? != name {
            return None;
        }
        let rhs = rhs.trim();
        match rhs.split_once("<<") {
            Some((a, b)) => Some(a.trim().parse::<u64>().ok()? << b.trim().parse::<u32>().ok()?),
            None => rhs.parse().ok(),
        }
    })
}

#[test]
fn sync_and_time_encodings_match_the_standard_library() {
    use wslgo::values::stdtypes as st;
    for v in common::versions() {
        let root = goroot(&v).join("src");
        // sync.Mutex's state bits moved to internal/sync in Go 1.24.
        let mutex = std::fs::read_to_string(root.join("internal/sync/mutex.go"))
            .or_else(|_| std::fs::read_to_string(root.join("sync/mutex.go")))
            .expect("mutex.go");
        let block: Vec<&str> = mutex
            .lines()
            .skip_while(|l| !l.contains("mutexLocked = 1 << iota"))
            .map(|l| l.split("//").next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .take(4)
            .collect();
        let names: Vec<&str> = block
            .iter()
            .map(|l| l.split_whitespace().next().unwrap_or(""))
            .collect();
        assert_eq!(
            names,
            [
                "mutexLocked",
                "mutexWoken",
                "mutexStarving",
                "mutexWaiterShift"
            ],
            "Go {v}"
        );
        assert!(block[3].ends_with("= iota"), "Go {v}: {}", block[3]);
        assert_eq!(
            [st::MUTEX_LOCKED, st::MUTEX_WOKEN, st::MUTEX_STARVING],
            [1, 2, 4]
        );
        assert_eq!(st::MUTEX_WAITER_SHIFT, 3);
        let rw = std::fs::read_to_string(root.join("sync/rwmutex.go")).expect("rwmutex.go");
        assert_eq!(
            literal_const(&rw, "rwmutexMaxReaders"),
            Some(st::RW_MAX_READERS as u64),
            "Go {v}"
        );
        let time = std::fs::read_to_string(root.join("time/time.go")).expect("time.go");
        assert_eq!(
            literal_const(&time, "hasMonotonic"),
            Some(st::TIME_HAS_MONOTONIC),
            "Go {v}"
        );
        assert_eq!(
            literal_const(&time, "nsecShift"),
            Some(u64::from(st::TIME_NSEC_BITS)),
            "Go {v}"
        );
        // unixToInternal / wallToInternal: days to 1970 / 1885 from year 1, in seconds.
        let days = |y: i64| y * 365 + y / 4 - y / 100 + y / 400;
        for (year, ours) in [
            (1969, st::TIME_UNIX_TO_INTERNAL),
            (1884, st::TIME_WALL_TO_INTERNAL),
        ] {
            assert!(
                time.contains(&format!(
                    "({year}*365 + {year}/4 - {year}/100 + {year}/400) * secondsPerDay"
                )),
                "Go {v}: the {year} formula"
            );
            assert_eq!(days(year) * 86_400, ours);
        }
    }
}
