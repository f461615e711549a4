//! The per-release offsets of src/values/layout.rs against the DWARF of the values fixture
//! built by each pinned Go release (runtime.hchan, runtime.hmap / internal/runtime/maps,
//! internal/abi.Type, the itab).

use crate::common;

use std::sync::Arc;

use common::{fixture, versions};
use wslgo::binary::Binary;
use wslgo::dwarf::Dwarf;
use wslgo::values::layout::{for_version, minor_of, MapKind};

fn off(d: &Dwarf, ty: &str, field: &str) -> u64 {
    let l = d
        .struct_layout(ty)
        .unwrap_or_else(|e| panic!("{ty} in DWARF: {e}"));
    l.field(field)
        .unwrap_or_else(|| panic!("{ty}.{field} in DWARF"))
        .offset
}

#[test]
fn layouts_match_each_releases_dwarf() {
    for v in versions() {
        let path = fixture("values", &v, "debug");
        let bin = Arc::new(Binary::open(&path).expect("open fixture"));
        let go = bin.build_info().expect("build info").go_version;
        let minor = minor_of(&go).expect("release version");
        let (l, kind) = for_version(minor);
        let d = Dwarf::new(bin).expect("fixture has DWARF");
        let hchan = [
            ("qcount", l.chan_qcount),
            ("dataqsiz", l.chan_dataqsiz),
            ("buf", l.chan_buf),
            ("elemsize", l.chan_elemsize),
            ("closed", l.chan_closed),
            ("recvx", l.chan_recvx),
        ];
        for (f, want) in hchan {
            assert_eq!(off(&d, "runtime.hchan", f), want, "{go}: hchan.{f}");
        }
        let ty = [
            ("Size_", l.type_size),
            ("TFlag", l.type_tflag),
            ("Kind_", l.type_kind),
            ("Str", l.type_str),
        ];
        for (f, want) in ty {
            assert_eq!(off(&d, "internal/abi.Type", f), want, "{go}: abi.Type.{f}");
        }
        // the kind-specific tails the renderer reads (types the runtime's own code uses)
        let abi = |t: &str| format!("internal/abi.{t}");
        assert_eq!(
            d.struct_layout(&abi("Type")).map(|t| t.size).ok(),
            Some(l.type_header),
            "{go}"
        );
        for (t, f, want) in [
            ("PtrType", "Elem", l.type_elem),
            ("SliceType", "Elem", l.type_elem),
            ("ArrayType", "Elem", l.type_elem),
            ("ArrayType", "Len", l.array_len),
            ("ChanType", "Elem", l.type_elem),
            ("StructType", "Fields", l.struct_fields),
            ("InterfaceType", "Methods", l.struct_fields),
            ("StructField", "Typ", l.field_typ),
            ("StructField", "Offset", l.field_offset),
        ] {
            assert_eq!(off(&d, &abi(t), f), want, "{go}: abi.{t}.{f}");
        }
        let sf = d.struct_layout(&abi("StructField")).map(|t| t.size);
        assert_eq!(sf.ok(), Some(l.struct_field_size), "{go}: abi.StructField");
        if d.struct_layout("internal/abi.ITab").is_ok() {
            assert_eq!(off(&d, "internal/abi.ITab", "Type"), l.itab_type, "{go}");
        } else {
            assert_eq!(off(&d, "runtime.itab", "_type"), l.itab_type, "{go}");
        }
        match kind {
            MapKind::Hash => {
                assert!(minor < 24);
                let hmap = [
                    ("count", l.hmap_count),
                    ("flags", l.hmap_flags),
                    ("B", l.hmap_b),
                    ("buckets", l.hmap_buckets),
                    ("oldbuckets", l.hmap_oldbuckets),
                ];
                for (f, want) in hmap {
                    assert_eq!(off(&d, "runtime.hmap", f), want, "{go}: hmap.{f}");
                }
            }
            MapKind::Swiss => {
                let m = "internal/runtime/maps.Map";
                assert_eq!(off(&d, m, "used"), l.smap_used, "{go}");
                assert_eq!(off(&d, m, "dirPtr"), l.smap_dir_ptr, "{go}");
                assert_eq!(off(&d, m, "dirLen"), l.smap_dir_len, "{go}");
                let t = "internal/runtime/maps.table";
                let groups = off(&d, t, "groups");
                let g = "internal/runtime/maps.groupsReference";
                assert_eq!(groups + off(&d, g, "data"), l.table_groups_data, "{go}");
                assert_eq!(
                    groups + off(&d, g, "lengthMask"),
                    l.table_length_mask,
                    "{go}"
                );
            }
        }
    }
}
