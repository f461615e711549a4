//! `m[key]` without calling the program: find one key in a Go map (hash maps before Go 1.24,
//! swiss maps since, growing hash maps included) by comparing the stored keys with the key
//! asked for, and return where its element is.
//!
//! The hash the runtime would use needs its per-process seed and AES key schedule, so the
//! lookup scans instead: the bucket / group arrays are read in chunks of [`CHUNK`] bytes
//! (straight from the target's memory, no per-entry allocation) and each full slot's key is
//! compared in place; string keys of the right length have their bytes fetched in one batch
//! per chunk. Integer, bool, pointer and other fixed-size keys compare as bytes (a float key
//! compares bitwise: `-0` is not `0`, NaN is never found, and the caller refuses floats).

use std::collections::HashSet;

use super::layout::{self, Layout, MapKind};
use super::probe::Probe;
use super::{le, Geometry};
use crate::mem::{Memory, ReadReq};

/// Bytes of bucket / group array read per step.
pub const CHUNK: u64 = 1 << 20;

/// The key asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapKey {
    /// A key compared byte for byte with the slot's first `len()` bytes (integers, bools,
    /// pointers, chans, fixed-size arrays of those).
    Bytes(Vec<u8>),
    /// A Go string key: the slot holds a string header (data pointer, length).
    Str(Vec<u8>),
}

/// Why a lookup could not answer (one line, for the user).
pub type Why = String;

/// Find `key` in the map whose header is at `hdr`: `Ok(Some(element address))`, `Ok(None)`
/// when the map holds no such key (a nil map included), `Err` when the map cannot be read
/// within `max_bytes`.
pub fn map_find(
    mem: &dyn Memory,
    l: &Layout,
    kind: MapKind,
    hdr: u64,
    geo: &Geometry,
    key: &MapKey,
    max_bytes: u64,
) -> Result<Option<u64>, Why> {
    if hdr == 0 {
        return Ok(None);
    }
    if geo.key_indirect {
        return Err("keys larger than 128 bytes are not supported".into());
    }
    if geo.group_size == 0 || geo.group_size > CHUNK {
        return Err("no bucket layout".into());
    }
    let mut f = Finder {
        mem,
        geo,
        key,
        budget: max_bytes,
    };
    let slot = match kind {
        MapKind::Hash => f.hash(l, hdr)?,
        MapKind::Swiss => f.swiss(l, hdr)?,
    };
    let Some(elem) = slot else {
        return Ok(None);
    };
    if geo.elem_indirect {
        let mut w = [0u8; 8];
        mem.read_into(elem, &mut w)
            .map_err(|_| format!("unreadable element pointer at {elem:#x}"))?;
        return Ok(Some(u64::from_le_bytes(w)));
    }
    Ok(Some(elem))
}

/// [`map_find`] for a key the runtime hashes with `sched` (its AES key schedule, read from
/// the target; None when the process does not hash with AES): a 4- or 8-byte key is looked
/// up where its hash puts it ([`super::probe`]); the map is scanned only when hashing cannot
/// answer (an absent key is absent without a scan once the hash is proven right).
#[allow(clippy::too_many_arguments)]
pub fn map_find_hashed(
    mem: &dyn Memory,
    l: &Layout,
    kind: MapKind,
    hdr: u64,
    geo: &Geometry,
    key: &MapKey,
    max_bytes: u64,
    sched: Option<&[u8; 48]>,
) -> Result<Option<u64>, Why> {
    if let (MapKey::Bytes(k), Some(sched), false) = (key, sched, geo.key_indirect) {
        if hdr != 0 {
            match super::probe::probe(mem, l, kind, hdr, geo, k, sched) {
                Probe::Found(slot) if !geo.elem_indirect => return Ok(Some(slot)),
                Probe::Found(slot) => {
                    let mut w = [0u8; 8];
                    if mem.read_into(slot, &mut w).is_ok() {
                        return Ok(Some(u64::from_le_bytes(w)));
                    }
                }
                Probe::Absent => return Ok(None),
                Probe::Unknown => {}
            }
        }
    }
    map_find(mem, l, kind, hdr, geo, key, max_bytes)
}

struct Finder<'a> {
    mem: &'a dyn Memory,
    geo: &'a Geometry,
    key: &'a MapKey,
    budget: u64,
}

impl Finder<'_> {
    fn read(&mut self, addr: u64, len: u64, what: &str) -> Result<Vec<u8>, Why> {
        if len > self.budget {
            return Err(format!(
                "the map is larger than the read limit ({len} bytes of {what} at {addr:#x})"
            ));
        }
        self.budget -= len;
        let mut v = vec![0u8; len as usize];
        self.mem
            .read_into(addr, &mut v)
            .map_err(|_| format!("unreadable {what} at {addr:#x}"))?;
        Ok(v)
    }

    /// Every `group_size` unit of `n` units at `base`, read a chunk at a time; `visit` gets
    /// (unit address, unit bytes) and says whether the key was found (its element address).
    fn units(
        &mut self,
        base: u64,
        n: u64,
        what: &str,
        mut visit: impl FnMut(&mut Self, u64, &[u8]) -> Result<Option<u64>, Why>,
    ) -> Result<Option<u64>, Why> {
        let gs = self.geo.group_size;
        let total = n.saturating_mul(gs);
        if total > self.budget {
            return Err(format!(
                "the map is larger than the read limit ({total} bytes of {what}s at {base:#x})"
            ));
        }
        let per = (CHUNK / gs).max(1);
        let mut i = 0;
        while i < n {
            let k = per.min(n - i);
            let addr = base + i * gs;
            let buf = self.read(addr, k * gs, what)?;
            for (j, unit) in buf.chunks_exact(gs as usize).enumerate() {
                if let Some(e) = visit(self, addr + j as u64 * gs, unit)? {
                    return Ok(Some(e));
                }
            }
            i += k;
        }
        Ok(None)
    }

    /// Compare the keys of the full slots `full` of one bucket / group.
    fn slots(&mut self, addr: u64, bytes: &[u8], full: &[u64]) -> Result<Option<u64>, Why> {
        let g = self.geo;
        match self.key {
            MapKey::Bytes(want) => {
                for &j in full {
                    let off = (g.key_base + j * g.key_stride) as usize;
                    if bytes.get(off..off + want.len()) == Some(&want[..]) {
                        return Ok(Some(addr + g.elem_base + j * g.elem_stride));
                    }
                }
                Ok(None)
            }
            MapKey::Str(want) => {
                let mut cands = Vec::new();
                for &j in full {
                    let off = g.key_base + j * g.key_stride;
                    if le(bytes, off + 8, 8) == want.len() as u64 {
                        if want.is_empty() {
                            return Ok(Some(addr + g.elem_base + j * g.elem_stride));
                        }
                        cands.push((j, le(bytes, off, 8)));
                    }
                }
                self.strings(addr, &cands)
            }
        }
    }

    /// The first of `cands` (slot, data pointer) whose bytes are the key.
    fn strings(&mut self, addr: u64, cands: &[(u64, u64)]) -> Result<Option<u64>, Why> {
        let MapKey::Str(want) = self.key else {
            return Ok(None);
        };
        if cands.is_empty() {
            return Ok(None);
        }
        let need = want.len() as u64 * cands.len() as u64;
        if need > self.budget {
            return Err("the map's keys are larger than the read limit".into());
        }
        self.budget -= need;
        let mut bufs = vec![vec![0u8; want.len()]; cands.len()];
        let mut reqs: Vec<ReadReq<'_>> = cands
            .iter()
            .zip(bufs.iter_mut())
            .map(|((_, p), b)| (*p, &mut b[..]))
            .collect();
        let res = self.mem.read_batch(&mut reqs);
        for (i, ((j, _), b)) in cands.iter().zip(bufs.iter()).enumerate() {
            if res.get(i).is_some_and(|r| r.is_ok()) && b == want {
                let g = self.geo;
                return Ok(Some(addr + g.elem_base + j * g.elem_stride));
            }
        }
        Ok(None)
    }

    /// A hash bucket and its overflow chain.
    fn chain(&mut self, mut addr: u64, first: &[u8]) -> Result<Option<u64>, Why> {
        let mut seen = HashSet::new();
        let mut owned: Vec<u8>;
        let mut bytes = first;
        loop {
            let full: Vec<u64> = (0..layout::SLOTS)
                .filter(|j| bytes.get(*j as usize).copied().unwrap_or(0) >= layout::MIN_TOP_HASH)
                .collect();
            if let Some(e) = self.slots(addr, bytes, &full)? {
                return Ok(Some(e));
            }
            let next = le(bytes, self.geo.overflow, 8);
            if next == 0 {
                return Ok(None);
            }
            if !seen.insert(next) {
                return Err(format!("overflow bucket cycle at {next:#x}"));
            }
            owned = self.read(next, self.geo.group_size, "bucket")?;
            bytes = &owned;
            addr = next;
        }
    }

    fn hash(&mut self, l: &Layout, hdr: u64) -> Result<Option<u64>, Why> {
        let h = self.read(hdr, 48, "map header")?;
        let flags = le(&h, l.hmap_flags, 1) as u8;
        let b = le(&h, l.hmap_b, 1);
        let buckets = le(&h, l.hmap_buckets, 8);
        let old = le(&h, l.hmap_oldbuckets, 8);
        if b > 40 {
            return Err(format!("garbage map header (B = {b})"));
        }
        let nb = 1u64 << b;
        // Growing: an old bucket not yet evacuated still holds the entries of both new
        // buckets it splits into (and those stay empty until it is); evacuated ones are
        // marked in their first tophash byte.
        let mut old_nb = 0;
        let mut pending = Vec::new();
        if old != 0 {
            old_nb = if flags & layout::HMAP_SAME_SIZE_GROW != 0 || b == 0 {
                nb
            } else {
                nb / 2
            };
            let found = self.units(old, old_nb, "bucket", |f, addr, unit| {
                let top0 = unit.first().copied().unwrap_or(0);
                let evacuated = layout::EVACUATED.contains(&top0);
                pending.push(!evacuated);
                if evacuated {
                    return Ok(None);
                }
                f.chain(addr, unit)
            })?;
            if found.is_some() {
                return Ok(found);
            }
        }
        if buckets == 0 {
            return Ok(None);
        }
        let mut i = 0u64;
        self.units(buckets, nb, "bucket", |f, addr, unit| {
            let skip = old_nb > 0 && pending.get((i & (old_nb - 1)) as usize) == Some(&true);
            i += 1;
            if skip {
                return Ok(None);
            }
            f.chain(addr, unit)
        })
    }

    fn swiss(&mut self, l: &Layout, hdr: u64) -> Result<Option<u64>, Why> {
        let h = self.read(hdr, 48, "map header")?;
        let dir_ptr = le(&h, l.smap_dir_ptr, 8);
        let dir_len = le(&h, l.smap_dir_len, 8) as i64;
        if dir_len <= 0 {
            if dir_ptr == 0 {
                return Ok(None);
            }
            return self.units(dir_ptr, 1, "group", |f, addr, unit| f.group(addr, unit));
        }
        let dir_len = dir_len as u64;
        if dir_len > (1 << 24) {
            return Err(format!(
                "garbage map header (directory of {dir_len} tables)"
            ));
        }
        let dir = self.read(dir_ptr, dir_len * 8, "directory")?;
        let mut seen = HashSet::new();
        for t in 0..dir_len {
            let table = le(&dir, t * 8, 8);
            if !seen.insert(table) {
                continue; // several directory entries share a table of lower local depth
            }
            let th = self.read(table, 32, "table")?;
            let data = le(&th, l.table_groups_data, 8);
            let ngroups = le(&th, l.table_length_mask, 8).saturating_add(1);
            let found = self.units(data, ngroups, "group", |f, addr, unit| f.group(addr, unit))?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    fn group(&mut self, addr: u64, bytes: &[u8]) -> Result<Option<u64>, Why> {
        let full: Vec<u64> = (0..layout::SLOTS)
            .filter(|j| {
                bytes
                    .get(*j as usize)
                    .copied()
                    .unwrap_or(layout::CTRL_EMPTY_BIT)
                    & layout::CTRL_EMPTY_BIT
                    == 0
            })
            .collect();
        self.slots(addr, bytes, &full)
    }
}

#[cfg(test)]
#[path = "lookup_tests.rs"]
mod tests;
