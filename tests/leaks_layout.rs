//! The leak check's heap tables (src/runtime/heap.rs) against the DWARF of a fixture built
//! with each release: every offset must agree. Versions from WSLGO_GO_VERSIONS.

mod common;

use std::sync::Arc;

use wslgo::binary::Binary;
use wslgo::dwarf::Dwarf;
use wslgo::runtime::heap::HeapLayout;
use wslgo::runtime::LayoutSource;

#[test]
fn heap_tables_match_dwarf() {
    for v in common::versions() {
        let path = common::fixture("waits", &v, "opt");
        let bin = Arc::new(Binary::open(&path).unwrap());
        let d = Dwarf::new(bin.clone()).unwrap();
        let (maj, min, _) = bin.build_info().unwrap().version_tuple().unwrap();
        let from_dwarf = HeapLayout::from_dwarf(&d).unwrap();
        eprintln!("Go {v}: {from_dwarf:?}");
        let table = HeapLayout::fallback((maj, min), 8)
            .unwrap_or_else(|| panic!("no heap table for Go {v}"));
        assert_eq!(table.arenas, from_dwarf.arenas, "mheap.arenas, Go {v}");
        assert_eq!(
            table.all_arenas, from_dwarf.all_arenas,
            "mheap.allArenas, Go {v}"
        );
        assert_eq!(
            table.arena_spans, from_dwarf.arena_spans,
            "heapArena.spans, Go {v}"
        );
        assert_eq!(table.span, from_dwarf.span, "mspan, Go {v}");
        assert_eq!(
            table.p_pcache_base, from_dwarf.p_pcache_base,
            "p.pcache.base, Go {v}"
        );
        assert!(matches!(table.source, LayoutSource::Fallback { .. }));
    }
}
