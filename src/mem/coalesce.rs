//! Reading many small records (the `g` and `m` structs of a whole program) in a few large
//! reads.

use super::{Memory, ReadReq};

/// The result of [`read_coalesced`]: one buffer holding every run read and, per address,
/// where its bytes are.
pub struct Coalesced {
    buf: Vec<u8>,
    /// Per address: (start in `buf`, or usize::MAX for `singles`, index) of its bytes.
    at: Vec<Option<(usize, usize)>>,
    singles: Vec<Vec<u8>>,
    size: usize,
}

impl Coalesced {
    /// The bytes read for the i-th address, if they could be read.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let (b, off) = (*self.at.get(i)?)?;
        let buf = if b == usize::MAX {
            self.singles.get(off)?.as_slice()
        } else {
            self.buf.get(off..off + self.size)?
        };
        Some(buf)
    }

    /// The buffer, to be handed to the next [`read_coalesced_into`] (its pages are already
    /// mapped: reading 100,000 g structs into fresh memory costs more in page faults than
    /// the copy itself).
    pub fn into_buf(self) -> Vec<u8> {
        self.buf
    }
}

/// Read `size` bytes at each address with few large reads: addresses are sorted and runs
/// closer than a page are merged into one request (one `read_batch` for all runs). A run
/// that fails is retried address by address, so one bad pointer costs only itself.
pub fn read_coalesced(mem: &dyn Memory, addrs: &[u64], size: usize) -> Coalesced {
    read_coalesced_into(mem, addrs, size, Vec::new())
}

/// [`read_coalesced`] into `buf` (cleared first; pass the buffer of a previous result to
/// reuse its memory).
pub fn read_coalesced_into(
    mem: &dyn Memory,
    addrs: &[u64],
    size: usize,
    mut buf: Vec<u8>,
) -> Coalesced {
    const GAP: u64 = 4096;
    const MAX_RUN: u64 = 1 << 20;
    let mut order: Vec<usize> = (0..addrs.len()).collect();
    order.sort_unstable_by_key(|i| addrs.get(*i).copied().unwrap_or(0));
    // Runs of (start, end, first index into `order`, count).
    let mut runs: Vec<(u64, u64, usize, usize)> = Vec::new();
    for (k, i) in order.iter().enumerate() {
        let a = addrs.get(*i).copied().unwrap_or(0);
        let end = a.saturating_add(size as u64);
        match runs.last_mut() {
            Some((s, e, _, n)) if a <= e.saturating_add(GAP) && end - *s <= MAX_RUN => {
                *e = (*e).max(end);
                *n += 1;
            }
            _ => runs.push((a, end, k, 1)),
        }
    }
    let total: usize = runs.iter().map(|(s, e, _, _)| (e - s) as usize).sum();
    // A reused buffer is not cleared: every byte used is read first (failed runs are read
    // again alone into their own buffers).
    if buf.len() < total {
        buf.resize(total, 0);
    }
    // Where each run starts in `buf`.
    let mut starts: Vec<usize> = Vec::with_capacity(runs.len());
    let res = {
        let mut reqs: Vec<ReadReq<'_>> = Vec::with_capacity(runs.len());
        let mut rest: &mut [u8] = buf.get_mut(..total).unwrap_or_default();
        let mut at = 0usize;
        for (s, e, _, _) in &runs {
            let n = ((e - s) as usize).min(rest.len());
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(n);
            reqs.push((*s, head));
            starts.push(at);
            at += n;
            rest = tail;
        }
        mem.read_batch(&mut reqs)
    };
    let mut out = Coalesced {
        buf: Vec::new(),
        at: vec![None; addrs.len()],
        singles: Vec::new(),
        size,
    };
    for (((s, _, first, n), r), start) in runs.iter().zip(res).zip(&starts) {
        // The last address retried alone and its outcome: repeated addresses (a corrupt
        // array full of the same pointer) are read once.
        let mut last: Option<(u64, Option<(usize, usize)>)> = None;
        for i in order.iter().skip(*first).take(*n) {
            let a = addrs.get(*i).copied().unwrap_or(0);
            let slot = if r.is_ok() {
                Some((0, start + (a - s) as usize))
            } else if let Some((_, slot)) = last.filter(|(la, _)| *la == a) {
                slot
            } else {
                // The run failed as a whole: retry this one alone.
                let mut one = vec![0u8; size];
                let slot = mem.read_into(a, &mut one).ok().map(|()| {
                    out.singles.push(one);
                    (usize::MAX, out.singles.len() - 1)
                });
                last = Some((a, slot));
                slot
            };
            if let Some(x) = out.at.get_mut(*i) {
                *x = slot;
            }
        }
    }
    out.buf = buf;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::FakeMemory;

    #[test]
    fn coalesced_reads_are_one_batch_and_a_hole_fails_alone() {
        let mut m = FakeMemory::new();
        m.map(0x10000, (0..0x4000u32).map(|i| (i % 253) as u8).collect());
        let addrs = vec![0x10200, 0x10000, 0x10100, 0x90000, 0x13000];
        let got = read_coalesced(&m, &addrs, 16);
        assert_eq!(m.batch_calls(), 1);
        for (i, a) in addrs.iter().enumerate() {
            let g = got.get(i);
            if *a == 0x90000 {
                assert!(g.is_none());
            } else {
                let off = (a - 0x10000) as u32;
                let want: Vec<u8> = (off..off + 16).map(|i| (i % 253) as u8).collect();
                assert_eq!(g, Some(&want[..]), "{a:#x}");
            }
        }
    }

    #[test]
    fn a_repeated_bad_address_is_tried_once() {
        let mut m = FakeMemory::new();
        m.map(0x10000, vec![7u8; 64]);
        let mut addrs = vec![0x10000u64];
        addrs.extend(std::iter::repeat_n(0x20000u64, 1000));
        let got = read_coalesced(&m, &addrs, 16);
        assert_eq!(got.get(0), Some(&[7u8; 16][..]));
        assert!(got.get(500).is_none());
        assert_eq!(
            m.read_calls(),
            1,
            "one retry for 1000 copies of one bad address"
        );
    }
}
