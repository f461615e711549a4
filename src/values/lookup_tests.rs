//! `map_find` over synthetic maps: the answer for every key agrees with the full walk
//! (`map_entries`), on hash maps (overflow chains, a grow in progress) and swiss maps (small,
//! a directory with a shared table, tombstones), string keys included; absent keys, garbage
//! headers and the read limit give None or one line.

use super::*;
use crate::mem::{read_u64, FakeMemory};
use crate::values::tests::{bucket, group, hmap, layout, HASH, SWISS};
use crate::values::{map_entries, Limits};

fn words(ws: &[u64]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Every key the full walk finds is found by `map_find` with the walk's element, and
/// `absent` is not found.
fn agrees(m: &FakeMemory, minor: u32, kind: MapKind, geo: &Geometry, absent: u64) -> usize {
    let l = layout(minor);
    let w = map_entries(m, &l, kind, 0x1000, geo, Limits::default());
    assert_eq!(w.marker, None, "{w:?}");
    for (k, e) in &w.entries {
        let key = read_u64(m, *k).unwrap_or(u64::MAX);
        let got = map_find(
            m,
            &l,
            kind,
            0x1000,
            geo,
            &MapKey::Bytes(key.to_le_bytes().into()),
            1 << 20,
        );
        assert_eq!(got, Ok(Some(*e)), "key {key}");
    }
    let none = map_find(
        m,
        &l,
        kind,
        0x1000,
        geo,
        &MapKey::Bytes(absent.to_le_bytes().into()),
        1 << 20,
    );
    assert_eq!(none, Ok(None));
    w.entries.len()
}

#[test]
fn hash_map_chains_and_a_grow_in_progress() {
    let mut m = FakeMemory::new();
    m.map(0x1000, hmap(4, 0, 1, 0x2000, 0));
    let mut bs = bucket(&[(9, 1, 10), (0, 0, 0), (7, 2, 20)], 0x3000);
    bs.extend(bucket(&[(8, 3, 30)], 0));
    m.map(0x2000, bs);
    m.map(0x3000, bucket(&[(1, 99, 99), (6, 4, 40)], 0));
    assert_eq!(agrees(&m, 21, MapKind::Hash, &HASH, 99), 4);

    // B = 2, 2 old buckets: old 0 evacuated into new 0 and 2, old 1 not (new 1 and 3 are
    // not authoritative: the stale 777 must not be found).
    let mut m = FakeMemory::new();
    m.map(0x1000, hmap(5, 0, 2, 0x2000, 0x4000));
    let mut new = bucket(&[(9, 1, 0)], 0);
    new.extend(bucket(&[(9, 777, 0)], 0));
    new.extend(bucket(&[(9, 2, 0)], 0));
    new.extend(bucket(&[], 0));
    m.map(0x2000, new);
    let mut old = bucket(&[(2, 0, 0), (3, 0, 0)], 0);
    old.extend(bucket(&[(9, 3, 0), (9, 4, 0), (1, 0, 0), (9, 5, 0)], 0));
    m.map(0x4000, old);
    assert_eq!(agrees(&m, 21, MapKind::Hash, &HASH, 777), 5);
}

#[test]
fn swiss_small_and_directory_maps() {
    let mut m = FakeMemory::new();
    m.map(0x1000, words(&[2, 0, 0x2000, 0, 0, 0]));
    m.map(
        0x2000,
        group(&[(0x11, 1, 10), (0x80, 9, 9), (0xfe, 8, 8), (0x22, 2, 20)]),
    );
    assert_eq!(agrees(&m, 24, MapKind::Swiss, &SWISS, 9), 2);

    let mut m = FakeMemory::new();
    m.map(0x1000, words(&[5, 0, 0x2000, 4, 0, 0]));
    m.map(0x2000, words(&[0x3000, 0x3000, 0x4000, 0x5000]));
    m.map(0x3000, words(&[0, 0, 0x6000, 1]));
    let mut ga = group(&[(1, 1, 0), (0xfe, 6, 0)]); // a tombstone
    ga.extend(group(&[(1, 2, 0)]));
    m.map(0x6000, ga);
    m.map(0x4000, words(&[0, 0, 0x7000, 0]));
    m.map(0x7000, group(&[(1, 3, 0), (1, 4, 0)]));
    m.map(0x5000, words(&[0, 0, 0x8000, 0]));
    m.map(0x8000, group(&[(1, 5, 0)]));
    assert_eq!(agrees(&m, 27, MapKind::Swiss, &SWISS, 6), 5);
}

#[test]
fn string_keys_compare_length_then_bytes() {
    // map[string]u64 swiss group: ctrl, 8 slots of {string header, elem} (24 bytes).
    let geo = Geometry {
        group_size: 8 + 8 * 24,
        key_base: 8,
        key_stride: 24,
        elem_base: 24,
        elem_stride: 24,
        ..Geometry::default()
    };
    let mut m = FakeMemory::new();
    m.map(0x1000, words(&[3, 0, 0x2000, 0, 0, 0]));
    m.map(0x9000, b"onetwothree".to_vec());
    let mut g = vec![0x80u8; 8];
    for (i, (p, n, v)) in [(0x9000u64, 3u64, 1u64), (0x9003, 3, 2), (0x9006, 5, 3)]
        .iter()
        .enumerate()
    {
        g[i] = 1;
        g.extend(words(&[*p, *n, *v]));
    }
    g.resize(geo.group_size as usize, 0);
    m.map(0x2000, g);
    let l = layout(24);
    let find = |k: &str| {
        map_find(
            &m,
            &l,
            MapKind::Swiss,
            0x1000,
            &geo,
            &MapKey::Str(k.into()),
            1 << 20,
        )
        .map(|e| e.and_then(|a| read_u64(&m, a).ok()))
    };
    assert_eq!(find("one"), Ok(Some(1)));
    assert_eq!(find("two"), Ok(Some(2)));
    assert_eq!(find("three"), Ok(Some(3)));
    assert_eq!(find("thr"), Ok(None));
    assert_eq!(find(""), Ok(None));
}

#[test]
fn garbage_unreadable_and_over_the_limit_say_why() {
    let mut m = FakeMemory::new();
    m.map(0x1000, hmap(1, 0, 63, 0x2000, 0));
    let l = layout(21);
    let key = MapKey::Bytes(1u64.to_le_bytes().into());
    let got = map_find(&m, &l, MapKind::Hash, 0x1000, &HASH, &key, 1 << 20);
    assert_eq!(got, Err("garbage map header (B = 63)".into()));
    m.map(0x3000, hmap(1, 0, 4, 0x10, 0));
    let got = map_find(&m, &l, MapKind::Hash, 0x3000, &HASH, &key, 1 << 20);
    assert_eq!(got, Err("unreadable bucket at 0x10".into()));
    m.map(0x4000, hmap(1, 0, 20, 0x10, 0));
    let got = map_find(&m, &l, MapKind::Hash, 0x4000, &HASH, &key, 1 << 20);
    assert!(
        got.as_ref().is_err_and(|e| e.contains("read limit")),
        "{got:?}"
    );
    assert_eq!(
        map_find(&m, &l, MapKind::Hash, 0, &HASH, &key, 1 << 20),
        Ok(None)
    );
}

/// A hash map[u64]u64 with B = 3 whose keys sit where `place` puts them (bucket, tophash).
fn placed(keys: &[u64], place: impl Fn(u64) -> (u64, u8)) -> FakeMemory {
    let mut slots: Vec<Vec<(u8, u64, u64)>> = vec![Vec::new(); 8];
    for &k in keys {
        let (b, top) = place(k);
        slots[b as usize].push((top, k, k * 10));
    }
    let mut m = FakeMemory::new();
    let mut h = hmap(keys.len() as u64, 0, 3, 0x2000, 0);
    h[12..16].copy_from_slice(&0x5eed_u32.to_le_bytes());
    m.map(0x1000, h);
    let mut bs = Vec::new();
    for s in &slots {
        assert!(s.len() <= 8, "a bucket overflowed: pick other keys");
        bs.extend(bucket(s, 0));
    }
    m.map(0x2000, bs);
    m
}

fn find(m: &FakeMemory, key: u64, budget: u64, sched: &[u8; 48]) -> Result<Option<u64>, Why> {
    let k = MapKey::Bytes(key.to_le_bytes().into());
    map_find_hashed(
        m,
        &layout(21),
        MapKind::Hash,
        0x1000,
        &HASH,
        &k,
        budget,
        Some(sched),
    )
}

/// Where the runtime's hash puts a key, a present key is found and an absent key is absent
/// with no scan (a zero read budget would make a scan fail); where the keys do not sit by
/// that hash, the hash is not proven and an absent key is answered by the scan.
#[test]
fn hashed_lookup_answers_absent_keys_only_with_a_proven_hash() {
    let sched: [u8; 48] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
    let Some(_) = crate::values::probe::mem_hash(&[0; 8], 0, &sched) else {
        return; // no AES on this host: the probe never answers
    };
    let keys: Vec<u64> = (1..=12).collect();
    let runtime = |k: u64| {
        let hash = crate::values::probe::mem_hash(&k.to_le_bytes(), 0x5eed, &sched).unwrap_or(0);
        let top = (hash >> 56) as u8;
        let top = if top < layout::MIN_TOP_HASH {
            top + layout::MIN_TOP_HASH
        } else {
            top
        };
        (hash & 7, top)
    };
    let m = placed(&keys, runtime);
    for &k in &keys {
        let got = find(&m, k, 0, &sched).expect("found by hash");
        let elem = got.expect("present");
        assert_eq!(read_u64(&m, elem).ok(), Some(k * 10), "key {k}");
    }
    assert_eq!(find(&m, 999, 0, &sched), Ok(None));

    // Another hash placed the keys: nothing is proven, the scan answers (and needs reads).
    let m = placed(&keys, |k| (k & 7, layout::MIN_TOP_HASH + k as u8));
    assert!(find(&m, 999, 0, &sched).is_err());
    assert_eq!(find(&m, 999, 1 << 20, &sched), Ok(None));
    let elem = find(&m, 5, 1 << 20, &sched)
        .ok()
        .flatten()
        .expect("found by the scan");
    assert_eq!(read_u64(&m, elem).ok(), Some(50));
}
