//! The fast path of `m[key]` for 4- and 8-byte keys (integers, pointers) of amd64 programs:
//! hash the key as the runtime does and look in the one bucket chain (hash maps) or along
//! the one probe sequence (swiss maps) it says, instead of scanning the map.
//!
//! On amd64 with AES-NI the runtime hashes a 4- or 8-byte key with three AESENC rounds of
//! (seed, key) under `aeskeysched` (runtime·memhash32/64 in asm_amd64.s up to Go 1.26,
//! internal/runtime/maps.memHash32AES/memHash64AES since). The key schedule is random per
//! process, read from the target; the seed is the map's (`hmap.hash0`, `Map.seed`).
//!
//! A key the probe does not find is absent only when the hash is proven right for this map:
//! two keys the map holds, hashed here, are found exactly where they are stored (the bucket
//! index and the 8-bit tophash, or the probe sequence and the 7-bit H2, all agree). Else the
//! answer is [`Probe::Unknown`] and the caller scans, so a hash that differs (another
//! algorithm, no AES in the process) costs time, never a wrong answer.

use super::layout::{self, Layout, MapKind};
use super::{le, Geometry};
use crate::mem::Memory;

/// Offsets of the swiss Map's seed and globalShift (64-bit), after used / before dirPtr.
const SMAP_SEED: u64 = 8;
const SMAP_GLOBAL_SHIFT: u64 = 33;
/// Offset of a hash map's hash0 (uint32).
const HMAP_HASH0: u64 = 12;
/// Probe steps before giving up (a table has at most this many groups in practice).
const MAX_PROBES: u64 = 1 << 20;

/// The runtime's hash of a 4- or 8-byte key, or None where this host cannot compute it.
pub fn mem_hash(key: &[u8], seed: u64, sched: &[u8; 48]) -> Option<u64> {
    let mut hi = [0u8; 8];
    match key.len() {
        4 | 8 => hi[..key.len()].copy_from_slice(key),
        _ => return None,
    }
    aes3(seed, u64::from_le_bytes(hi), sched)
}

#[cfg(target_arch = "x86_64")]
fn aes3(lo: u64, hi: u64, sched: &[u8; 48]) -> Option<u64> {
    if !std::arch::is_x86_feature_detected!("aes") {
        return None;
    }
    // SAFETY: the CPU has AES-NI (checked above); loads are unaligned from owned arrays.
    unsafe { Some(aes3_ni(lo, hi, sched)) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "aes")]
unsafe fn aes3_ni(lo: u64, hi: u64, sched: &[u8; 48]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_aesenc_si128, _mm_cvtsi128_si64, _mm_loadu_si128, _mm_set_epi64x,
    };
    let mut x = _mm_set_epi64x(hi as i64, lo as i64);
    for r in 0..3 {
        // SAFETY: 16 * r + 16 <= 48 bytes of `sched`; an unaligned load.
        let k = unsafe { _mm_loadu_si128(sched.as_ptr().add(16 * r) as *const __m128i) };
        x = _mm_aesenc_si128(x, k);
    }
    _mm_cvtsi128_si64(x) as u64
}

#[cfg(not(target_arch = "x86_64"))]
fn aes3(_lo: u64, _hi: u64, _sched: &[u8; 48]) -> Option<u64> {
    None
}

fn read(mem: &dyn Memory, addr: u64, len: u64) -> Option<Vec<u8>> {
    let mut v = vec![0u8; usize::try_from(len).ok()?];
    mem.read_into(addr, &mut v).ok()?;
    Some(v)
}

/// Stored keys hashed to prove the hash right before an absent key is believed absent.
const PROOF_KEYS: usize = 2;
/// Buckets / groups read at most to find those keys.
const PROOF_GROUPS: u64 = 64;

/// What hashing says about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// The slot address of the key's element.
    Found(u64),
    /// Not where its hash puts it, and the hash is proven right for this map.
    Absent,
    /// No answer this way (the caller scans).
    Unknown,
}

/// `key` looked up where its hash puts it.
pub fn probe(
    mem: &dyn Memory,
    l: &Layout,
    kind: MapKind,
    hdr: u64,
    geo: &Geometry,
    key: &[u8],
    sched: &[u8; 48],
) -> Probe {
    let Some(h) = read(mem, hdr, 48) else {
        return Probe::Unknown;
    };
    match probe_in(mem, l, kind, &h, geo, key, sched) {
        Some(found) => Probe::Found(found),
        None if proven(mem, l, kind, &h, geo, key.len(), sched) => Probe::Absent,
        None => Probe::Unknown,
    }
}

/// The element's slot of `key` by its hash, None when not there (or no hash).
fn probe_in(
    mem: &dyn Memory,
    l: &Layout,
    kind: MapKind,
    h: &[u8],
    geo: &Geometry,
    key: &[u8],
    sched: &[u8; 48],
) -> Option<u64> {
    match kind {
        MapKind::Hash => {
            let hash = mem_hash(key, le(h, HMAP_HASH0, 4), sched)?;
            hash_probe(mem, l, h, geo, key, hash)
        }
        MapKind::Swiss => {
            if l.smap_dir_ptr != 16 || l.smap_dir_len != 24 {
                return None; // another Map layout: the offsets here would be wrong
            }
            let hash = mem_hash(key, le(h, SMAP_SEED, 8), sched)?;
            swiss_probe(mem, l, h, geo, key, hash)
        }
    }
}

/// True when [`PROOF_KEYS`] keys stored in the map, probed by their hash, are each found in
/// the slot they occupy: the hash is the runtime's for this map.
fn proven(
    mem: &dyn Memory,
    l: &Layout,
    kind: MapKind,
    h: &[u8],
    geo: &Geometry,
    key_len: usize,
    sched: &[u8; 48],
) -> bool {
    let stored = stored_keys(mem, l, kind, h, geo, key_len);
    stored.len() == PROOF_KEYS
        && stored
            .iter()
            .all(|(k, slot)| probe_in(mem, l, kind, h, geo, k, sched) == Some(*slot))
}

/// Up to [`PROOF_KEYS`] (key, element slot) of full slots in the first groups of the map
/// (a hash map's current bucket array; a swiss map's first table).
fn stored_keys(
    mem: &dyn Memory,
    l: &Layout,
    kind: MapKind,
    h: &[u8],
    geo: &Geometry,
    key_len: usize,
) -> Vec<(Vec<u8>, u64)> {
    let (base, groups) = match kind {
        MapKind::Hash => {
            let b = le(h, l.hmap_b, 1);
            let buckets = le(h, l.hmap_buckets, 8);
            if b > 40 || buckets == 0 {
                return Vec::new();
            }
            (buckets, 1u64 << b)
        }
        MapKind::Swiss => {
            if le(h, l.smap_dir_len, 8) as i64 <= 0 {
                return Vec::new();
            }
            let Some(t) = read(mem, le(h, l.smap_dir_ptr, 8), 8) else {
                return Vec::new();
            };
            let Some(th) = read(mem, le(&t, 0, 8), 32) else {
                return Vec::new();
            };
            (
                le(&th, l.table_groups_data, 8),
                le(&th, l.table_length_mask, 8).saturating_add(1),
            )
        }
    };
    let mut out = Vec::new();
    for g in 0..groups.min(PROOF_GROUPS) {
        let addr = base + g * geo.group_size;
        let Some(bytes) = read(mem, addr, geo.group_size) else {
            return Vec::new();
        };
        for j in 0..layout::SLOTS {
            let Some(&c) = bytes.get(j as usize) else {
                return Vec::new();
            };
            let full = match kind {
                MapKind::Hash => c >= layout::MIN_TOP_HASH,
                MapKind::Swiss => c & layout::CTRL_EMPTY_BIT == 0,
            };
            let off = (geo.key_base + j * geo.key_stride) as usize;
            if let (true, Some(k)) = (full, bytes.get(off..off + key_len)) {
                out.push((k.to_vec(), addr + geo.elem_base + j * geo.elem_stride));
                if out.len() == PROOF_KEYS {
                    return out;
                }
            }
        }
    }
    out
}

fn slot_matches(bytes: &[u8], geo: &Geometry, j: u64, key: &[u8]) -> bool {
    let off = (geo.key_base + j * geo.key_stride) as usize;
    bytes.get(off..off + key.len()) == Some(key)
}

fn hash_probe(
    mem: &dyn Memory,
    l: &Layout,
    h: &[u8],
    geo: &Geometry,
    key: &[u8],
    hash: u64,
) -> Option<u64> {
    let b = le(h, l.hmap_b, 1);
    let flags = le(h, l.hmap_flags, 1) as u8;
    let buckets = le(h, l.hmap_buckets, 8);
    let old = le(h, l.hmap_oldbuckets, 8);
    if b > 40 || buckets == 0 {
        return None;
    }
    let gs = geo.group_size;
    let mut addr = buckets + (hash & ((1u64 << b) - 1)) * gs;
    if old != 0 {
        let mut m = (1u64 << b) - 1;
        if flags & layout::HMAP_SAME_SIZE_GROW == 0 {
            m >>= 1;
        }
        let oldb = old + (hash & m) * gs;
        let top0 = read(mem, oldb, 1)?.first().copied()?;
        if !layout::EVACUATED.contains(&top0) {
            addr = oldb;
        }
    }
    let mut top = (hash >> 56) as u8;
    if top < layout::MIN_TOP_HASH {
        top += layout::MIN_TOP_HASH;
    }
    for _ in 0..MAX_PROBES {
        let bytes = read(mem, addr, gs)?;
        for j in 0..layout::SLOTS {
            if bytes.get(j as usize) == Some(&top) && slot_matches(&bytes, geo, j, key) {
                return Some(addr + geo.elem_base + j * geo.elem_stride);
            }
        }
        addr = le(&bytes, geo.overflow, 8);
        if addr == 0 {
            return None;
        }
    }
    None
}

fn swiss_probe(
    mem: &dyn Memory,
    l: &Layout,
    h: &[u8],
    geo: &Geometry,
    key: &[u8],
    hash: u64,
) -> Option<u64> {
    let dir_ptr = le(h, l.smap_dir_ptr, 8);
    let dir_len = le(h, l.smap_dir_len, 8) as i64;
    if dir_len <= 0 {
        return None; // a small map: one group, the scan is as quick
    }
    let idx = if dir_len == 1 {
        0
    } else {
        hash >> (le(h, SMAP_GLOBAL_SHIFT, 1) & 63)
    };
    if idx >= dir_len as u64 {
        return None;
    }
    let table = le(&read(mem, dir_ptr + idx * 8, 8)?, 0, 8);
    let th = read(mem, table, 32)?;
    let data = le(&th, l.table_groups_data, 8);
    let mask = le(&th, l.table_length_mask, 8);
    let h2 = (hash & 0x7f) as u8;
    let mut offset = (hash >> 7) & mask;
    let gs = geo.group_size;
    for i in 1..=MAX_PROBES.min(mask.saturating_add(1)) {
        let addr = data + offset * gs;
        let bytes = read(mem, addr, gs)?;
        for j in 0..layout::SLOTS {
            if bytes.get(j as usize) == Some(&h2) && slot_matches(&bytes, geo, j, key) {
                return Some(addr + geo.elem_base + j * geo.elem_stride);
            }
        }
        if bytes
            .iter()
            .take(layout::SLOTS as usize)
            .any(|c| *c == layout::CTRL_EMPTY_BIT)
        {
            return None; // an empty slot ends the probe sequence
        }
        offset = (offset + i) & mask;
    }
    None
}
