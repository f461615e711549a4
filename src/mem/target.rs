//! [`Target`]: one program's memory as the runtime model (and the value printers) read it.
//! It bundles what every read needs — the memory, the executable's load bias, the pointer
//! size and the architecture — and offers the typed reads Go data is made of: words,
//! `uint32`s, string headers and slice headers, from memory or from a buffer read before.

use super::{le_u32, le_word, Memory};
use crate::binary::Arch;
use crate::error::Result;

/// A Go string header: `{ptr, len}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StringHeader {
    /// Address of the bytes.
    pub ptr: u64,
    /// Length in bytes.
    pub len: u64,
}

/// A Go slice header: `{ptr, len, cap}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceHeader {
    /// Address of the first element.
    pub ptr: u64,
    /// Number of elements.
    pub len: u64,
    /// Capacity in elements.
    pub cap: u64,
}

/// The memory of one program (live, core, remote) with what is needed to read Go data in
/// it. Cheap to copy; [`Target::with_mem`] gives the same program over another memory (a
/// page cache in front of it).
#[derive(Clone, Copy)]
pub struct Target<'a> {
    /// The memory.
    pub mem: &'a dyn Memory,
    /// Load bias of the executable (0 unless PIE): runtime address = link address + bias.
    pub bias: u64,
    /// Pointer size in bytes (8 or 4).
    pub ptr_size: usize,
    /// Architecture of the program.
    pub arch: Arch,
}

impl std::fmt::Debug for Target<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("bias", &self.bias)
            .field("ptr_size", &self.ptr_size)
            .field("arch", &self.arch)
            .finish()
    }
}

impl<'a> Target<'a> {
    /// The same program over another memory.
    pub fn with_mem<'b>(&self, mem: &'b dyn Memory) -> Target<'b> {
        Target {
            mem,
            bias: self.bias,
            ptr_size: self.ptr_size,
            arch: self.arch,
        }
    }

    /// Runtime address of a link-time address (adds the load bias).
    pub fn relocate(&self, link_addr: u64) -> u64 {
        link_addr.wrapping_add(self.bias)
    }

    /// `len` bytes at `addr`.
    pub fn bytes(&self, addr: u64, len: usize) -> Result<Vec<u8>> {
        let mut v = vec![0u8; len];
        self.mem.read_into(addr, &mut v)?;
        Ok(v)
    }

    /// A pointer-sized word at `addr`.
    pub fn word(&self, addr: u64) -> Result<u64> {
        let mut b = [0u8; 8];
        let n = self.ptr_size.min(8);
        let buf = b.get_mut(..n).unwrap_or(&mut []);
        self.mem.read_into(addr, buf)?;
        Ok(le_word(&b, 0, n).unwrap_or(0))
    }

    /// A little-endian `uint32` at `addr`.
    pub fn u32(&self, addr: u64) -> Result<u32> {
        let mut b = [0u8; 4];
        self.mem.read_into(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// The string header at `addr`.
    pub fn string_header(&self, addr: u64) -> Result<StringHeader> {
        let b = self.bytes(addr, 2 * self.ptr_size)?;
        Ok(self
            .string_header_in(&b, 0)
            .unwrap_or(StringHeader { ptr: 0, len: 0 }))
    }

    /// The slice header at `addr`.
    pub fn slice_header(&self, addr: u64) -> Result<SliceHeader> {
        let b = self.bytes(addr, 3 * self.ptr_size)?;
        Ok(self.slice_header_in(&b, 0).unwrap_or(SliceHeader {
            ptr: 0,
            len: 0,
            cap: 0,
        }))
    }

    /// A word at offset `off` of a buffer read before (`None` past its end).
    pub fn word_in(&self, buf: &[u8], off: u64) -> Option<u64> {
        le_word(buf, usize::try_from(off).ok()?, self.ptr_size)
    }

    /// A `uint32` at offset `off` of a buffer read before.
    pub fn u32_in(&self, buf: &[u8], off: u64) -> Option<u32> {
        le_u32(buf, usize::try_from(off).ok()?)
    }

    /// A string header at offset `off` of a buffer read before.
    pub fn string_header_in(&self, buf: &[u8], off: u64) -> Option<StringHeader> {
        let p = self.ptr_size as u64;
        Some(StringHeader {
            ptr: self.word_in(buf, off)?,
            len: self.word_in(buf, off.checked_add(p)?)?,
        })
    }

    /// A slice header at offset `off` of a buffer read before.
    pub fn slice_header_in(&self, buf: &[u8], off: u64) -> Option<SliceHeader> {
        let p = self.ptr_size as u64;
        Some(SliceHeader {
            ptr: self.word_in(buf, off)?,
            len: self.word_in(buf, off.checked_add(p)?)?,
            cap: self.word_in(buf, off.checked_add(2 * p)?)?,
        })
    }

    /// How many elements of `elem_size` bytes fit in the mapped memory from `addr` on
    /// (`None` when the memory does not know its map): the bound for a count read from the
    /// program.
    pub fn fitting(&self, addr: u64, elem_size: usize) -> Option<u64> {
        let ext = self.mem.mapped_extent(addr)?;
        Some(ext / (elem_size.max(1) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::FakeMemory;

    #[test]
    fn typed_reads_and_bounds() {
        let mut m = FakeMemory::new();
        let words: Vec<u8> = [0x5000u64, 3, 4]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        m.map(0x1000, words);
        m.map(0x1018, vec![0u8; 8]);
        let t = Target {
            mem: &m,
            bias: 0x10,
            ptr_size: 8,
            arch: Arch::Amd64,
        };
        assert_eq!(t.word(0x1008).unwrap(), 3);
        assert_eq!(t.u32(0x1000).unwrap(), 0x5000);
        assert_eq!(
            t.slice_header(0x1000).unwrap(),
            SliceHeader {
                ptr: 0x5000,
                len: 3,
                cap: 4
            }
        );
        assert_eq!(
            t.string_header(0x1000).unwrap(),
            StringHeader {
                ptr: 0x5000,
                len: 3
            }
        );
        assert!(t.word(0x2000).is_err());
        assert_eq!(t.relocate(0x100), 0x110);
        // Adjacent regions count as one mapping: 0x20 bytes from 0x1000.
        assert_eq!(t.fitting(0x1000, 8), Some(4));
        assert_eq!(t.fitting(0x3000, 8), None);
        let t4 = Target { ptr_size: 4, ..t };
        assert_eq!(t4.word(0x1000).unwrap(), 0x5000);
        assert_eq!(t4.word_in(&[1, 0, 0, 0, 2, 0, 0, 0], 4), Some(2));
    }
}
