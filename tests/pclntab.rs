//! The pclntab reader against real Go binaries and Go's own tools: `go tool addr2line`
//! (function name and file:line of every function entry and mid-function pc), `go tool nm`
//! (entries by name), the runtime's own inline expansion (runtime.CallersFrames printed by
//! the fixture), for Go 1.21, 1.24, 1.27 (WSLGO_GO_VERSIONS widens it) in every build mode.

use crate::common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::{addr2line, fixture, go_cmd, nm_text, versions, Rng, MODES};
use wslgo::binary::Binary;
use wslgo::pclntab::{Func, FuncKind, Pclntab, FUNC_FLAG_TOPFRAME};

fn open(path: &Path) -> Pclntab {
    let bin = Arc::new(Binary::open(path).expect("open fixture"));
    Pclntab::new(bin).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compare our answers for `pcs` with addr2line's; return the mismatches as text.
fn compare_with_addr2line(version: &str, path: &Path, t: &Pclntab, pcs: &[u64]) -> Vec<String> {
    let oracle = addr2line(version, path, pcs);
    let mut bad = Vec::new();
    for (pc, want) in pcs.iter().zip(&oracle) {
        let got = t.func_for_pc(*pc);
        let name = got.map_or("?", |f| t.name(&f));
        let (file, line) = match got.and_then(|f| t.file_line(&f, *pc)) {
            Some((file, line)) => (file.to_string(), i64::from(line)),
            // addr2line prints ":-1" where the tables do not cover a pc (alignment padding),
            // and "?:0" outside every function.
            None if got.is_some() => (String::new(), -1),
            None => ("?".to_string(), 0),
        };
        // Known exception: the linker markers go:textfipsstart/go:textfipsend (Go 1.24+)
        // have no pcfile/pcln tables (offset 0). The runtime's pcvalue returns -1 for that;
        // debug/gosym decodes the bytes at pctab offset 0 as if they were a table and prints
        // garbage (":-5", or some file:line of a neighbour). We follow the runtime.
        let marker = name.starts_with("go:textfips") && line == -1 && want.name == name;
        if !marker && (name != want.name || file != want.file || line != want.line) {
            bad.push(format!(
                "{pc:#x}: ours {name} {file}:{line}, addr2line {} {}:{}",
                want.name, want.file, want.line
            ));
        }
    }
    bad
}

fn entry_and_mid_pcs(t: &Pclntab) -> Vec<u64> {
    let mut pcs = Vec::new();
    for f in t.funcs() {
        pcs.push(f.entry);
        pcs.push(f.entry + (f.end - f.entry) / 2);
    }
    pcs
}

#[test]
fn addr2line_agrees_on_every_function() {
    for v in versions() {
        for mode in MODES {
            let path = fixture("symbols", &v, mode);
            let t = open(&path);
            assert!(
                t.func_count() > 1000,
                "{v} {mode}: {} funcs",
                t.func_count()
            );
            let pcs = entry_and_mid_pcs(&t);
            let bad = compare_with_addr2line(&v, &path, &t, &pcs);
            assert!(
                bad.is_empty(),
                "Go {v} {mode}: {} of {} pcs disagree:\n{}",
                bad.len(),
                pcs.len(),
                bad[..bad.len().min(20)].join("\n")
            );
            eprintln!("Go {v} {mode}: {} pcs agree with addr2line", pcs.len());
        }
    }
}

#[test]
fn nm_agrees_with_function_table() {
    for v in versions() {
        for mode in MODES {
            let path = fixture("symbols", &v, mode);
            let t = open(&path);
            // A stripped binary has no symbols: use its -w twin, whose text is identical
            // (checked below: same function table).
            let nm_path = if *mode == "stripped" {
                fixture("symbols", &v, "nodwarf")
            } else {
                path.clone()
            };
            if *mode == "stripped" {
                let twin = open(&nm_path);
                let ours: Vec<(u64, u64, &str)> =
                    t.funcs().map(|f| (f.entry, f.end, t.name(&f))).collect();
                let theirs: Vec<(u64, u64, &str)> = twin
                    .funcs()
                    .map(|f| (f.entry, f.end, twin.name(&f)))
                    .collect();
                assert!(ours == theirs, "Go {v}: stripped and -w text differ");
            }
            let nm = nm_text(&v, &nm_path);
            // nm spells assembly (ABI0) functions NAME.abi0; pclntab says NAME, and an
            // ABI wrapper of the same NAME may exist: func_by_name returns the real code.
            let lookup = |name: &str| {
                nm.get(name)
                    .or_else(|| nm.get(&format!("{name}.abi0")))
                    .copied()
            };
            // Go 1.18-1.19 tables hold elided names of generic code and of array types
            // (`main.Max[...]`, `type..eq.[...]runtime.Frame`) where the ELF symbol has
            // the full one: those match by address and by the name before the `[`.
            let old_format = !t.is_go120();
            let elided = |ours: &str| old_format && ours.contains("[...]");
            let same_prefix = |a: &str, b: &str| a.split('[').next() == b.split('[').next();
            let mut bad = Vec::new();
            for f in t.funcs() {
                let real_name = t.name(&f);
                // The ELF symbol table spells Go's middle dot (`untracedG·4`) as a dot.
                let name_owned = real_name.replace('\u{b7}', ".");
                let name = name_owned.as_str();
                if elided(name) {
                    let at_entry = nm
                        .iter()
                        .any(|(n, &(a, _))| a == f.entry && same_prefix(n, name));
                    if !at_entry {
                        bad.push(format!("{name} at {:#x}: no nm symbol there", f.entry));
                    }
                    continue;
                }
                let here = [name.to_string(), format!("{name}.abi0")].iter().any(|n| {
                    nm.get(n)
                        .is_some_and(|&(a, s)| a == f.entry && a + s <= f.end)
                });
                if !here {
                    bad.push(format!("{name} at {:#x}..{:#x} not in nm", f.entry, f.end));
                }
                // With both NAME and NAME.abi0 present, one is an ABI wrapper of the other;
                // func_by_name picks the real code.
                let both = nm.contains_key(name) && nm.contains_key(&format!("{name}.abi0"));
                let got = t.func_by_name(real_name);
                let ok = got.is_some_and(|g| {
                    let at_nm = [name.to_string(), format!("{name}.abi0")]
                        .iter()
                        .any(|n| nm.get(n).is_some_and(|&(a, _)| a == g.entry));
                    let wrapper = |f: &Func| t.func_kind(f) == FuncKind::Wrapper;
                    let all_wrappers = [name.to_string(), format!("{name}.abi0")].iter().all(|n| {
                        nm.get(n)
                            .and_then(|&(a, _)| t.func_for_pc(a))
                            .is_some_and(|f| wrapper(&f))
                    });
                    at_nm && (!both || !wrapper(&g) || all_wrappers)
                });
                if !ok {
                    bad.push(format!(
                        "func_by_name({name}) = {got:?}, nm {:?}",
                        lookup(name)
                    ));
                }
            }
            // Every sized nm text symbol inside the function table is a function we know.
            let (lo, hi) = (
                t.func(0).map_or(0, |f| f.entry),
                t.func(t.func_count() - 1).map_or(0, |f| f.end),
            );
            let mut extra = 0;
            for (name, &(addr, size)) in &nm {
                let plain = name.strip_suffix(".abi0").unwrap_or(name);
                let found = t.func_for_pc(addr).is_some_and(|f| {
                    let ours = t.name(&f).replace('\u{b7}', ".");
                    f.entry == addr
                        && (ours == plain || (elided(&ours) && same_prefix(&ours, plain)))
                });
                if size > 0 && addr >= lo && addr < hi && !found {
                    extra += 1;
                    bad.push(format!("nm {name} {addr:#x} is no function entry of ours"));
                }
            }
            assert!(
                bad.is_empty(),
                "Go {v} {mode}: {} problems ({extra} unknown nm symbols):\n{}",
                bad.len(),
                bad[..bad.len().min(20)].join("\n")
            );
        }
    }
}

#[test]
fn sp_delta_is_zero_at_every_entry() {
    for v in versions() {
        for mode in MODES {
            let t = open(&fixture("symbols", &v, mode));
            // Linker markers (go:textfipsstart...) have no pcsp table at all; every other
            // function starts with an empty frame.
            let bad: Vec<String> = t
                .funcs()
                .filter(|f| t.sp_delta(f, f.entry) != Some(0))
                .filter(|f| !(t.sp_table(f).is_empty() && t.name(f).starts_with("go:")))
                .map(|f| format!("{} {:?}", t.name(&f), t.sp_delta(&f, f.entry)))
                .collect();
            assert!(bad.is_empty(), "Go {v} {mode}: {bad:?}");
            // A function with a frame grows it after its prologue.
            let f = t.func_by_name("main.deep").expect("main.deep");
            let max = t.sp_table(&f).iter().map(|r| r.2).max().unwrap_or(0);
            assert!(max > 0, "Go {v} {mode}: main.deep has no frame in pcsp");
        }
    }
}

/// Parse the fixture's WSLGO_FRAMES=1 output: main's address and (pcs, frames) per trace.
type Traces = Vec<(Vec<u64>, Vec<(String, String)>)>;

fn runtime_traces(path: &Path) -> (u64, Traces) {
    let out = Command::new(path)
        .env("WSLGO_FRAMES", "1")
        .output()
        .expect("run fixture");
    assert!(out.status.success(), "fixture failed");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut main = 0;
    let mut traces: Traces = Vec::new();
    for line in text.lines() {
        let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex");
        if let Some(a) = line.strip_prefix("main ") {
            main = hex(a);
        } else if line == "trace" {
            traces.push((Vec::new(), Vec::new()));
        } else if let Some(pc) = line.strip_prefix("pc ") {
            traces.last_mut().expect("trace").0.push(hex(pc));
        } else if let Some(fr) = line.strip_prefix("frame ") {
            let (name, pos) = fr.split_once(' ').expect("frame line");
            let last = traces.last_mut().expect("trace");
            last.1.push((name.to_string(), pos.to_string()));
        }
    }
    (main, traces)
}

#[test]
fn inline_tree_matches_runtime_callers_frames() {
    for v in versions() {
        for mode in MODES {
            let path = fixture("symbols", &v, mode);
            let t = open(&path);
            let (main_addr, traces) = runtime_traces(&path);
            assert!(!traces.is_empty(), "Go {v} {mode}: no traces");
            let main = t.func_by_name("main.main").expect("main.main");
            let bias = main_addr.wrapping_sub(main.entry);
            let mut inlined_seen = 0;
            for (pcs, want) in &traces {
                // One pc per logical frame (call pc + 1); the inline expansion of a real pc
                // is followed by the virtual pcs of its callers.
                let mut got: Vec<(String, String)> = Vec::new();
                let mut i = 0;
                while i < pcs.len() {
                    let pc = pcs[i].wrapping_sub(bias) - 1;
                    let f = t
                        .func_for_pc(pc)
                        .unwrap_or_else(|| panic!("no func at {pc:#x}"));
                    let frames = t.frames(&f, pc);
                    assert!(!frames.is_empty());
                    for (k, fr) in frames.iter().enumerate() {
                        if k > 0 {
                            assert_eq!(
                                pcs.get(i + k).map(|p| p.wrapping_sub(bias) - 1),
                                Some(fr.pc),
                                "Go {v} {mode}: virtual pc of {}",
                                fr.name
                            );
                        }
                        inlined_seen += usize::from(fr.inlined);
                        got.push((
                            fr.name.to_string(),
                            format!("{}:{}", fr.file.unwrap_or(""), fr.line),
                        ));
                    }
                    i += frames.len();
                }
                assert_eq!(&got, want, "Go {v} {mode}");
            }
            let optimized = *mode != "debug";
            assert_eq!(
                inlined_seen > 0,
                optimized,
                "Go {v} {mode}: inlined frames seen: {inlined_seen}"
            );
        }
    }
}

#[test]
fn inlined_at_reports_the_inlined_helper() {
    for v in versions() {
        let t = open(&fixture("symbols", &v, "stripped"));
        // main.twice calls add twice; in optimized builds some pc of twice (or of deep,
        // where twice itself may be inlined) is inside main.add.
        let found = ["main.twice", "main.deep"].iter().any(|n| {
            t.func_by_name(n).is_some_and(|f| {
                (f.entry..f.end)
                    .flat_map(|pc| t.inlined_at(&f, pc))
                    .any(|fr| fr.name == "main.add" && fr.file.ends_with("symbols/main.go"))
            })
        });
        assert!(
            found,
            "Go {v}: main.add not seen inlined in main.twice or main.deep"
        );
    }
}

#[test]
fn func_kinds_and_flags_follow_the_names() {
    let expect: &[(&str, FuncKind)] = &[
        ("runtime.goexit", FuncKind::Goexit),
        ("runtime.mstart", FuncKind::Mstart),
        ("runtime.morestack", FuncKind::Morestack),
        ("runtime.sigpanic", FuncKind::Sigpanic),
        ("runtime.systemstack", FuncKind::Systemstack),
        ("runtime.systemstack_switch", FuncKind::SystemstackSwitch),
        ("runtime.mcall", FuncKind::Mcall),
        ("runtime.gogo", FuncKind::Gogo),
        ("runtime.rt0_go", FuncKind::Rt0Go),
        ("runtime.main", FuncKind::RuntimeMain),
        ("runtime.gopanic", FuncKind::Gopanic),
        ("runtime.asyncPreempt", FuncKind::AsyncPreempt),
        ("runtime.gcBgMarkWorker", FuncKind::GcBgMarkWorker),
        ("main.main", FuncKind::Normal),
    ];
    for v in versions() {
        for mode in ["opt", "stripped"] {
            let t = open(&fixture("symbols", &v, mode));
            for (name, kind) in expect {
                let f = t
                    .func_by_name(name)
                    .unwrap_or_else(|| panic!("{name} missing"));
                assert_eq!(t.func_kind(&f), *kind, "Go {v} {mode}: {name}");
            }
            let g = t.func_by_name("runtime.goexit").expect("goexit");
            assert_ne!(g.flag & FUNC_FLAG_TOPFRAME, 0, "Go {v}: goexit TOPFRAME");
            // Every special funcID sits on the function the compiler names it after.
            let named: HashMap<FuncKind, &str> = expect.iter().map(|(n, k)| (*k, *n)).collect();
            for f in t.funcs() {
                let kind = t.func_kind(&f);
                assert!(
                    !matches!(kind, FuncKind::Unknown(_)),
                    "Go {v}: {} has unknown funcID {}",
                    t.name(&f),
                    f.func_id
                );
                if let Some(n) = named.get(&kind) {
                    if kind != FuncKind::Normal {
                        assert_eq!(t.name(&f), *n, "Go {v} {mode}: funcID {kind:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn gofunc_and_moduledata_are_found_in_every_mode() {
    for v in versions() {
        for mode in MODES {
            let path = fixture("symbols", &v, mode);
            let bin = Arc::new(Binary::open(&path).expect("open"));
            let t = Pclntab::new(bin.clone()).expect("pclntab");
            let gofunc = t.gofunc().expect("gofunc");
            let md = t.moduledata_addr().expect("moduledata");
            // Go 1.20 renamed go.func.* to go:func.*.
            let sym = bin
                .elf_symbol("go:func.*")
                .or_else(|| bin.elf_symbol("go.func.*"));
            if *mode != "stripped" {
                assert!(sym.is_some(), "Go {v} {mode}: no go:func.* symbol");
            }
            if let Some(sym) = sym {
                assert_eq!(gofunc, sym.addr, "Go {v} {mode}");
            }
            if let Some(sym) = bin.elf_symbol("runtime.firstmoduledata") {
                assert_eq!(md, sym.addr, "Go {v} {mode}");
            }
            if let Some(sym) = bin.elf_symbol("runtime.text") {
                assert_eq!(t.text_start(), sym.addr, "Go {v} {mode}");
            }
        }
    }
}

/// Build cmd/compile with Go `version` (cached in ~/.cache/wslgo/bigbins).
fn big_binary(version: &str, dwarf: bool) -> std::path::PathBuf {
    let dir = std::env::var("WSLGO_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache/wslgo")
        })
        .join("bigbins");
    let out = dir.join(format!(
        "compile-{version}-{}",
        if dwarf { "dwarf" } else { "nodwarf" }
    ));
    if !out.exists() {
        std::fs::create_dir_all(&dir).expect("cache dir");
        let tmp = out.with_extension("tmp");
        let go = common::go(version);
        let goroot = go.parent().and_then(Path::parent).expect("GOROOT");
        let mut cmd = go_cmd(version);
        cmd.current_dir(goroot.join("src"))
            .arg("build")
            .arg("-o")
            .arg(&tmp);
        if !dwarf {
            cmd.arg("-ldflags=-w");
        }
        let st = cmd
            .arg("cmd/compile")
            .status()
            .expect("go build cmd/compile");
        assert!(st.success(), "go build cmd/compile failed");
        std::fs::rename(&tmp, &out).expect("rename");
    }
    out
}

/// 1,000 random function entries (plus their mid pcs) of cmd/compile against addr2line.
/// Slow (builds cmd/compile per version once): run with `cargo test -- --ignored`.
#[test]
#[ignore]
fn big_binary_cmd_compile_agrees_with_addr2line() {
    for v in versions() {
        for dwarf in [true, false] {
            let path = big_binary(&v, dwarf);
            let t = open(&path);
            let mut rng = Rng(0x5eed_0000 ^ t.func_count() as u64);
            // WSLGO_BIG_SAMPLES=all checks every function instead of 1,000 random ones.
            let funcs: Vec<Func> = if std::env::var("WSLGO_BIG_SAMPLES").as_deref() == Ok("all") {
                t.funcs().collect()
            } else {
                (0..1000)
                    .filter_map(|_| t.func((rng.next() % t.func_count() as u64) as usize))
                    .collect()
            };
            let mut pcs = Vec::new();
            for f in &funcs {
                pcs.push(f.entry);
                pcs.push(f.entry + (f.end - f.entry) / 2);
            }
            let start = std::time::Instant::now();
            let answered = pcs
                .iter()
                .filter(|&&pc| {
                    t.func_for_pc(pc)
                        .and_then(|f| t.file_line(&f, pc))
                        .is_some()
                })
                .count();
            eprintln!(
                "  ours: {answered}/{} pcs resolved in {:?} (debug build)",
                pcs.len(),
                start.elapsed()
            );
            let start = std::time::Instant::now();
            let bad = compare_with_addr2line(&v, &path, &t, &pcs);
            eprintln!(
                "cmd/compile Go {v} dwarf={dwarf}: {} funcs, {} pcs checked, {} mismatches ({:?})",
                t.func_count(),
                pcs.len(),
                bad.len(),
                start.elapsed()
            );
            assert!(
                bad.is_empty(),
                "Go {v} dwarf={dwarf}:\n{}",
                bad[..bad.len().min(20)].join("\n")
            );
        }
    }
}
