//! Binaries without section headers (e_shoff = e_shnum = 0, as some packers and `sstrip`
//! leave them): the pclntab is found by magic in the loadable segments, moduledata by
//! scanning them, and every answer must equal the one for the intact binary (which
//! tests/pclntab.rs checks against go tool addr2line and runtime.CallersFrames).

use crate::common;

use std::sync::Arc;

use common::{fixture, versions};
use wslgo::binary::Binary;
use wslgo::pclntab::Pclntab;

fn without_section_headers(mut elf: Vec<u8>) -> Vec<u8> {
    assert_eq!(&elf[..5], b"\x7fELF\x02", "64-bit ELF expected");
    elf[0x28..0x30].fill(0); // e_shoff
    elf[0x3c..0x40].fill(0); // e_shnum, e_shstrndx
    elf
}

#[test]
fn headerless_binaries_answer_like_intact_ones() {
    for v in versions() {
        for mode in ["stripped", "pie", "opt"] {
            let path = fixture("symbols", &v, mode);
            let bytes = std::fs::read(&path).expect("read");
            let intact = Pclntab::new(Arc::new(Binary::from_bytes(bytes.clone()).expect("elf")))
                .expect("intact pclntab");
            let bin = Binary::from_bytes(without_section_headers(bytes)).expect("headerless elf");
            assert!(bin.sections().is_empty(), "Go {v} {mode}: sections remain");
            let t = Pclntab::new(Arc::new(bin))
                .unwrap_or_else(|e| panic!("Go {v} {mode} headerless: {e}"));
            assert_eq!(t.func_count(), intact.func_count(), "Go {v} {mode}");
            assert_eq!(t.text_start(), intact.text_start(), "Go {v} {mode}");
            assert_eq!(t.gofunc(), intact.gofunc(), "Go {v} {mode}: gofunc");
            for (a, b) in t.funcs().zip(intact.funcs()) {
                assert_eq!((a.entry, a.end, a.func_id), (b.entry, b.end, b.func_id));
                assert_eq!(t.name(&a), intact.name(&b));
                // Without .go.buildinfo the funcID numbering is calibrated on the runtime's
                // own functions; it must mean the same.
                assert_eq!(t.func_kind(&a), intact.func_kind(&b), "Go {v} {mode}");
                for pc in [a.entry, a.entry + (a.end - a.entry) / 2] {
                    assert_eq!(t.file_line(&a, pc), intact.file_line(&b, pc));
                    assert_eq!(t.sp_delta(&a, pc), intact.sp_delta(&b, pc));
                    assert_eq!(t.frames(&a, pc), intact.frames(&b, pc), "Go {v} {mode}");
                }
            }
        }
    }
}
