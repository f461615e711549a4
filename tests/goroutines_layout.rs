//! The per-release fallback tables (src/runtime/fallback.rs) against the DWARF of a fixture
//! built with each release: every offset and status constant must agree. Versions from
//! WSLGO_GO_VERSIONS (`all` checks every table).

use crate::common;

use std::sync::Arc;

use wslgo::binary::Binary;
use wslgo::dwarf::Dwarf;
use wslgo::runtime::fallback;
use wslgo::runtime::layout::Layout;

#[test]
fn fallback_tables_match_dwarf() {
    for v in common::versions() {
        let path = common::fixture("grstates", &v, "opt");
        let bin = Arc::new(Binary::open(&path).unwrap());
        let d = Dwarf::new(bin.clone()).unwrap();
        let from_dwarf = Layout::from_dwarf(&d, 8).unwrap();
        let (maj, min, _) = bin.build_info().unwrap().version_tuple().unwrap();
        let table = fallback::layout((maj, min), 8)
            .unwrap_or_else(|| panic!("no fallback table for Go {v}"));
        assert_eq!(table.g, from_dwarf.g, "runtime.g offsets, Go {v}");
        assert_eq!(table.m, from_dwarf.m, "runtime.m offsets, Go {v}");
        let s = (&table.status, &from_dwarf.status);
        assert_eq!(
            (
                s.0.runnable,
                s.0.running,
                s.0.syscall,
                s.0.waiting,
                s.0.dead,
                s.0.deadextra,
                s.0.scan
            ),
            (
                s.1.runnable,
                s.1.running,
                s.1.syscall,
                s.1.waiting,
                s.1.dead,
                s.1.deadextra,
                s.1.scan
            ),
            "status constants, Go {v}"
        );
        // Every constant DWARF knows must be in the table with the same value.
        for (name, val) in &s.1.all {
            let t = s.0.all.iter().find(|(n, _)| n == name);
            assert_eq!(t.map(|x| x.1), Some(*val), "runtime._G{name}, Go {v}");
        }
        assert!(
            matches!(
                table.source,
                wslgo::runtime::LayoutSource::Fallback { exact: true, .. }
            ),
            "Go {v} has its own table"
        );
    }
}

#[test]
fn nodwarf_binary_uses_the_fallback_table() {
    for v in common::versions() {
        let path = common::fixture("grstates", &v, "nodwarf");
        let bin = Arc::new(Binary::open(&path).unwrap());
        assert!(!bin.has_dwarf());
        match wslgo::runtime::GoRuntime::new(Arc::new(wslgo::symbols::Symbols::new(bin).unwrap())) {
            Ok(rt) => assert!(matches!(
                rt.layout().source,
                wslgo::runtime::LayoutSource::Fallback { .. }
            )),
            // Without a pclntab reader there is no runtime model at all.
            Err(e) => assert!(e.to_string().contains("pclntab"), "{e}"),
        }
    }
}

#[test]
fn no_dwarf_and_no_build_info_is_a_no_go_version_error() {
    let path = common::fixture("grstates", "1.24", "nodwarf");
    let mut bytes = std::fs::read(&path).unwrap();
    // Rename the section: the build info is gone, the pclntab stays.
    let at = bytes
        .windows(14)
        .position(|w| w == b".go.buildinfo\0")
        .expect("section name");
    bytes[at + 12] = b'X';
    let bin = Arc::new(Binary::from_bytes(bytes).unwrap());
    assert!(bin.build_info().is_err());
    let syms = Arc::new(wslgo::symbols::Symbols::new(bin).unwrap());
    match wslgo::runtime::GoRuntime::new(syms) {
        Err(wslgo::Error::NoGoVersion(m)) => {
            assert_eq!(m, "no DWARF and no Go version in the build info")
        }
        Err(e) => panic!("wrong kind: {e:?}"),
        Ok(_) => panic!("a layout without a Go version"),
    }
}
