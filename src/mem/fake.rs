//! An in-memory fake for unit tests: a set of non-overlapping regions.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{mem_error, Memory, ReadReq};
use crate::error::Result;

/// Memory made of byte regions placed at addresses. Counts calls, so tests can check batching.
#[derive(Default)]
pub struct FakeMemory {
    regions: BTreeMap<u64, Vec<u8>>,
    reads: AtomicUsize,
    batches: AtomicUsize,
}

impl FakeMemory {
    /// An empty memory (every read fails).
    pub fn new() -> Self {
        Self::default()
    }

    /// Place `bytes` at `addr` (replacing a region that starts at the same address).
    pub fn map(&mut self, addr: u64, bytes: Vec<u8>) {
        self.regions.insert(addr, bytes);
    }

    /// Write `bytes` at `addr` inside an existing region; false if not mapped.
    pub fn poke(&mut self, addr: u64, bytes: &[u8]) -> bool {
        let Some((start, region)) = self.regions.range_mut(..=addr).next_back() else {
            return false;
        };
        let Some(off) = usize::try_from(addr - *start).ok() else {
            return false;
        };
        match region.get_mut(off..off + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }

    /// Number of `read_into` calls served so far.
    pub fn read_calls(&self) -> usize {
        self.reads.load(Ordering::Relaxed)
    }

    /// Number of `read_batch` calls served so far.
    pub fn batch_calls(&self) -> usize {
        self.batches.load(Ordering::Relaxed)
    }

    fn lookup(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        let (start, region) = self
            .regions
            .range(..=addr)
            .next_back()
            .ok_or_else(|| mem_error(addr, buf.len(), "not mapped"))?;
        let off = usize::try_from(addr - start).map_err(|_| mem_error(addr, buf.len(), "range"))?;
        let src = off
            .checked_add(buf.len())
            .and_then(|end| region.get(off..end))
            .ok_or_else(|| mem_error(addr, buf.len(), "not mapped"))?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

impl Memory for FakeMemory {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.lookup(addr, buf)
    }

    fn mapped_extent(&self, addr: u64) -> Option<u64> {
        let ranges: Vec<(u64, u64)> = self
            .regions
            .iter()
            .map(|(a, r)| (*a, a.saturating_add(r.len() as u64)))
            .collect();
        super::extent_in(&ranges, addr)
    }

    fn read_batch(&self, reqs: &mut [ReadReq<'_>]) -> Vec<Result<()>> {
        self.batches.fetch_add(1, Ordering::Relaxed);
        reqs.iter_mut().map(|(a, b)| self.lookup(*a, b)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inside_and_fails_outside() {
        let mut m = FakeMemory::new();
        m.map(0x1000, (0u8..16).collect());
        let mut b = [0u8; 4];
        m.read_into(0x1004, &mut b).unwrap();
        assert_eq!(b, [4, 5, 6, 7]);
        assert!(m.read_into(0x100e, &mut b).is_err());
        assert!(m.read_into(0x0ff0, &mut b).is_err());
        let mut b1 = [0u8; 2];
        let mut b2 = [0u8; 2];
        let r = m.read_batch(&mut [(0x1000, &mut b1[..]), (0x9000, &mut b2[..])]);
        assert!(r[0].is_ok() && r[1].is_err());
    }
}
