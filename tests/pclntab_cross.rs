//! Other architectures, cross-compiled: 386 (4-byte pointers) and arm64 (instruction
//! quantum 4). They cannot run here, so the oracles are `go tool addr2line` and
//! `go tool nm` (which read any GOARCH) and the ELF symbols of the unstripped build.

use crate::common;

use std::sync::Arc;

use common::{addr2line, fixture_for, nm_text, versions};
use wslgo::binary::Binary;
use wslgo::pclntab::Pclntab;

#[test]
fn cross_arch_tables_agree_with_go_tools() {
    for v in versions() {
        for (goarch, ptr, quantum) in [("386", 4, 1), ("arm64", 8, 4)] {
            for mode in ["opt", "stripped"] {
                let path = fixture_for("symbols", &v, goarch, mode);
                let bin = Arc::new(Binary::open(&path).expect("open"));
                let t = Pclntab::new(bin.clone()).unwrap_or_else(|e| panic!("{goarch}: {e}"));
                let what = format!("Go {v} {goarch} {mode}");
                assert_eq!((t.ptr_size(), t.quantum()), (ptr, quantum), "{what}");
                let mut pcs = Vec::new();
                for f in t.funcs() {
                    pcs.push(f.entry);
                    // A mid pc on an instruction boundary.
                    let mid = f.entry + (f.end - f.entry) / 2;
                    pcs.push(mid - mid % u64::from(quantum));
                    assert_eq!(t.sp_delta(&f, f.entry).unwrap_or(0), 0, "{what}");
                }
                let oracle = addr2line(&v, &path, &pcs);
                let mut bad = Vec::new();
                for (pc, want) in pcs.iter().zip(&oracle) {
                    let f = t.func_for_pc(*pc).expect("func");
                    let (file, line) =
                        t.file_line(&f, *pc).map_or((String::new(), -1), |(fl, l)| {
                            (fl.to_string(), i64::from(l))
                        });
                    let marker = t.name(&f).starts_with("go:textfips") && line == -1;
                    if !marker
                        && (t.name(&f) != want.name || file != want.file || line != want.line)
                    {
                        bad.push(format!(
                            "{pc:#x}: ours {} {file}:{line}, {want:?}",
                            t.name(&f)
                        ));
                    }
                }
                assert!(
                    bad.is_empty(),
                    "{what}: {}",
                    bad[..bad.len().min(10)].join("\n")
                );
                // Entries by name against nm (of the unstripped twin for the stripped build).
                let nm = nm_text(&v, &fixture_for("symbols", &v, goarch, "opt"));
                for name in [
                    "main.main",
                    "main.deep",
                    "main.record",
                    "main.dumpTraces",
                    "runtime.goexit",
                ] {
                    let f = t
                        .func_by_name(name)
                        .unwrap_or_else(|| panic!("{what}: {name}"));
                    let want = nm
                        .get(name)
                        .or_else(|| nm.get(&format!("{name}.abi0")))
                        .map(|&(a, _)| a);
                    assert_eq!(Some(f.entry), want, "{what}: {name}");
                }
                // Inline trees: gofunc found with and without symbols, same value.
                let opt =
                    Binary::open(fixture_for("symbols", &v, goarch, "opt")).expect("open opt");
                // Go 1.20 renamed go.func.* to go:func.*.
                let sym = opt
                    .elf_symbol("go:func.*")
                    .or_else(|| opt.elf_symbol("go.func.*"))
                    .expect("go:func.* symbol");
                // The twin is another link: -s can shift sections (Go 1.26/386: .rodata
                // grows by 32 bytes), so compare the offset inside the section holding
                // go:func.* rather than the address.
                let sec_of = |b: &Binary, addr: u64| {
                    b.sections()
                        .iter()
                        .find(|s| s.addr != 0 && (s.addr..s.addr + s.size).contains(&addr))
                        .map(|s| (s.name.clone(), addr - s.addr))
                };
                let (name, want_off) = sec_of(&opt, sym.addr).expect("section of go:func.*");
                let ours = t.gofunc().expect("gofunc found");
                let base = bin
                    .section(&name)
                    .unwrap_or_else(|| panic!("{what}: no {name}"))
                    .addr;
                assert_eq!(
                    ours.checked_sub(base),
                    Some(want_off),
                    "{what}: gofunc in {name}"
                );
                let inlined = ["main.twice", "main.deep"].iter().any(|n| {
                    t.func_by_name(n).is_some_and(|f| {
                        (f.entry..f.end)
                            .step_by(quantum as usize)
                            .any(|pc| t.frames(&f, pc).iter().any(|fr| fr.name == "main.add"))
                    })
                });
                assert!(
                    inlined,
                    "{what}: no inlined main.add in main.twice/main.deep"
                );
            }
        }
    }
}
