//! The wait view's per-release tables (src/runtime/waits_layout.rs) against the DWARF of a
//! fixture built with each release, amd64 and arm64 (tests/go/waits uses every sync type
//! the view maps): every offset must agree. Versions from WSLGO_GO_VERSIONS.

use crate::common;

use std::sync::Arc;

use wslgo::binary::Binary;
use wslgo::dwarf::Dwarf;
use wslgo::runtime::waits_layout::WaitLayout;
use wslgo::runtime::LayoutSource;

#[test]
fn wait_tables_match_dwarf() {
    for (v, goarch, path) in common::fixtures_each_arch("waits", "opt") {
        let bin = Arc::new(Binary::open(&path).unwrap());
        let d = Dwarf::new(bin.clone()).unwrap();
        let (maj, min, _) = bin.build_info().unwrap().version_tuple().unwrap();
        let from_dwarf = WaitLayout::from_dwarf(&d, (maj, min)).unwrap();
        for ty in ["sync.Mutex", "sync.RWMutex", "sync.WaitGroup", "sync.Cond"] {
            assert!(
                d.struct_layout(ty).is_ok(),
                "{ty} in the DWARF of Go {v} {goarch}"
            );
        }
        let table = WaitLayout::fallback((maj, min), bin.arch())
            .unwrap_or_else(|| panic!("no wait table for Go {v} {goarch}"));
        eprintln!("Go {v} {goarch}: {from_dwarf:?}");
        assert_eq!(table.sudog, from_dwarf.sudog, "sudog, Go {v} {goarch}");
        assert_eq!(table.hchan, from_dwarf.hchan, "hchan, Go {v} {goarch}");
        assert_eq!(
            table.sema_treap, from_dwarf.sema_treap,
            "semaRoot, Go {v} {goarch}"
        );
        assert_eq!(table.heap, from_dwarf.heap, "heap, Go {v} {goarch}");
        assert_eq!(table.sync, from_dwarf.sync, "sync types, Go {v} {goarch}");
        assert!(matches!(table.source, LayoutSource::Fallback { .. }));
    }
}
