//! Walks over synthetic memory: hash maps (overflow chains, growing, cycles, garbage), swiss
//! maps (small, directories with shared tables, tombstones), chans, type names, limits. The
//! map builders are shared with the `map_find` tests (lookup_tests.rs).

use super::*;
use crate::mem::FakeMemory;

/// map[u64]u64 hash bucket: tophash[8], keys[8], elems[8], overflow.
pub(super) const HASH: Geometry = Geometry {
    group_size: 144,
    key_base: 8,
    key_stride: 8,
    elem_base: 72,
    elem_stride: 8,
    overflow: 136,
    key_indirect: false,
    elem_indirect: false,
};

/// map[u64]u64 swiss group: ctrl u64, 8 slots of {key, elem}.
pub(super) const SWISS: Geometry = Geometry {
    group_size: 136,
    key_base: 8,
    key_stride: 16,
    elem_base: 16,
    elem_stride: 16,
    overflow: 0,
    key_indirect: false,
    elem_indirect: false,
};

pub(super) fn layout(minor: u32) -> Layout {
    layout::for_version(minor).0
}

pub(super) fn bucket(entries: &[(u8, u64, u64)], overflow: u64) -> Vec<u8> {
    let mut b = vec![0u8; 144];
    for (i, (top, k, v)) in entries.iter().enumerate() {
        b[i] = *top;
        b[8 + i * 8..16 + i * 8].copy_from_slice(&k.to_le_bytes());
        b[72 + i * 8..80 + i * 8].copy_from_slice(&v.to_le_bytes());
    }
    b[136..144].copy_from_slice(&overflow.to_le_bytes());
    b
}

pub(super) fn hmap(count: u64, flags: u8, b: u8, buckets: u64, old: u64) -> Vec<u8> {
    let mut h = vec![0u8; 48];
    h[0..8].copy_from_slice(&count.to_le_bytes());
    h[8] = flags;
    h[9] = b;
    h[16..24].copy_from_slice(&buckets.to_le_bytes());
    h[24..32].copy_from_slice(&old.to_le_bytes());
    h
}

fn keys(mem: &FakeMemory, w: &MapWalk) -> Vec<u64> {
    let mut k: Vec<u64> = w
        .entries
        .iter()
        .map(|(a, _)| crate::mem::read_u64(mem, *a).unwrap_or(u64::MAX))
        .collect();
    k.sort_unstable();
    k
}

#[test]
fn hash_map_with_overflow_chain() {
    let mut m = FakeMemory::new();
    m.map(0x1000, hmap(4, 0, 1, 0x2000, 0));
    let mut bs = bucket(&[(9, 1, 10), (0, 0, 0), (7, 2, 20)], 0x3000);
    bs.extend(bucket(&[(8, 3, 30)], 0));
    m.map(0x2000, bs);
    m.map(0x3000, bucket(&[(1, 99, 99), (6, 4, 40)], 0));
    let w = map_entries(
        &m,
        &layout(21),
        MapKind::Hash,
        0x1000,
        &HASH,
        Limits::default(),
    );
    assert_eq!(w.marker, None);
    assert_eq!(w.count, 4);
    assert_eq!(keys(&m, &w), vec![1, 2, 3, 4]);
    let elem = crate::mem::read_u64(&m, w.entries[0].1).ok();
    assert_eq!(elem, Some(10));
}

#[test]
fn hash_map_growing_reads_unevacuated_old_buckets_once() {
    let mut m = FakeMemory::new();
    // B = 2 (4 new buckets), 2 old buckets: old 0 evacuated into new 0 and 2, old 1 not.
    m.map(0x1000, hmap(5, 0, 2, 0x2000, 0x4000));
    let mut new = bucket(&[(9, 1, 0)], 0);
    new.extend(bucket(&[(9, 777, 0)], 0)); // stale: new bucket 1 is not authoritative yet
    new.extend(bucket(&[(9, 2, 0)], 0));
    new.extend(bucket(&[], 0));
    m.map(0x2000, new);
    let mut old = bucket(&[(2, 0, 0), (3, 0, 0)], 0); // evacuatedX / evacuatedY
    old.extend(bucket(&[(9, 3, 0), (9, 4, 0), (1, 0, 0), (9, 5, 0)], 0));
    m.map(0x4000, old);
    let w = map_entries(
        &m,
        &layout(21),
        MapKind::Hash,
        0x1000,
        &HASH,
        Limits::default(),
    );
    assert_eq!(w.marker, None, "{w:?}");
    assert_eq!(keys(&m, &w), vec![1, 2, 3, 4, 5]);
}

#[test]
fn hash_map_cycle_garbage_and_unreadable_end_in_markers() {
    let mut m = FakeMemory::new();
    m.map(0x1000, hmap(2, 0, 0, 0x2000, 0));
    m.map(0x2000, bucket(&[(9, 1, 0)], 0x3000));
    m.map(0x3000, bucket(&[(9, 2, 0)], 0x3000));
    let w = map_entries(
        &m,
        &layout(21),
        MapKind::Hash,
        0x1000,
        &HASH,
        Limits::default(),
    );
    assert!(w.marker.as_deref().unwrap_or("").contains("cycle"), "{w:?}");

    m.map(0x5000, hmap(1 << 62, 0, 63, 0x2000, 0));
    let w = map_entries(
        &m,
        &layout(21),
        MapKind::Hash,
        0x5000,
        &HASH,
        Limits::default(),
    );
    assert!(
        w.marker
            .as_deref()
            .unwrap_or("")
            .starts_with("<map: garbage header"),
        "{w:?}"
    );

    m.map(0x6000, hmap(3, 0, 0, 0x10, 0));
    let w = map_entries(
        &m,
        &layout(21),
        MapKind::Hash,
        0x6000,
        &HASH,
        Limits::default(),
    );
    assert_eq!(
        w.marker.as_deref(),
        Some("<map: unreadable bucket at 0x10>")
    );

    // 2^30 buckets of 144 bytes: over any sane read limit, refused before reading
    m.map(0x7000, hmap(3, 0, 30, 0x2000, 0));
    let w = map_entries(
        &m,
        &layout(21),
        MapKind::Hash,
        0x7000,
        &HASH,
        Limits::default(),
    );
    assert!(
        w.marker.as_deref().unwrap_or("").contains("read limit"),
        "{w:?}"
    );
    assert!(m.read_calls() < 20);
}

pub(super) fn group(slots: &[(u8, u64, u64)]) -> Vec<u8> {
    let mut g = vec![0x80u8; 8];
    g.resize(136, 0);
    for (i, (ctrl, k, v)) in slots.iter().enumerate() {
        g[i] = *ctrl;
        g[8 + i * 16..16 + i * 16].copy_from_slice(&k.to_le_bytes());
        g[16 + i * 16..24 + i * 16].copy_from_slice(&v.to_le_bytes());
    }
    g
}

fn smap(used: u64, dir_ptr: u64, dir_len: i64) -> Vec<u8> {
    let mut h = vec![0u8; 48];
    h[0..8].copy_from_slice(&used.to_le_bytes());
    h[16..24].copy_from_slice(&dir_ptr.to_le_bytes());
    h[24..32].copy_from_slice(&dir_len.to_le_bytes());
    h
}

fn table(groups: u64, mask: u64) -> Vec<u8> {
    let mut t = vec![0u8; 32];
    t[16..24].copy_from_slice(&groups.to_le_bytes());
    t[24..32].copy_from_slice(&mask.to_le_bytes());
    t
}

#[test]
fn swiss_small_map_skips_empty_and_deleted_slots() {
    let mut m = FakeMemory::new();
    m.map(0x1000, smap(2, 0x2000, 0));
    m.map(
        0x2000,
        group(&[(0x11, 1, 10), (0x80, 9, 9), (0xfe, 8, 8), (0x22, 2, 20)]),
    );
    let w = map_entries(
        &m,
        &layout(24),
        MapKind::Swiss,
        0x1000,
        &SWISS,
        Limits::default(),
    );
    assert_eq!(w.marker, None);
    assert_eq!(keys(&m, &w), vec![1, 2]);
}

#[test]
fn swiss_directory_visits_each_table_once() {
    let mut m = FakeMemory::new();
    // Directory of 4 entries: tables A, A, B, C (A has local depth 1).
    m.map(0x1000, smap(5, 0x2000, 4));
    let dir: Vec<u8> = [0x3000u64, 0x3000, 0x4000, 0x5000]
        .iter()
        .flat_map(|p| p.to_le_bytes())
        .collect();
    m.map(0x2000, dir);
    m.map(0x3000, table(0x6000, 1));
    let mut ga = group(&[(1, 1, 0), (0xfe, 0, 0)]); // a tombstone
    ga.extend(group(&[(1, 2, 0)]));
    m.map(0x6000, ga);
    m.map(0x4000, table(0x7000, 0));
    m.map(0x7000, group(&[(1, 3, 0), (1, 4, 0)]));
    m.map(0x5000, table(0x8000, 0));
    m.map(0x8000, group(&[(1, 5, 0)]));
    let w = map_entries(
        &m,
        &layout(27),
        MapKind::Swiss,
        0x1000,
        &SWISS,
        Limits::default(),
    );
    assert_eq!(w.marker, None, "{w:?}");
    assert_eq!(keys(&m, &w), vec![1, 2, 3, 4, 5]);

    m.map(0x9000, smap(1 << 62, 0x2000, 1 << 40));
    let w = map_entries(
        &m,
        &layout(27),
        MapKind::Swiss,
        0x9000,
        &SWISS,
        Limits::default(),
    );
    assert!(
        w.marker
            .as_deref()
            .unwrap_or("")
            .starts_with("<map: garbage header"),
        "{w:?}"
    );
}

#[test]
fn entry_and_byte_limits_stop_walks() {
    let mut m = FakeMemory::new();
    m.map(0x1000, smap(3, 0x2000, 0));
    m.map(0x2000, group(&[(1, 1, 0), (1, 2, 0), (1, 3, 0)]));
    let lim = Limits {
        max_bytes: 1 << 20,
        max_entries: 2,
    };
    let w = map_entries(&m, &layout(24), MapKind::Swiss, 0x1000, &SWISS, lim);
    assert_eq!(w.entries.len(), 2);
    assert_eq!(w.marker.as_deref(), Some("<map: entry limit of 2 reached>"));
    let lim = Limits {
        max_bytes: 60,
        max_entries: 10,
    };
    let w = map_entries(&m, &layout(24), MapKind::Swiss, 0x1000, &SWISS, lim);
    assert!(
        w.marker.as_deref().unwrap_or("").contains("read limit"),
        "{w:?}"
    );
}

#[test]
fn chan_queue_in_receive_order_with_wraparound() {
    let l = layout(24);
    let mut h = vec![0u8; 64];
    h[0..8].copy_from_slice(&3u64.to_le_bytes()); // qcount
    h[8..16].copy_from_slice(&4u64.to_le_bytes()); // dataqsiz
    h[16..24].copy_from_slice(&0x9000u64.to_le_bytes()); // buf
    h[24..26].copy_from_slice(&8u16.to_le_bytes()); // elemsize
    h[28..32].copy_from_slice(&1u32.to_le_bytes()); // closed
    h[56..64].copy_from_slice(&2u64.to_le_bytes()); // recvx (Go >= 1.23)
    let mut m = FakeMemory::new();
    m.map(0x1000, h);
    let q = chan_queue(&m, &l, 0x1000, Limits::default());
    assert_eq!((q.len, q.cap, q.closed), (3, 4, true));
    assert_eq!(q.elems, vec![0x9010, 0x9018, 0x9000]);
    assert_eq!(q.marker, None);
    assert!(chan_queue(&m, &l, 0, Limits::default()).elems.is_empty());
}

#[test]
fn chan_queue_of_a_garbage_header_does_not_overflow() {
    // values_walk's crash (an overflow check under `cargo fuzz --dev`): a buf at the top of
    // the address space, and a ring whose recvx and cap are near 2^64.
    let l = layout(24);
    for (buf, cap, recvx) in [(u64::MAX - 8, 4u64, 3u64), (0x9000, u64::MAX, u64::MAX - 1)] {
        let mut h = vec![0u8; 64];
        h[0..8].copy_from_slice(&3u64.to_le_bytes()); // qcount
        h[8..16].copy_from_slice(&cap.to_le_bytes()); // dataqsiz
        h[16..24].copy_from_slice(&buf.to_le_bytes()); // buf
        h[24..26].copy_from_slice(&0xffffu16.to_le_bytes()); // elemsize
        h[56..64].copy_from_slice(&recvx.to_le_bytes()); // recvx
        let mut m = FakeMemory::new();
        m.map(0x1000, h);
        let q = chan_queue(&m, &l, 0x1000, Limits::default());
        assert_eq!(q.elems.len(), 3, "{q:?}");
        assert_eq!(q.elems[0], buf.wrapping_add(recvx.wrapping_mul(0xffff)));
    }
}

#[test]
fn dyn_type_names_and_direct_flag() {
    let l = layout(24);
    let mut m = FakeMemory::new();
    let mut t = vec![0u8; 48];
    t[0..8].copy_from_slice(&8u64.to_le_bytes());
    t[20] = layout::TFLAG_EXTRA_STAR;
    t[23] = 22 | layout::DIRECT_IFACE; // pointer, direct
    t[40..44].copy_from_slice(&0x10i32.to_le_bytes());
    m.map(0x5000, t);
    let mut name = vec![0u8, 19];
    name.extend_from_slice(b"*errors.errorString");
    name.push(0);
    m.map(0x8010, name);
    let d = dyn_type(&m, &l, 0x8000..0x9000, 0x5000).ok();
    let want = DynType {
        name: "errors.errorString".into(),
        size: 8,
        kind: 22,
        direct: true,
    };
    assert_eq!(d, Some(want));
    let mut itab = vec![0u8; 32];
    itab[8..16].copy_from_slice(&0x5000u64.to_le_bytes());
    m.map(0x6000, itab);
    assert_eq!(itab_type(&m, &l, 0x6000).ok(), Some(0x5000));
}

#[test]
fn strings_and_ints_in_batches() {
    let mut m = FakeMemory::new();
    let mut hdrs = Vec::new();
    for (p, n) in [(0x9000u64, 5u64), (0x9005, 3), (0x10, 4), (0, 0)] {
        hdrs.extend(p.to_le_bytes());
        hdrs.extend(n.to_le_bytes());
    }
    m.map(0x1000, hdrs);
    m.map(0x9000, b"hello, you".to_vec());
    let s = read_strings(&m, &[0x1000, 0x1010, 0x1020, 0x1030, 0x50], 4, 1 << 20);
    assert_eq!(s[0], StrRead::Bytes(b"hell".to_vec(), 5));
    assert_eq!(s[1], StrRead::Bytes(b", y".to_vec(), 3));
    assert_eq!(s[2], StrRead::Unreadable);
    assert_eq!(s[3], StrRead::Bytes(Vec::new(), 0));
    assert_eq!(s[4], StrRead::Unreadable);
    // the call's budget: 6 bytes go to the first two strings, the third finds none left
    let s = read_strings(&m, &[0x1000, 0x1010, 0x1000], 4, 6);
    assert_eq!(s[0], StrRead::Bytes(b"hell".to_vec(), 5));
    assert_eq!(s[1], StrRead::Bytes(b", ".to_vec(), 3));
    assert_eq!(s[2], StrRead::OverBudget);
    m.map(0x2000, vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(read_ints(&m, &[0x2000], 8, true), vec![Some(-1)]);
    assert_eq!(read_ints(&m, &[0x2000], 1, false), vec![Some(255)]);
    assert_eq!(
        read_ints(&m, &[0x2000, 0x10], 2, true),
        vec![Some(-1), None]
    );
    assert_eq!(layout::minor_of("go1.24.11"), Some(24));
    assert_eq!(layout::minor_of("devel +abc"), None);
}

#[test]
fn runtime_spelling_drops_import_paths() {
    assert_eq!(runtime_spelling("github.com/x/y.T"), "y.T");
    assert_eq!(runtime_spelling("*example.com/a-b/c.E"), "*c.E");
    assert_eq!(
        runtime_spelling("main.Pair[example.com/z.U,string]"),
        "main.Pair[z.U,string]"
    );
    assert_eq!(runtime_spelling("main.point"), "main.point");
}

/// Synthetic type descriptors for the renderer: `types` base 0x8000 holds the names.
struct Types {
    m: FakeMemory,
    next_name: u64,
}

impl Types {
    const BASE: u64 = 0x8000;

    fn new() -> Self {
        Types {
            m: FakeMemory::new(),
            next_name: Self::BASE + 0x10,
        }
    }

    /// An abi.Name at a fresh address: flags, length, bytes.
    fn name(&mut self, flags: u8, s: &str) -> u64 {
        let at = self.next_name;
        let mut b = vec![flags, s.len() as u8];
        b.extend_from_slice(s.as_bytes());
        self.next_name += b.len() as u64 + 1;
        self.m.map(at, b);
        at
    }

    /// An abi.Type at `addr` with a tail of words after the 48-byte header.
    fn ty(&mut self, addr: u64, name: &str, size: u64, kind: u8, tail: &[u64]) {
        let n = self.name(0, name);
        let mut t = vec![0u8; 48];
        t[0..8].copy_from_slice(&size.to_le_bytes());
        t[23] = kind;
        t[40..44].copy_from_slice(&((n - Self::BASE) as i32).to_le_bytes());
        for w in tail {
            t.extend(w.to_le_bytes());
        }
        t.resize(48 + 24, 0);
        self.m.map(addr, t);
    }

    fn render(&self, typ: u64, data: u64) -> String {
        let l = layout(24);
        let opts = render::RenderOpts {
            max_elems: 3,
            ..Default::default()
        };
        render::Renderer::new(&self.m, &l, Self::BASE..Self::BASE + 0x1000, opts).dynamic(typ, data)
    }
}

#[test]
fn values_render_from_type_descriptors() {
    let mut t = Types::new();
    t.ty(0x1000, "int", 8, 2, &[]);
    t.ty(0x1100, "string", 16, 24, &[]);
    // main.point {X int; Name string; embedded fmt.Stringer-less interface{} E}
    let (fx, fname, fe) = (t.name(1, "X"), t.name(1, "Name"), t.name(1 | 8, "E"));
    t.ty(0x1200, "interface {}", 16, 20, &[0, 0, 0]);
    let mut fields = Vec::new();
    for (n, ty, off) in [(fx, 0x1000u64, 0u64), (fname, 0x1100, 8), (fe, 0x1200, 24)] {
        fields.extend(n.to_le_bytes());
        fields.extend(ty.to_le_bytes());
        fields.extend(off.to_le_bytes());
    }
    t.m.map(0x3000, fields);
    t.ty(0x1300, "main.point", 40, 25, &[0, 0x3000, 3]);
    t.ty(
        0x1400,
        "*main.point",
        8,
        22 | layout::DIRECT_IFACE,
        &[0x1300],
    );
    t.ty(0x1500, "[]int", 24, 23, &[0x1000]);
    // a point at 0x4000: X = -7, Name = "a\"b\n", E = []int{1, 2, 3, 4}
    let mut p = Vec::new();
    p.extend((-7i64).to_le_bytes());
    p.extend(0x4100u64.to_le_bytes());
    p.extend(4u64.to_le_bytes());
    p.extend(0x1500u64.to_le_bytes());
    p.extend(0x4200u64.to_le_bytes());
    t.m.map(0x4000, p);
    t.m.map(0x4100, b"a\"b\n".to_vec());
    let mut sl = Vec::new();
    for w in [0x4300u64, 4, 4] {
        sl.extend(w.to_le_bytes());
    }
    t.m.map(0x4200, sl);
    let mut ints = Vec::new();
    for i in 1..=4u64 {
        ints.extend(i.to_le_bytes());
    }
    t.m.map(0x4300, ints);
    let want = r#"main.point {X = -7, Name = "a\"b\n", E = []int = {1, 2, 3...}}"#;
    assert_eq!(t.render(0x1300, 0x4000), want);
    assert_eq!(t.render(0x1400, 0x4000), format!("*{want}"));
    assert_eq!(t.render(0x1400, 0), "*main.point nil");
    assert_eq!(t.render(0x1000, 0x4000), "int -7");
    // unreadable data, unreadable type, a garbage slice length: markers, no panic
    assert_eq!(t.render(0x1000, 0x10), "int <unreadable memory at 0x10>");
    assert_eq!(t.render(0x20, 0x4000), "<unreadable type at 0x20>");
    let mut bad = Vec::new();
    for w in [0x4300u64, u64::MAX / 2, u64::MAX / 2] {
        bad.extend(w.to_le_bytes());
    }
    t.m.map(0x5000, bad);
    assert!(t.render(0x1500, 0x5000).starts_with("[]int = {1, 2, 3..."));
    assert_eq!(
        render::quote(b"\x01\\\xff", true),
        "\"\\001\\\\\u{fffd}\"..."
    );
    // a C1 CSI and a right-to-left override from the program cannot reach the terminal
    assert_eq!(
        render::quote("a\u{9b}2J\u{202e}b".as_bytes(), false),
        "\"a\\u009b2J\\u202eb\""
    );
    // a type made at run time: its name offset is outside the types section (reflect's
    // negative ids), so it is spelled from its fields
    let mut desc = crate::mem::read_vec(&t.m, 0x1300, 72).unwrap_or_default();
    desc[40..44].copy_from_slice(&(-1i32).to_le_bytes());
    t.m.map(0x1600, desc);
    let text = t.render(0x1600, 0x4000);
    assert!(
        text.starts_with("struct { X int; Name string; interface {} } {X = -7,"),
        "{text}"
    );
    let l = layout(24);
    let d = dyn_type(&t.m, &l, Types::BASE..Types::BASE + 0x1000, 0x1600).ok();
    assert_eq!(
        d.map(|d| d.name),
        Some("struct { X int; Name string; interface {} }".to_string())
    );
}

#[test]
fn garbage_type_descriptors_end_in_markers() {
    // descriptors and values from pseudo-random bytes: every rendering ends, within budget
    let mut m = FakeMemory::new();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut bytes = vec![0u8; 1 << 16];
    for (i, b) in bytes.iter_mut().enumerate() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // mostly small kinds and pointers back into the region
        *b = if i % 8 == 7 { 0 } else { x as u8 };
    }
    for w in bytes.chunks_mut(8).step_by(3) {
        w.copy_from_slice(&(0x10_0000 + (x % 0xff00)).to_le_bytes());
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
    }
    m.map(0x10_0000, bytes);
    let l = layout(24);
    let opts = render::RenderOpts {
        max_bytes: 1 << 16,
        ..Default::default()
    };
    for i in 0..2000u64 {
        let typ = 0x10_0000 + (i * 37) % 0xff00;
        let data = 0x10_0000 + (i * 101) % 0xff00;
        let text = render::Renderer::new(&m, &l, 0x10_0000..0x11_0000, opts).dynamic(typ, data);
        assert!(!text.is_empty() && text.len() < 2 << 20);
    }
}

#[test]
fn a_string_bomb_reads_only_what_the_memory_holds() {
    // 256 headers claiming 2^40 bytes of a 16-byte buffer, with no length limit: each string
    // is cut where the memory ends, and all of them together stay within the budget.
    let mut m = FakeMemory::new();
    let mut hdrs = Vec::new();
    for _ in 0..256 {
        hdrs.extend(0x9000u64.to_le_bytes());
        hdrs.extend((1u64 << 40).to_le_bytes());
    }
    m.map(0x1000, hdrs);
    m.map(0x9000, vec![b'x'; 100_000]);
    let addrs: Vec<u64> = (0..256).map(|i| 0x1000 + 16 * i).collect();
    let s = read_strings(&m, &addrs, u64::MAX, 16 << 20);
    let mut total = 0;
    for r in &s {
        match r {
            StrRead::Bytes(b, n) => {
                assert_eq!(*n, 1 << 40);
                assert!(b.len() <= 100_000);
                total += b.len();
            }
            StrRead::OverBudget => {}
            StrRead::Unreadable => panic!("readable start"),
        }
    }
    assert!(total <= 16 << 20, "{total}");
    assert!(matches!(&s[0], StrRead::Bytes(b, _) if b.len() == 100_000));
}

#[test]
fn names_from_memory_are_escaped() {
    let mut m = FakeMemory::new();
    let bytes: Vec<u8> = [&[0u8, 8][..], b"A\x1b[1m\0B\x07"].concat();
    m.map(0x100, bytes);
    assert_eq!(read_name(&m, 0x100).unwrap(), "A\\x1b[1m\\x00B\\x07");
}
