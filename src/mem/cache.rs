//! A page cache in front of any [`Memory`]: repeated small reads (stack words, string
//! headers) hit the cache; misses of a batch are fetched with one `read_batch`.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Memory, ReadReq};
use crate::error::Result;

const PAGE: u64 = 4096;

/// Caches whole pages of an inner memory. Call [`PageCache::clear`] when the debuggee ran.
pub struct PageCache<M> {
    inner: M,
    pages: Mutex<HashMap<u64, Option<Box<[u8]>>>>,
}

impl<M: Memory> PageCache<M> {
    /// Wrap `inner`.
    pub fn new(inner: M) -> Self {
        PageCache {
            inner,
            pages: Mutex::new(HashMap::new()),
        }
    }

    /// Forget everything (the process ran).
    pub fn clear(&self) {
        if let Ok(mut p) = self.pages.lock() {
            p.clear();
        }
    }

    /// The wrapped memory.
    pub fn inner(&self) -> &M {
        &self.inner
    }

    fn fetch(&self, pages: &[u64]) {
        let Ok(mut map) = self.pages.lock() else {
            return;
        };
        let missing: Vec<u64> = pages
            .iter()
            .copied()
            .filter(|p| !map.contains_key(p))
            .collect();
        if missing.is_empty() {
            return;
        }
        let mut bufs: Vec<Vec<u8>> = missing.iter().map(|_| vec![0u8; PAGE as usize]).collect();
        let mut reqs: Vec<ReadReq<'_>> = missing
            .iter()
            .zip(bufs.iter_mut())
            .map(|(p, b)| (*p, &mut b[..]))
            .collect();
        let res = self.inner.read_batch(&mut reqs);
        drop(reqs);
        for ((p, b), r) in missing.into_iter().zip(bufs).zip(res) {
            map.insert(p, r.ok().map(|()| b.into_boxed_slice()));
        }
    }

    fn serve(&self, addr: u64, buf: &mut [u8]) -> Option<()> {
        let map = self.pages.lock().ok()?;
        let mut done = 0usize;
        while done < buf.len() {
            let a = addr.checked_add(done as u64)?;
            let page = a & !(PAGE - 1);
            let off = (a - page) as usize;
            let data = map.get(&page)?.as_ref()?;
            let n = (PAGE as usize - off).min(buf.len() - done);
            buf.get_mut(done..done + n)?
                .copy_from_slice(data.get(off..off + n)?);
            done += n;
        }
        Some(())
    }
}

fn pages_of(addr: u64, len: usize, out: &mut Vec<u64>) {
    if len == 0 {
        return;
    }
    let first = addr & !(PAGE - 1);
    let last = addr.saturating_add(len as u64 - 1) & !(PAGE - 1);
    let mut p = first;
    while p <= last {
        out.push(p);
        match p.checked_add(PAGE) {
            Some(n) => p = n,
            None => break,
        }
    }
}

impl<M: Memory> Memory for PageCache<M> {
    fn mapped_extent(&self, addr: u64) -> Option<u64> {
        self.inner.mapped_extent(addr)
    }

    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        let mut pages = Vec::new();
        pages_of(addr, buf.len(), &mut pages);
        self.fetch(&pages);
        if self.serve(addr, buf).is_some() {
            return Ok(());
        }
        // Part of the range is unreadable page-wise; the inner memory may still serve the
        // exact bytes (e.g. a core segment that ends mid-page).
        self.inner.read_into(addr, buf)
    }

    fn read_batch(&self, reqs: &mut [ReadReq<'_>]) -> Vec<Result<()>> {
        let mut pages = Vec::new();
        for (a, b) in reqs.iter() {
            pages_of(*a, b.len(), &mut pages);
        }
        pages.sort_unstable();
        pages.dedup();
        self.fetch(&pages);
        reqs.iter_mut()
            .map(|(a, b)| match self.serve(*a, b) {
                Some(()) => Ok(()),
                None => self.inner.read_into(*a, b),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::FakeMemory;

    #[test]
    fn serves_across_pages_and_counts_one_batch() {
        let mut f = FakeMemory::new();
        f.map(0x10000, (0..3 * PAGE).map(|i| (i % 251) as u8).collect());
        let c = PageCache::new(f);
        let mut b = [0u8; 100];
        c.read_into(0x10000 + PAGE - 50, &mut b).unwrap();
        assert_eq!(b[0], ((PAGE - 50) % 251) as u8);
        assert_eq!(b[99], ((PAGE + 49) % 251) as u8);
        assert_eq!(c.inner().batch_calls(), 1);
        c.read_into(0x10000 + 10, &mut b).unwrap();
        assert_eq!(c.inner().batch_calls(), 1, "second read hits the cache");
        assert!(c.read_into(0x10000 + 3 * PAGE - 4, &mut b).is_err());
    }
}
