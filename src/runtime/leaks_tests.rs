//! The span index and the leak check on fake memory: allocation bits and freeindex, noscan
//! spans, the fixed point, and unreadable or corrupt spans (no leak made of them).

use super::*;
use crate::binary::Arch;
use crate::mem::FakeMemory;
use crate::runtime::heap::HeapLayout;
use crate::runtime::waits::{Object, Place, Waits};
use crate::runtime::waits_layout::heap_geometry as hg;

const MHEAP: u64 = 0x100_0000;
const IDX: u64 = 0x200_0000;
const L2: u64 = 0x300_0000;
const ARENA: u64 = 0x400_0000;
const SPANS: u64 = 0x40_000;
const BITS: u64 = 0x50_000;
const DATA: u64 = 0x60_000;
const STACKS: u64 = 0x70_000;
const HEAP: u64 = 0xc0_0000_0000;
const WAITING: u32 = 4;

fn layouts() -> (WaitLayout, HeapLayout) {
    (
        WaitLayout::fallback((1, 24), crate::binary::Arch::Amd64).unwrap(),
        HeapLayout::fallback((1, 24), crate::binary::Arch::Amd64).unwrap(),
    )
}

/// One arena at HEAP: page 0 a span of 64-byte objects (scan), page 1 a span of 16-byte
/// noscan objects. `alloc0`: the allocation bits of span 0 (freeindex 0).
fn memory(h: &HeapLayout, alloc0: u64) -> FakeMemory {
    let mut m = FakeMemory::new();
    m.map(MHEAP, vec![0; 0x20_000]);
    let p = |m: &mut FakeMemory, a: u64, v: u64| assert!(m.poke(a, &v.to_le_bytes()));
    p(&mut m, MHEAP + h.all_arenas, IDX);
    p(&mut m, MHEAP + h.all_arenas + 8, 1);
    p(&mut m, MHEAP + h.all_arenas + 16, 1);
    p(&mut m, MHEAP + h.arenas, L2);
    let ai = HEAP.wrapping_sub(hg::AMD64_BASE_OFFSET) / hg::ARENA_BYTES;
    m.map(IDX, ai.to_le_bytes().to_vec());
    m.map(L2 + ai * 8, ARENA.to_le_bytes().to_vec());
    m.map(ARENA, vec![0; 8192 * 8]);
    p(&mut m, ARENA + h.arena_spans, SPANS);
    p(&mut m, ARENA + h.arena_spans + 8, SPANS + 0x200);
    m.map(SPANS, vec![0; 0x400]);
    m.map(BITS, vec![0; 0x100]);
    for (k, (elemsize, nelems, class, bits)) in
        [(64u64, 128u64, 10u8, alloc0), (16, 512, 3, u64::MAX)]
            .iter()
            .enumerate()
    {
        let s = SPANS + (k as u64) * 0x200;
        let o = &h.span;
        p(&mut m, s + o.start, HEAP + (k as u64) * 8192);
        p(&mut m, s + o.npages, 1);
        p(&mut m, s + o.elemsize, *elemsize);
        assert!(m.poke(s + o.nelems, &(*nelems as u16).to_le_bytes()));
        p(&mut m, s + o.alloc_bits, BITS + (k as u64) * 0x80);
        assert!(m.poke(s + o.class, &[*class]));
        assert!(m.poke(s + o.state, &[hg::SPAN_IN_USE]));
        p(&mut m, BITS + (k as u64) * 0x80, *bits);
    }
    m.map(HEAP, vec![0; 2 * 8192]);
    m.map(DATA, vec![0; 0x100]);
    m.map(STACKS, vec![0; 0x10_000]);
    m
}

fn target(m: &FakeMemory) -> Target<'_> {
    Target {
        mem: m,
        bias: 0,
        ptr_size: 8,
        arch: Arch::Amd64,
    }
}

fn obj(i: u64) -> u64 {
    HEAP + i * 64
}

fn poke(m: &mut FakeMemory, a: u64, v: u64) {
    assert!(m.poke(a, &v.to_le_bytes()));
}

/// A goroutine with a stack of 0x1000 bytes at STACKS + i * 0x1000.
fn g(goid: u64, status: u32, reason: &str) -> Goroutine {
    let mut g = Goroutine::unreadable(0xdead_0000 + goid * 0x1000, String::new());
    g.error = None;
    g.goid = crate::ids::GoId(goid);
    g.status = status;
    g.status_name = if status == WAITING {
        "waiting"
    } else {
        "runnable"
    }
    .into();
    g.wait_reason = reason.into();
    g.stack_lo = STACKS + goid * 0x1000;
    g.stack_hi = g.stack_lo + 0x1000;
    g.sp = g.stack_lo + 0x800;
    g
}

fn waits(on: &[(u64, u64)]) -> Waits {
    let mut w = Waits::default();
    for (goid, addr) in on {
        w.waits_on.entry(*goid).or_default().push(*addr);
        if !w.objects.iter().any(|o| o.addr == *addr) {
            w.objects.push(Object {
                kind: Kind::Chan,
                addr: *addr,
                type_name: None,
                chan: None,
                place: Place::Unknown,
                waiters: Vec::new(),
                suspects: Vec::new(),
            });
        }
    }
    w
}

fn run(m: &FakeMemory, gs: &[Goroutine], w: &Waits) -> Leaks {
    let (wl, hl) = layouts();
    let cfg = Config {
        wait: &wl,
        heap: &hl,
        globals: Globals {
            mheap: Some(MHEAP),
            ..Globals::default()
        },
        roots: vec![(DATA, DATA + 0x100)],
        traceable: false,
        allp: None,
        allgs: None,
        allm: None,
        m_alllink: None,
        m_gsignal: None,
        g_stack_hi: 8,
        pcln: None,
        arch: crate::binary::Arch::Amd64,
    };
    check(&cfg, &target(m), gs, w, WAITING, 0x1000)
}

#[test]
fn span_index_knows_allocated_slots_and_noscan_spans() {
    let (_, h) = layouts();
    let m = memory(&h, 0b1011);
    let idx = SpanIndex::build(&h, &target(&m), MHEAP).unwrap();
    assert!(idx.incomplete.is_empty(), "{:?}", idx.incomplete);
    assert_eq!(idx.spans.len(), 2);
    assert!(!idx.spans[0].noscan && idx.spans[1].noscan);
    assert!(idx.find(obj(0) + 8).is_some());
    assert!(idx.find(obj(2)).is_none(), "slot 2 is free");
    assert!(idx.find(obj(3) + 63).is_some());
    assert!(idx.in_heap(obj(2)) && !idx.in_heap(HEAP + 3 * 8192));
    // Span 1: the first 64 of its 512 bits set.
    assert_eq!(idx.allocated_bytes(), 3 * 64 + 64 * 16);
}

#[test]
fn leaks_are_what_no_root_reaches_at_the_fixed_point() {
    let (_, h) = layouts();
    let mut m = memory(&h, 0xff);
    // data -> obj 0 -> chan obj 1 (g1 waits: reachable); g1's stack -> chan obj 2 (g2 waits:
    // reachable once g1 is); chan obj 3 only on g3's own stack (leaked); chan obj 4 only
    // in a noscan object (leaked: g4); g5 on a nil channel; g6 runnable holds nothing.
    poke(&mut m, DATA + 8, obj(0));
    poke(&mut m, obj(0) + 16, obj(1));
    poke(&mut m, STACKS + 0x1000 + 0x900, obj(2));
    poke(&mut m, STACKS + 0x3000 + 0x900, obj(3));
    poke(&mut m, DATA + 16, HEAP + 8192);
    poke(&mut m, HEAP + 8192, obj(4));
    let gs = vec![
        g(1, WAITING, "chan receive"),
        g(2, WAITING, "chan send"),
        g(3, WAITING, "chan receive"),
        g(4, WAITING, "select"),
        g(5, WAITING, "chan receive (nil chan)"),
        g(6, 1, ""),
    ];
    let w = waits(&[(1, obj(1)), (2, obj(2)), (3, obj(3)), (4, obj(4))]);
    let l = run(&m, &gs, &w);
    assert_eq!(l.cannot, None);
    assert_eq!(l.goids(), vec![3, 4, 5]);
    assert_eq!(l.leaked[2].cause, Cause::NilChan);
    assert_eq!(l.blocked, 5);
}

#[test]
fn unreadable_or_corrupt_heap_makes_no_leak() {
    let (_, h) = layouts();
    let gs = vec![
        g(3, WAITING, "chan receive"),
        g(5, WAITING, "chan receive (nil chan)"),
    ];
    let w = waits(&[(3, obj(3))]);
    // A span whose object count does not fit its pages.
    let mut m = memory(&h, 0xff);
    assert!(m.poke(SPANS + h.span.nelems, &1000u16.to_le_bytes()));
    let l = run(&m, &gs, &w);
    assert!(
        l.cannot.as_deref().unwrap().contains("inconsistent"),
        "{l:?}"
    );
    assert_eq!(l.goids(), vec![5]);
    // The arena list unreadable.
    let mut m = memory(&h, 0xff);
    poke(&mut m, MHEAP + h.all_arenas, 0xdead_0000);
    let l = run(&m, &gs, &w);
    assert!(l
        .cannot
        .as_deref()
        .unwrap()
        .starts_with("the heap cannot be read"));
    assert_eq!(l.goids(), vec![5]);
    // An arena count no heap has.
    let mut m = memory(&h, 0xff);
    poke(&mut m, MHEAP + h.all_arenas + 8, u64::MAX);
    poke(&mut m, MHEAP + h.all_arenas + 16, u64::MAX);
    assert_eq!(run(&m, &gs, &w).goids(), vec![5]);
}

/// `memory` with a third span at page 2: one 128 KiB object (16 pages, scanned), big enough
/// to be scanned on several threads ([`BIG`]); its bytes mapped from `mapped` on (a hole
/// before: unreadable).
fn with_big_object(h: &HeapLayout, mapped: u64) -> FakeMemory {
    let mut m = memory(h, 0xff);
    let s = SPANS + 0x800;
    m.map(s, vec![0; 0x200]);
    m.map(BITS + 0x100, vec![0; 8]);
    let o = &h.span;
    poke(&mut m, s + o.start, HEAP + 2 * 8192);
    poke(&mut m, s + o.npages, 16);
    poke(&mut m, s + o.elemsize, 16 * 8192);
    assert!(m.poke(s + o.nelems, &1u16.to_le_bytes()));
    poke(&mut m, s + o.alloc_bits, BITS + 0x100);
    assert!(m.poke(s + o.class, &[2]));
    assert!(m.poke(s + o.state, &[hg::SPAN_IN_USE]));
    poke(&mut m, BITS + 0x100, 1);
    for page in 2..18 {
        poke(&mut m, ARENA + h.arena_spans + page * 8, s);
    }
    m.map(
        HEAP + 2 * 8192 + mapped,
        vec![0; (16 * 8192 - mapped) as usize],
    );
    m
}

#[test]
fn big_objects_scanned_on_several_threads_mark_what_they_point_to() {
    const BIG_OBJ: u64 = HEAP + 2 * 8192;
    const { assert!(16 * 8192 >= BIG) };
    let (_, h) = layouts();
    // data -> the big object -> chan obj 1, near its end (g1 waits: reachable); chan obj 3
    // only on g3's own stack (leaked).
    let mut m = with_big_object(&h, 0);
    poke(&mut m, DATA + 8, BIG_OBJ + 8);
    poke(&mut m, BIG_OBJ + 16 * 8192 - 8, obj(1));
    let gs = vec![g(1, WAITING, "chan receive"), g(3, WAITING, "chan receive")];
    let w = waits(&[(1, obj(1)), (3, obj(3))]);
    let l = run(&m, &gs, &w);
    assert_eq!(l.cannot, None, "{l:?}");
    assert_eq!(l.goids(), vec![3]);
    assert!(l.scanned_bytes >= 16 * 8192, "{l:?}");
    // Its first page unreadable: leaks cannot be determined, none is reported.
    let mut m = with_big_object(&h, 4096);
    poke(&mut m, DATA + 8, BIG_OBJ + 8192);
    poke(&mut m, BIG_OBJ + 16 * 8192 - 8, obj(1));
    let l = run(&m, &gs, &w);
    assert!(
        l.cannot.as_deref().unwrap().contains("cannot read"),
        "{l:?}"
    );
    assert!(l.goids().is_empty(), "{l:?}");
}
