//! Reading many small records (the `g` and `m` structs of a whole program) in a few large
//! reads.

use super::{Memory, ReadReq};

/// The result of [`read_coalesced`]: a few large buffers and, per address, where its
/// bytes are.
pub struct Coalesced {
    bufs: Vec<Vec<u8>>,
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
            self.bufs.get(b)?.get(off..off + self.size)?
        };
        Some(buf)
    }
}

/// Read `size` bytes at each address with few large reads: addresses are sorted and runs
/// closer than a page are merged into one request (one `read_batch` for all runs). A run
/// that fails is retried address by address, so one bad pointer costs only itself.
pub fn read_coalesced(mem: &dyn Memory, addrs: &[u64], size: usize) -> Coalesced {
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
    let mut bufs: Vec<Vec<u8>> = runs
        .iter()
        .map(|(s, e, _, _)| vec![0u8; (e - s) as usize])
        .collect();
    let mut reqs: Vec<ReadReq<'_>> = runs
        .iter()
        .zip(bufs.iter_mut())
        .map(|((s, _, _, _), b)| (*s, &mut b[..]))
        .collect();
    let res = mem.read_batch(&mut reqs);
    drop(reqs);
    let mut out = Coalesced {
        bufs: Vec::new(),
        at: vec![None; addrs.len()],
        singles: Vec::new(),
        size,
    };
    for (b, ((s, _, first, n), r)) in runs.iter().zip(res).enumerate() {
        // The last address retried alone and its outcome: repeated addresses (a corrupt
        // array full of the same pointer) are read once.
        let mut last: Option<(u64, Option<(usize, usize)>)> = None;
        for i in order.iter().skip(*first).take(*n) {
            let a = addrs.get(*i).copied().unwrap_or(0);
            let slot = if r.is_ok() {
                Some((b, (a - s) as usize))
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
    out.bufs = bufs;
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
