//! Runtime variables of stripped binaries found from code and data (src/disasm), against
//! the ELF symbol table of the same build with the symbols kept (`-ldflags=-w`), and found
//! in the stripped twin (`-s -w`; on amd64 at the same addresses); amd64 and cross-built arm64.

use crate::common;

use std::sync::Arc;

use common::{fixture, fixture_for, versions};
use wslgo::binary::Binary;
use wslgo::disasm::{locate, LOCATABLE};
use wslgo::pclntab::Pclntab;

#[test]
fn located_variables_match_the_symbol_table() {
    for v in versions() {
        if v == "1.19" {
            continue;
        }
        for goarch in ["amd64", "arm64"] {
            let path = |mode: &str| {
                if goarch == "amd64" {
                    fixture("grstates", &v, mode)
                } else {
                    fixture_for("grstates", &v, goarch, mode)
                }
            };
            let bin = Arc::new(Binary::open(path("nodwarf")).expect("open"));
            let pcln = Pclntab::new(bin.clone()).expect("pclntab");
            let stripped = Arc::new(Binary::open(path("stripped")).expect("open"));
            let spcln = Pclntab::new(stripped.clone()).expect("pclntab");
            assert!(!stripped.has_symtab());
            for &name in LOCATABLE {
                let sym = bin
                    .elf_symbol(name)
                    .unwrap_or_else(|| panic!("{v} {goarch}: no ELF symbol {name}"));
                let got = locate(&bin, &pcln, name)
                    .unwrap_or_else(|| panic!("{v} {goarch}: {name} not located"));
                assert_eq!(got.addr, sym.addr, "{v} {goarch} {name}: {got:?}");
                if name != "runtime.allgs" && name != "runtime.mheap_" {
                    // A slice header has the size of three words, as the symbol says
                    // (mheap_'s size is not known from code).
                    assert_eq!(got.size, sym.size, "{v} {goarch} {name}: {got:?}");
                }
                let twin = locate(&stripped, &spcln, name);
                if goarch == "amd64" && !name.ends_with("types") {
                    // Same layout on amd64; the arm64 linker places data differently with -s,
                    // and -s changes .rodata, where the type descriptors are.
                    assert_eq!(twin, Some(got), "{v} {goarch} {name}: stripped twin");
                } else {
                    assert!(twin.is_some(), "{v} {goarch} {name}: stripped twin");
                }
            }
        }
    }
}
