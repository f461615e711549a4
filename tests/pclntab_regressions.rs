//! Regressions found by fuzzing (fuzz/), rebuilt from real fixture binaries so that no
//! binary blob is committed.

use crate::common;

use std::sync::Arc;

use common::{fixture, versions};
use wslgo::binary::Binary;
use wslgo::pclntab::Pclntab;

/// fuzz elf_open, crash-72bf6364 (2026-11-26): a compressed .debug_info whose Elf64_Chdr
/// claims an absurd uncompressed size (0x7ff4820528b4818). object's decompress asks the
/// allocator for that much: under ASan that aborts; in a normal build the allocation fails
/// and section_data must report it as an error. The pclntab must still load.
#[test]
fn absurd_compressed_section_size_is_an_error() {
    for v in versions() {
        let path = fixture("symbols", &v, "pie");
        let mut bytes = std::fs::read(&path).expect("read fixture");
        let bin = Binary::from_bytes(bytes.clone()).expect("parse fixture");
        let sec = bin.section(".debug_info").expect(".debug_info");
        assert!(
            sec.compressed,
            "Go {v}: .debug_info is compressed since Go 1.19"
        );
        let (off, _) = sec.file_range.expect("file range");
        // Elf64_Chdr {ch_type u32, ch_reserved u32, ch_size u64, ch_addralign u64}.
        let at = off as usize + 8;
        bytes[at..at + 8].copy_from_slice(&0x07ff_4820_528b_4818_u64.to_le_bytes());
        let bin = Binary::from_bytes(bytes).expect("parse patched");
        let err = bin.section_data(".debug_info").map(|_| ()).unwrap_err();
        assert!(err.to_string().contains(".debug_info"), "{err}");
        let t = Pclntab::new(Arc::new(bin)).expect("pclntab still loads");
        assert!(t.func_by_name("main.main").is_some());
    }
}

/// A C program (the system's /bin/ls) is no Go binary: a clear NotGo error, no scan
/// mistaking random bytes for a pcHeader.
#[test]
fn non_go_binary_is_a_clear_error() {
    let bin = Binary::open("/bin/ls").expect("/bin/ls");
    let err = Pclntab::new(Arc::new(bin)).unwrap_err();
    assert!(matches!(err, wslgo::Error::NotGo(_)), "{err}");
    assert!(err.to_string().contains("pclntab"), "{err}");
}
