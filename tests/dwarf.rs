//! The DWARF reader against real Go binaries and real oracles: `go tool addr2line`,
//! `go tool nm` and gdb, on every default Go version.

use crate::common;

use std::sync::Arc;

use common::{fixture, gdb_prints, go_addr2line, nm, versions};
use wslgo::binary::Binary;
use wslgo::dwarf::Dwarf;

fn open(path: &std::path::Path) -> Dwarf {
    let bin = Arc::new(Binary::open(path).expect("open fixture"));
    Dwarf::new(bin).expect("fixture has DWARF")
}

/// Every function entry (`go tool nm` T/t symbols) that DWARF knows symbolizes to the name
/// and file:line `go tool addr2line` prints. Asm functions have no DWARF before Go 1.25:
/// those are counted, not compared, and must stay a small minority.
#[test]
fn frames_at_function_entries_match_go_addr2line() {
    for v in versions() {
        for mode in ["debug", "opt"] {
            let bin = fixture("dwsyms", &v, mode);
            let d = open(&bin);
            let pcs: Vec<u64> = nm(&v, &bin)
                .into_iter()
                .filter(|(_, k, _)| matches!(k, 'T' | 't'))
                .map(|(a, _, _)| a)
                .collect();
            let want = go_addr2line(&v, &bin, &pcs);
            let (mut checked, mut unknown, mut bad) = (0, 0, Vec::new());
            for pc in &pcs {
                let Some((wf, wfile, wline)) = want.get(pc) else {
                    continue;
                };
                if wf == "?" {
                    continue;
                }
                let frames = d.frames(*pc).expect("frames");
                let (Some(outer), Some(inner)) = (frames.last(), frames.first()) else {
                    unknown += 1;
                    continue;
                };
                if outer.function == "?" {
                    unknown += 1;
                    continue;
                }
                checked += 1;
                if (&outer.function, &inner.file, inner.line) != (wf, wfile, *wline) {
                    bad.push(format!(
                        "{pc:#x}: got {} {}:{} want {wf} {wfile}:{wline}",
                        outer.function, inner.file, inner.line
                    ));
                }
            }
            assert!(
                bad.is_empty(),
                "go{v} {mode}: {} mismatches:\n{}",
                bad.len(),
                bad[..bad.len().min(20)].join("\n")
            );
            assert!(
                checked > 1000,
                "go{v} {mode}: only {checked} functions checked"
            );
            assert!(
                unknown * 10 < checked,
                "go{v} {mode}: {unknown} pcs without DWARF vs {checked}"
            );
            eprintln!("go{v} {mode}: {checked} entries agree with go tool addr2line, {unknown} without DWARF");
        }
    }
}

/// Each DWARF function is where `go tool nm` puts it.
#[test]
fn function_ranges_match_go_nm() {
    for v in versions() {
        let bin = fixture("dwsyms", &v, "debug");
        let d = open(&bin);
        let syms = nm(&v, &bin);
        let mut checked = 0;
        let mut bad = Vec::new();
        for name in d.function_names().expect("names") {
            let ranges = d.function_ranges(name).expect("ranges");
            let want: Vec<u64> = syms
                .iter()
                .filter(|(_, k, n)| {
                    matches!(k, 'T' | 't') && (n == name || n == &format!("{name}.abi0"))
                })
                .map(|(a, _, _)| *a)
                .collect();
            if want.is_empty() {
                bad.push(format!("{name}: not in go tool nm"));
                continue;
            }
            checked += 1;
            if !ranges
                .iter()
                .all(|r| want.contains(&r.entry) && r.end > r.entry)
            {
                bad.push(format!("{name}: {ranges:?} vs nm {want:x?}"));
            }
        }
        assert!(bad.is_empty(), "go{v}: {}", bad.join("\n"));
        assert!(checked > 1000, "go{v}: {checked}");
    }
}

/// runtime.g and friends: DWARF field offsets equal gdb's `&((struct T*)0)->field`.
#[test]
fn runtime_layouts_match_gdb() {
    let cases: &[(&str, &[&str])] = &[
        (
            "runtime.g",
            &[
                "stack",
                "m",
                "sched",
                "atomicstatus",
                "goid",
                "waitreason",
                "stackguard0",
            ],
        ),
        ("runtime.gobuf", &["sp", "pc", "g", "bp"]),
        ("runtime.m", &["g0", "curg", "id", "procid"]),
        ("runtime.stack", &["lo", "hi"]),
    ];
    for v in versions() {
        let bin = fixture("hello", &v, "debug");
        let d = open(&bin);
        let mut exprs = Vec::new();
        let mut ours = Vec::new();
        for (ty, fields) in cases {
            let layout = d.struct_layout(ty).expect("layout");
            exprs.push(format!("sizeof(struct '{ty}')"));
            ours.push(layout.size.to_string());
            for f in *fields {
                let field = layout
                    .field(f)
                    .unwrap_or_else(|| panic!("go{v}: {ty}.{f} missing"));
                exprs.push(format!("(long)&((struct '{ty}'*)0)->{f}"));
                ours.push(field.offset.to_string());
            }
        }
        let theirs = gdb_prints(&bin, &exprs);
        let got: Vec<(&String, &String, &String)> = exprs
            .iter()
            .zip(ours.iter())
            .zip(theirs.iter())
            .map(|((e, o), t)| (e, o, t))
            .collect();
        assert_eq!(theirs.len(), exprs.len(), "go{v}: gdb printed {theirs:?}");
        for (e, o, t) in got {
            assert_eq!(o, t, "go{v}: {e}");
        }
    }
}

/// Field sizes and type names come with the layout (checked against gdb's sizeof/ptype).
#[test]
fn field_types_and_sizes_match_gdb() {
    for v in versions() {
        let bin = fixture("hello", &v, "debug");
        let d = open(&bin);
        let g = d.struct_layout("runtime.g").expect("runtime.g");
        let goid = g.field("goid").expect("goid");
        let sched = g.field("sched").expect("sched");
        let m = g.field("m").expect("m");
        let theirs = gdb_prints(
            &bin,
            &[
                "sizeof(((struct 'runtime.g'*)0)->goid)".into(),
                "sizeof(((struct 'runtime.g'*)0)->sched)".into(),
                "&((struct 'runtime.g'*)0)->m".into(),
            ],
        );
        assert_eq!(theirs.first(), Some(&goid.size.to_string()), "go{v}");
        assert_eq!(theirs.get(1), Some(&sched.size.to_string()), "go{v}");
        assert_eq!(sched.type_name, "runtime.gobuf");
        // gdb prints `(struct runtime.m **) 0x30`: the field's type is a pointer to runtime.m.
        assert_eq!(m.type_name, "*runtime.m", "go{v}");
        assert!(
            theirs.get(2).is_some_and(|t| t.contains("runtime.m **")),
            "go{v}: {theirs:?}"
        );
    }
}

/// Constants and globals agree with gdb (constants) and `go tool nm` (addresses).
#[test]
fn constants_and_globals_match_oracles() {
    for v in versions() {
        let bin = fixture("hello", &v, "debug");
        let d = open(&bin);
        let names = [
            "runtime._Grunning",
            "runtime._Gwaiting",
            "runtime._Gdead",
            "runtime._Gsyscall",
        ];
        let exprs: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
        let theirs = gdb_prints(&bin, &exprs);
        for (n, t) in names.iter().zip(&theirs) {
            assert_eq!(
                d.constant(n).map(|c| c.to_string()).as_ref(),
                Some(t),
                "go{v}: {n}"
            );
        }
        let gs = d.constants_with_prefix("runtime._G");
        assert!(
            gs.iter().any(|(n, _)| n == "runtime._Grunnable"),
            "go{v}: {gs:?}"
        );
        assert!(gs.iter().all(|(n, _)| n.starts_with("runtime._G")));
        let syms = nm(&v, &bin);
        for var in [
            "runtime.allgs",
            "runtime.allglen",
            "runtime.traceback_cache",
            "runtime.buildVersion",
        ] {
            let got = d.variable(var).unwrap_or_else(|| panic!("go{v}: {var}"));
            let want = syms.iter().find(|(_, _, n)| n == var).map(|(a, _, _)| *a);
            assert_eq!(Some(got.addr), want, "go{v}: {var}");
            assert!(got.size > 0, "go{v}: {var} size");
        }
        let theirs = gdb_prints(&bin, &["sizeof('runtime.allgs')".into()]);
        let allgs = d.variable("runtime.allgs").expect("allgs");
        assert_eq!(theirs.first(), Some(&allgs.size.to_string()));
        assert_eq!(allgs.type_name, "[]*runtime.g");
    }
}

/// DWARF 4 before Go 1.25, 5 from 1.25 on.
#[test]
fn dwarf_version_follows_go_version() {
    for v in versions() {
        let bin = fixture("hello", &v, "debug");
        let d = open(&bin);
        let minor: u32 = v
            .split('.')
            .nth(1)
            .and_then(|m| m.parse().ok())
            .expect("minor");
        let want = if minor >= 25 { 5 } else { 4 };
        assert_eq!(d.version(), want, "go{v}");
    }
}

/// Binaries without DWARF: a clear NotFound, not a panic.
#[test]
fn nodwarf_is_a_clear_error() {
    for v in versions() {
        for mode in ["nodwarf", "stripped"] {
            let bin = Arc::new(Binary::open(fixture("hello", &v, mode)).expect("open"));
            let err = Dwarf::new(bin).expect_err("no DWARF");
            assert!(err.to_string().contains("no DWARF"), "{err}");
        }
    }
}

/// Run objcopy with `args` on `src`, return the new file.
fn objcopy(src: &std::path::Path, args: &[&str], tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wslgo-dwarf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let out = dir.join(format!(
        "{}-{tag}",
        src.file_name().and_then(|n| n.to_str()).expect("name")
    ));
    let st = std::process::Command::new("objcopy")
        .args(args)
        .arg(src)
        .arg(&out)
        .status()
        .expect("run objcopy");
    assert!(st.success(), "objcopy {args:?}");
    out
}

/// zstd (SHF_COMPRESSED), legacy `.zdebug_*` and uncompressed DWARF all read the same.
#[test]
fn every_compression_reads_the_same() {
    for v in versions() {
        let src = fixture("dwsyms", &v, "opt");
        let base = open(&src);
        let pcs: Vec<u64> = nm(&v, &src)
            .into_iter()
            .filter(|(_, k, _)| matches!(k, 'T' | 't'))
            .map(|(a, _, _)| a)
            .collect();
        let want: Vec<_> = pcs
            .iter()
            .map(|pc| base.frames(*pc).expect("frames"))
            .collect();
        for (tag, args) in [
            ("zstd", &["--compress-debug-sections=zstd"][..]),
            ("gnu", &["--compress-debug-sections=zlib-gnu"][..]),
            ("none", &["--decompress-debug-sections"][..]),
        ] {
            let path = objcopy(&src, args, tag);
            let bin = Arc::new(Binary::open(&path).expect("open"));
            assert_eq!(bin.dwarf_compressed(), tag != "none", "go{v} {tag}");
            let d = Dwarf::new(bin).expect("DWARF");
            let got: Vec<_> = pcs
                .iter()
                .map(|pc| d.frames(*pc).expect("frames"))
                .collect();
            assert!(got == want, "go{v} {tag}: frames differ");
            assert_eq!(
                d.struct_layout("runtime.g").expect("g"),
                base.struct_layout("runtime.g").expect("g")
            );
            let _ = std::fs::remove_file(&path);
        }
    }
    let _ = std::fs::remove_dir(
        std::env::temp_dir().join(format!("wslgo-dwarf-{}", std::process::id())),
    );
}

/// A compression type the reader does not know: a clear Unsupported error, not garbage.
#[test]
fn unknown_compression_is_a_clear_error() {
    use object::{Object, ObjectSection};
    let src = fixture("dwsyms", "1.24", "debug");
    let mut data = std::fs::read(&src).expect("read");
    let (off, _) = {
        let obj = object::File::parse(&*data).expect("parse");
        let s = obj.section_by_name(".debug_info").expect(".debug_info");
        s.file_range().expect("range")
    };
    // Elf64_Chdr.ch_type (u32 at the start of the section data): 1 = zlib, 2 = zstd.
    let at = usize::try_from(off).expect("off");
    data[at..at + 4].copy_from_slice(&77u32.to_le_bytes());
    let bin = Arc::new(Binary::from_bytes(data).expect("ELF still parses"));
    let err = Dwarf::new(bin.clone()).expect_err("unknown compression");
    let msg = err.to_string();
    assert!(matches!(err, wslgo::Error::Unsupported(_)), "{msg}");
    assert!(
        msg.contains(".debug_info") && msg.contains("compression"),
        "{msg}"
    );
    // The facade reports it and keeps working on the other sources.
    let s = wslgo::symbols::Symbols::new(bin).expect("symbols");
    let info = s.info();
    assert!(info.dwarf_error.is_some_and(|e| e.contains("compression")));
    assert!(s.lookup("main.main").is_ok());
}

/// A function's results are the formal parameters DWARF marks `DW_AT_variable_parameter`:
/// `~rN` for unnamed ones, the source's names for named ones (tests/go/sstrial).
#[test]
fn result_names_are_the_marked_parameters() {
    for v in versions() {
        let d = open(&fixture("sstrial", &v, "debug"));
        assert_eq!(d.result_names("main.square").unwrap(), ["~r0"], "{v}");
        assert_eq!(
            d.result_names("main.ints").unwrap(),
            ["~r0", "~r1", "~r2"],
            "{v}"
        );
        assert_eq!(
            d.result_names("main.named").unwrap(),
            ["count", "name", "err"],
            "{v}"
        );
        assert!(d.result_names("main.main").unwrap().is_empty(), "{v}");
        assert!(d.result_names("main.nosuch").is_err(), "{v}");
    }
}

/// A function's body starts at the first statement of its first body line: the entry
/// line's code (frame setup, results zeroed) comes before it (tests/go/sstrial).
#[test]
fn body_offset_is_the_first_statement_after_the_entry_line() {
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go/sstrial/main.go"),
    )
    .unwrap();
    let line_of = |mark: &str| {
        let at = src.lines().position(|l| l.contains(mark)).unwrap();
        u32::try_from(at + 1).unwrap()
    };
    for v in versions() {
        let d = open(&fixture("sstrial", &v, "debug"));
        for (func, first) in [
            ("main.square", "SQUARE-1"),
            ("main.named", "count = x * 3"),
            ("main.ints", "INTS-HERE"),
        ] {
            let entry = d.function_ranges(func).unwrap()[0].entry;
            let body = d.line_addresses("main.go", line_of(first)).unwrap().addrs[0];
            let off = d.body_offset(func).unwrap();
            assert_eq!(off, Some(body - entry), "{v} {func}");
        }
        assert!(d.body_offset("main.nosuch").is_err(), "{v}");
    }
}

/// The constants of a named type are those its package declares of that type (the `named`
/// fixture: `type Color int` with Red, Green, Blue), read from each constant's DWARF type.
#[test]
fn constants_of_a_named_type() {
    for v in versions() {
        let d = open(&fixture("named", &v, "debug"));
        assert_eq!(
            d.constants_of_type("main.Color"),
            [("main.Blue", 2), ("main.Green", 1), ("main.Red", 0)].map(|(n, x)| (n.to_string(), x)),
            "go{v}"
        );
        assert!(d.constants_of_type("main.T").is_empty(), "go{v}");
        assert!(d.constants_of_type("Color").is_empty(), "go{v}");
    }
}
