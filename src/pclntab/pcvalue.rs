//! Byte-level helpers: endian-aware reads with bounds checks, varints and Go's pc-value
//! tables (`runtime.pcvalue` / `step`), all returning `None` instead of panicking.

/// A bounds-checked view of little- or big-endian bytes.
#[derive(Clone, Copy)]
pub(crate) struct Bytes<'a> {
    pub data: &'a [u8],
    pub le: bool,
}

impl<'a> Bytes<'a> {
    pub(super) fn u32_at(&self, off: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(off..off.checked_add(4)?)?.try_into().ok()?;
        Some(if self.le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    pub(super) fn u64_at(&self, off: usize) -> Option<u64> {
        let b: [u8; 8] = self.data.get(off..off.checked_add(8)?)?.try_into().ok()?;
        Some(if self.le {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    }

    /// A pointer-size word (4 or 8 bytes).
    pub(super) fn word_at(&self, off: usize, ptr_size: usize) -> Option<u64> {
        if ptr_size == 8 {
            self.u64_at(off)
        } else {
            self.u32_at(off).map(u64::from)
        }
    }

    /// NUL-terminated UTF-8 string starting at `off`.
    pub(super) fn cstr_at(&self, off: usize) -> Option<&'a str> {
        let rest = self.data.get(off..)?;
        let n = rest.iter().position(|&b| b == 0)?;
        std::str::from_utf8(rest.get(..n)?).ok()
    }
}

/// Go's unsigned LEB128 varint (`readvarint`): value and bytes consumed.
pub(crate) fn uvarint(p: &[u8]) -> Option<(u32, usize)> {
    let mut v: u32 = 0;
    let mut shift = 0u32;
    for (i, &b) in p.iter().enumerate() {
        // The runtime reads at most 5 bytes into a uint32 (shift up to 28).
        if shift > 28 {
            return None;
        }
        v |= u32::from(b & 0x7f).wrapping_shl(shift);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
        shift += 7;
    }
    None
}

/// Iterator over the (pc range, value) rows of a pc-value table, exactly as
/// `runtime.step` decodes it: value deltas are zig-zag varints, pc deltas are varints
/// scaled by the instruction quantum; a zero value delta after the first row ends it.
pub(crate) struct PcValueIter<'a> {
    p: &'a [u8],
    entry: u64,
    pc: u64,
    val: i32,
    quantum: u32,
    done: bool,
}

impl<'a> PcValueIter<'a> {
    pub(super) fn new(table: &'a [u8], entry: u64, quantum: u32) -> Self {
        PcValueIter {
            p: table,
            entry,
            pc: entry,
            val: -1,
            quantum,
            done: false,
        }
    }
}

impl Iterator for PcValueIter<'_> {
    /// (start pc, end pc exclusive, value).
    type Item = (u64, u64, i32);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let first = self.pc == self.entry;
        let step = (|| {
            let (uv, n) = uvarint(self.p)?;
            if uv == 0 && !first {
                return None;
            }
            let rest = self.p.get(n..)?;
            let (pcd, m) = uvarint(rest)?;
            let rest = rest.get(m..)?;
            Some((uv, pcd, rest))
        })();
        let Some((uv, pcd, rest)) = step else {
            self.done = true;
            return None;
        };
        self.p = rest;
        let delta = (uv >> 1) as i32 ^ -((uv & 1) as i32);
        self.val = self.val.wrapping_add(delta);
        let start = self.pc;
        self.pc = self
            .pc
            .wrapping_add(u64::from(pcd.wrapping_mul(self.quantum)));
        Some((start, self.pc, self.val))
    }
}

/// The value of a pc-value table at `target` (`runtime.pcvalue`); `None` if the table ends
/// before reaching `target`.
pub(crate) fn pcvalue(table: &[u8], entry: u64, quantum: u32, target: u64) -> Option<i32> {
    PcValueIter::new(table, entry, quantum)
        .find(|&(_, end, _)| target < end)
        .map(|(_, _, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(uvarint(&[0x05]), Some((5, 1)));
        assert_eq!(uvarint(&[0x80, 0x01]), Some((128, 2)));
        assert_eq!(uvarint(&[0x80]), None);
        assert_eq!(uvarint(&[]), None);
        assert_eq!(uvarint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), None);
    }

    #[test]
    fn pcvalue_decodes_rows() {
        // val -1 -> +1 = 0 for pc [0x100, 0x104); +16 -> 16 for [0x104, 0x10c); end.
        // zig-zag: +1 -> 2, +16 -> 32; pc deltas 4 and 8 with quantum 1.
        let tab = [2u8, 4, 32, 8, 0];
        assert_eq!(pcvalue(&tab, 0x100, 1, 0x100), Some(0));
        assert_eq!(pcvalue(&tab, 0x100, 1, 0x103), Some(0));
        assert_eq!(pcvalue(&tab, 0x100, 1, 0x104), Some(16));
        assert_eq!(pcvalue(&tab, 0x100, 1, 0x10b), Some(16));
        assert_eq!(pcvalue(&tab, 0x100, 1, 0x10c), None);
        // quantum 4 scales pc deltas.
        assert_eq!(pcvalue(&tab, 0x100, 4, 0x11f), Some(16));
        // negative deltas: zig-zag 3 = -2, 1 = -1 (starting from -1).
        let tab = [3u8, 2, 1, 2, 0];
        assert_eq!(pcvalue(&tab, 0, 1, 0), Some(-3));
        assert_eq!(pcvalue(&tab, 0, 1, 2), Some(-4));
    }

    #[test]
    fn truncated_tables_end_quietly() {
        let tab = [2u8, 4, 32, 8, 0];
        for n in 0..tab.len() {
            let _ = pcvalue(&tab[..n], 0, 1, 100);
        }
        assert_eq!(pcvalue(&[2u8], 0, 1, 0), None);
    }
}
