//! The runtime constants wslgo hard-codes, checked against each pinned GOROOT's sources
//! (the idea of delve's `_scripts/rtype.go`): goroutine statuses (`_G*` in
//! runtime/runtime2.go) against `runtime::fallback::STATUSES`, FuncID numbering and FuncFlag
//! bits (internal/abi/symtab.go) against `pclntab::FuncKind` and `FUNC_FLAG_*`. Runs on
//! every pin selected by WSLGO_GO_VERSIONS. Wait-reason names are not hard-coded (they are
//! read from the binary's `runtime.waitReasonStrings`), so there is nothing to check there.

mod common;

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
