//! The leak check's heap tables (src/runtime/heap.rs) against the DWARF of a fixture built
//! with each release, amd64 and arm64: every offset must agree. Versions from
//! WSLGO_GO_VERSIONS.

use crate::common;

use std::sync::Arc;

use wslgo::binary::Binary;
use wslgo::dwarf::Dwarf;
use wslgo::runtime::heap::HeapLayout;
use wslgo::runtime::LayoutSource;

#[test]
fn heap_tables_match_dwarf() {
    for (v, goarch, path) in common::fixtures_each_arch("waits", "opt") {
        let bin = Arc::new(Binary::open(&path).unwrap());
        let d = Dwarf::new(bin.clone()).unwrap();
        let (maj, min, _) = bin.build_info().unwrap().version_tuple().unwrap();
        let from_dwarf = HeapLayout::from_dwarf(&d).unwrap();
        eprintln!("Go {v} {goarch}: {from_dwarf:?}");
        let table = HeapLayout::fallback((maj, min), bin.arch())
            .unwrap_or_else(|| panic!("no heap table for Go {v} {goarch}"));
        assert_eq!(
            table.arenas, from_dwarf.arenas,
            "mheap.arenas, Go {v} {goarch}"
        );
        assert_eq!(
            table.all_arenas, from_dwarf.all_arenas,
            "mheap.allArenas, Go {v} {goarch}"
        );
        assert_eq!(
            table.arena_spans, from_dwarf.arena_spans,
            "heapArena.spans, Go {v} {goarch}"
        );
        assert_eq!(table.span, from_dwarf.span, "mspan, Go {v} {goarch}");
        assert_eq!(
            table.p_pcache, from_dwarf.p_pcache,
            "p.pcache, Go {v} {goarch}"
        );
        assert_eq!(
            table.p_wbbuf, from_dwarf.p_wbbuf,
            "p.wbBuf.buf, Go {v} {goarch}"
        );
        assert_eq!(
            table.p_spanq, from_dwarf.p_spanq,
            "p.gcw.spanq.ring, Go {v} {goarch}"
        );
        assert_eq!(
            table.p_xregs, from_dwarf.p_xregs,
            "p.xRegs.scratch, Go {v} {goarch}"
        );
        assert!(matches!(table.source, LayoutSource::Fallback { .. }));
    }
}
