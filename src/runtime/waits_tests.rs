//! The wait walks on fake memory: semtable treaps and chains, corrupt links, channel
//! queues, the span lookup and the cycle finder.

use super::*;
use crate::binary::Arch;
use crate::mem::FakeMemory;

const TABLE: u64 = 0x10_000;
const STRIDE: u64 = 64;
const SUDOGS: u64 = 0x40_000;

fn layout() -> WaitLayout {
    WaitLayout::fallback((1, 24), crate::binary::Arch::Amd64).unwrap()
}

fn target(m: &FakeMemory) -> Target<'_> {
    Target {
        mem: m,
        bias: 0,
        ptr_size: 8,
        arch: Arch::Amd64,
    }
}

/// A semaphore address of root `root` (`k` picks among them).
fn sema(root: u64, k: u64) -> u64 {
    0xc000_0000 + 8 * (root + SEM_TAB_SIZE * k) - (0xc000_0000 >> 3) % SEM_TAB_SIZE * 8
}

/// Fake memory with an empty semtable and a sudog area.
fn memory() -> FakeMemory {
    let mut m = FakeMemory::new();
    m.map(TABLE, vec![0; (SEM_TAB_SIZE * STRIDE) as usize]);
    m.map(SUDOGS, vec![0; 0x10_000]);
    m
}

/// Sudog number `i` of the area.
fn sd(i: u64) -> u64 {
    SUDOGS + i * 128
}

#[derive(Default, Clone, Copy)]
struct Sd {
    g: u64,
    elem: u64,
    prev: u64,
    next: u64,
    waitlink: u64,
    c: u64,
}

fn put(m: &mut FakeMemory, l: &WaitLayout, at: u64, s: Sd) {
    let o = &l.sudog;
    for (off, v) in [
        (o.g, s.g),
        (o.elem, s.elem),
        (o.prev, s.prev),
        (o.next, s.next),
        (o.waitlink, s.waitlink),
        (o.c, s.c),
    ] {
        assert!(m.poke(at + off, &v.to_le_bytes()));
    }
}

fn set_root(m: &mut FakeMemory, l: &WaitLayout, root: u64, node: u64) {
    assert!(m.poke(TABLE + root * STRIDE + l.sema_treap, &node.to_le_bytes()));
}

/// Root 3: a treap of three addresses (a, with b before and c after it), a's waiters chained.
fn treap(m: &mut FakeMemory, l: &WaitLayout) -> (u64, u64, u64) {
    let (a, b, c) = (sema(3, 5), sema(3, 2), sema(3, 9));
    put(
        m,
        l,
        sd(0),
        Sd {
            g: 0x100,
            elem: a,
            prev: sd(1),
            next: sd(2),
            waitlink: sd(3),
            ..Sd::default()
        },
    );
    put(
        m,
        l,
        sd(1),
        Sd {
            g: 0x200,
            elem: b,
            ..Sd::default()
        },
    );
    put(
        m,
        l,
        sd(2),
        Sd {
            g: 0x300,
            elem: c,
            ..Sd::default()
        },
    );
    put(
        m,
        l,
        sd(3),
        Sd {
            g: 0x101,
            elem: a,
            waitlink: sd(4),
            ..Sd::default()
        },
    );
    put(
        m,
        l,
        sd(4),
        Sd {
            g: 0x102,
            elem: a,
            ..Sd::default()
        },
    );
    set_root(m, l, 3, sd(0));
    (a, b, c)
}

fn by_g(v: &[SemaWaiter]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = v.iter().map(|s| (s.g, s.addr)).collect();
    out.sort_unstable();
    out
}

#[test]
fn sema_addresses_fall_in_their_root() {
    assert_eq!(sema_root_index(sema(3, 5)), 3);
    assert_eq!(sema_root_index(sema(250, 1)), 250);
}

#[test]
fn treap_nodes_and_their_chains_are_all_found() {
    let l = layout();
    let mut m = memory();
    let (a, b, c) = treap(&mut m, &l);
    // A second root with one waiter.
    let d = sema(200, 1);
    put(
        &mut m,
        &l,
        sd(10),
        Sd {
            g: 0x400,
            elem: d,
            ..Sd::default()
        },
    );
    set_root(&mut m, &l, 200, sd(10));
    let mut errors = Vec::new();
    let got = walk_semtable(&l, &target(&m), TABLE, STRIDE, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        by_g(&got),
        vec![
            (0x100, a),
            (0x101, a),
            (0x102, a),
            (0x200, b),
            (0x300, c),
            (0x400, d)
        ]
    );
}

#[test]
fn corrupt_treap_gives_one_line_per_bad_part_and_the_rest() {
    let l = layout();
    let mut m = memory();
    let (a, b, _) = treap(&mut m, &l);
    // c's node points nowhere; a chained waiter loops onto itself; b's node points back at
    // the root (a cycle); a node of root 7 sits in root 3.
    put(
        &mut m,
        &l,
        sd(0),
        Sd {
            g: 0x100,
            elem: a,
            prev: sd(1),
            next: 0xdead_0000,
            waitlink: sd(3),
            ..Sd::default()
        },
    );
    put(
        &mut m,
        &l,
        sd(3),
        Sd {
            g: 0x101,
            elem: a,
            waitlink: sd(3),
            ..Sd::default()
        },
    );
    put(
        &mut m,
        &l,
        sd(1),
        Sd {
            g: 0x200,
            elem: b,
            prev: sd(0),
            next: sd(5),
            ..Sd::default()
        },
    );
    put(
        &mut m,
        &l,
        sd(5),
        Sd {
            g: 0x500,
            elem: sema(7, 1),
            ..Sd::default()
        },
    );
    let mut errors = Vec::new();
    let got = walk_semtable(&l, &target(&m), TABLE, STRIDE, &mut errors);
    assert_eq!(by_g(&got), vec![(0x100, a), (0x101, a), (0x200, b)]);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains("cannot read the sudog at 0xdead0000")
            || errors[1].contains("cannot read the sudog at 0xdead0000"),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("belongs to root 7")),
        "{errors:?}"
    );
}

#[test]
fn unreadable_semtable_is_one_error() {
    let l = layout();
    let m = FakeMemory::new();
    let mut errors = Vec::new();
    assert!(walk_semtable(&l, &target(&m), TABLE, STRIDE, &mut errors).is_empty());
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("semtable at 0x10000: cannot read"),
        "{errors:?}"
    );
}

#[test]
fn waiting_chain_lists_each_channel_once_and_stops_at_a_loop() {
    let l = layout();
    let mut m = memory();
    put(
        &mut m,
        &l,
        sd(0),
        Sd {
            c: 0xc1,
            waitlink: sd(1),
            ..Sd::default()
        },
    );
    put(
        &mut m,
        &l,
        sd(1),
        Sd {
            c: 0xc2,
            waitlink: sd(2),
            ..Sd::default()
        },
    );
    put(
        &mut m,
        &l,
        sd(2),
        Sd {
            c: 0xc1,
            ..Sd::default()
        },
    );
    assert_eq!(waiting_chain(&l, &target(&m), sd(0)), Ok(vec![0xc1, 0xc2]));
    put(
        &mut m,
        &l,
        sd(2),
        Sd {
            c: 0xc3,
            waitlink: sd(0),
            ..Sd::default()
        },
    );
    let (part, e) = waiting_chain(&l, &target(&m), sd(0)).unwrap_err();
    assert_eq!(part, vec![0xc1, 0xc2, 0xc3]);
    assert!(e.contains("loops"), "{e}");
    put(
        &mut m,
        &l,
        sd(2),
        Sd {
            c: 0xc3,
            waitlink: 0x8,
            ..Sd::default()
        },
    );
    let (part, e) = waiting_chain(&l, &target(&m), sd(0)).unwrap_err();
    assert_eq!(part.len(), 3);
    assert!(e.contains("cannot read the sudog at 0x8"), "{e}");
}

#[test]
fn waiting_chains_read_together_keep_each_chain_apart() {
    let l = layout();
    let mut m = memory();
    // Chain 0: a select over c1 and c2. Chain 1: none. Chain 2: a loop of 5 sudogs (Brent's
    // check finds it past its first lap). Chain 3: its second sudog is unreadable. Chain 4:
    // one sudog, the last of chain 0's (chains may share memory and still end apart).
    let link = |m: &mut FakeMemory, i: u64, c: u64, next: u64| {
        put(
            m,
            &l,
            sd(i),
            Sd {
                c,
                waitlink: next,
                ..Sd::default()
            },
        )
    };
    link(&mut m, 0, 0xc1, sd(1));
    link(&mut m, 1, 0xc2, 0);
    for i in 0..5 {
        link(&mut m, 10 + i, 0xd0 + i, sd(10 + (i + 1) % 5));
    }
    link(&mut m, 20, 0xe1, 0x8);
    let got = waiting_chains(&l, &target(&m), &[sd(0), 0, sd(10), sd(20), sd(1)]);
    assert_eq!(got.len(), 5);
    assert_eq!(got[0], Ok(vec![0xc1, 0xc2]));
    assert_eq!(got[1], Ok(vec![]));
    let (part, e) = got[2].clone().unwrap_err();
    assert_eq!(part, vec![0xd0, 0xd1, 0xd2, 0xd3, 0xd4]);
    assert!(e.contains("loops"), "{e}");
    let (part, e) = got[3].clone().unwrap_err();
    assert_eq!(part, vec![0xe1]);
    assert!(e.contains("cannot read the sudog at 0x8"), "{e}");
    assert_eq!(got[4], Ok(vec![0xc2]));
}

#[test]
fn chan_state_counts_queues_and_refuses_nonsense() {
    let l = layout();
    let mut m = memory();
    let c = 0x90_000;
    let h = l.hchan;
    let mut b = vec![0u8; h.size as usize];
    b[h.qcount as usize..][..8].copy_from_slice(&2u64.to_le_bytes());
    b[h.dataqsiz as usize..][..8].copy_from_slice(&3u64.to_le_bytes());
    b[h.closed as usize..][..4].copy_from_slice(&1u32.to_le_bytes());
    b[h.sendq as usize..][..8].copy_from_slice(&sd(0).to_le_bytes());
    m.map(c, b);
    put(
        &mut m,
        &l,
        sd(0),
        Sd {
            g: 1,
            next: sd(1),
            ..Sd::default()
        },
    );
    put(
        &mut m,
        &l,
        sd(1),
        Sd {
            g: 2,
            ..Sd::default()
        },
    );
    let st = chan_state(&l, &target(&m), c).unwrap();
    assert_eq!(
        (st.len, st.cap, st.closed, st.send_waiting, st.recv_waiting),
        (2, 3, true, 2, 0)
    );
    // A send queue that loops is one error.
    put(
        &mut m,
        &l,
        sd(1),
        Sd {
            g: 2,
            next: sd(0),
            ..Sd::default()
        },
    );
    let e = chan_state(&l, &target(&m), c).unwrap_err();
    assert!(e.contains("sendq") && e.contains("loops"), "{e}");
    assert!(m.poke(c + h.qcount, &9u64.to_le_bytes()));
    assert!(chan_state(&l, &target(&m), c)
        .unwrap_err()
        .contains("not a channel"));
}

#[test]
fn notify_list_finds_its_goroutine() {
    let l = layout();
    let mut m = memory();
    put(
        &mut m,
        &l,
        sd(0),
        Sd {
            g: 0x100,
            next: sd(1),
            ..Sd::default()
        },
    );
    put(
        &mut m,
        &l,
        sd(1),
        Sd {
            g: 0x200,
            ..Sd::default()
        },
    );
    assert_eq!(
        sudog_list(&l, &target(&m), sd(0), Some(0x200)),
        Ok((2, true, sd(1)))
    );
    assert_eq!(
        sudog_list(&l, &target(&m), sd(0), Some(0x300)),
        Ok((2, false, sd(1)))
    );
}

#[test]
fn notify_list_is_its_goroutines_when_it_ends_at_tail_and_none_when_it_loops() {
    let l = layout();
    let mut m = memory();
    let list = 0x80_000u64;
    m.map(list, vec![0; 64]);
    let set = |m: &mut FakeMemory, head: u64, tail: u64| {
        assert!(m.poke(list + l.sync.notify_head, &head.to_le_bytes()));
        assert!(m.poke(list + l.sync.notify_tail, &tail.to_le_bytes()));
    };
    for i in 0..3 {
        let next = if i < 2 { sd(i + 1) } else { 0 };
        put(
            &mut m,
            &l,
            sd(i),
            Sd {
                g: 0x100 * (i + 1),
                next,
                ..Sd::default()
            },
        );
    }
    set(&mut m, sd(0), sd(2));
    let gs = notify_list(&l, &target(&m), list).unwrap();
    assert_eq!(gs.len(), 3);
    assert!([0x100, 0x200, 0x300].iter().all(|g| gs.contains(g)));
    // Not ending at its tail: not a notify list.
    set(&mut m, sd(0), sd(1));
    assert_eq!(notify_list(&l, &target(&m), list), None);
    // A loop (the last sudog links back to the first) ends the walk.
    put(
        &mut m,
        &l,
        sd(2),
        Sd {
            g: 0x300,
            next: sd(0),
            ..Sd::default()
        },
    );
    set(&mut m, sd(0), sd(2));
    assert_eq!(notify_list(&l, &target(&m), list), None);
}

#[test]
fn span_lookup_gives_the_heap_object() {
    let l = layout();
    let h = l.heap;
    let mut m = FakeMemory::new();
    let (mheap, l2, arena, span) = (0x1000u64, 0x10_0000u64, 0x20_0000u64, 0x30_0000u64);
    let addr = 0xc000_1234u64;
    let ri = addr.wrapping_sub(hg::AMD64_BASE_OFFSET) / hg::ARENA_BYTES;
    let page = (addr % hg::ARENA_BYTES) / hg::PAGE_SIZE;
    m.map(mheap, vec![0; (h.mheap_arenas + 8) as usize]);
    assert!(m.poke(mheap + h.mheap_arenas, &l2.to_le_bytes()));
    m.map(l2 + ri * 8, l2_word(arena));
    m.map(arena + h.arena_spans + page * 8, l2_word(span));
    let mut s = vec![0u8; 256];
    s[h.span_start as usize..][..8].copy_from_slice(&0xc000_0000u64.to_le_bytes());
    s[h.span_npages as usize..][..8].copy_from_slice(&1u64.to_le_bytes());
    s[h.span_elemsize as usize..][..8].copy_from_slice(&48u64.to_le_bytes());
    s[h.span_state as usize] = hg::SPAN_IN_USE;
    m.map(span, s.clone());
    let t = target(&m);
    // 0x1234 = 97 * 48 + 28.
    assert_eq!(
        heap_object(&l, &t, mheap, addr),
        Some((0xc000_0000 + 97 * 48, 48))
    );
    // Outside the span, or a span not in use: none.
    assert_eq!(heap_object(&l, &t, mheap, 0xc000_2234), None);
    s[h.span_state as usize] = 0;
    m.map(span, s);
    assert_eq!(heap_object(&l, &target(&m), mheap, addr), None);
}

fn l2_word(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

#[test]
fn cycles_are_components_of_two_or_more() {
    assert_eq!(cycles(&[(1, 2), (2, 1), (3, 1), (4, 5)]), vec![vec![1, 2]]);
    assert_eq!(
        cycles(&[(7, 8), (8, 9), (9, 7), (1, 2), (2, 1), (1, 1)]),
        vec![vec![1, 2], vec![7, 8, 9]]
    );
    assert!(cycles(&[(1, 1), (1, 2)]).is_empty());
    assert!(cycles::<u64>(&[]).is_empty());
}
