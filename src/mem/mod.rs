//! Reading the debuggee's memory. One trait, many backings (live /proc/PID/mem, ELF core,
//! a Python callback for gdb's inferior, an in-memory fake, a page cache), designed for
//! batched reads from the start: the goroutine engine sorts and coalesces its addresses and
//! hands whole batches to [`Memory::read_batch`], so a live process costs a few
//! `process_vm_readv` calls instead of one syscall per field.

mod cache;
mod coalesce;
mod core;
mod fake;
mod process;
mod target;

pub use self::cache::PageCache;
pub use self::coalesce::{read_coalesced, read_coalesced_into, Coalesced};
pub use self::core::{CoreFile, CoreThread};
pub use self::fake::FakeMemory;
pub use self::process::ProcessMemory;
pub use self::target::{SliceHeader, StringHeader, Target};

use crate::error::{Error, Result};

/// One read of a batch: the address and the buffer to fill.
pub type ReadReq<'a> = (u64, &'a mut [u8]);

/// Debuggee memory. Implementations must be usable from several threads.
pub trait Memory: Send + Sync {
    /// Fill `buf` with the bytes at `addr`; an error if any byte is unreadable.
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<()>;

    /// Perform many reads; one result per request, in order. The default loops over
    /// [`Memory::read_into`]; backings with a cheaper bulk path override it.
    fn read_batch(&self, reqs: &mut [ReadReq<'_>]) -> Vec<Result<()>> {
        reqs.iter_mut()
            .map(|(addr, buf)| self.read_into(*addr, buf))
            .collect()
    }

    /// How many bytes from `addr` on lie in mapped memory (the mapping that holds `addr`
    /// and the ones adjacent to it), or `None` when this backing does not know its map.
    /// Counts read from the debuggee (allglen...) are checked against it, so a corrupt
    /// count cannot make the engine read or allocate more than the memory holds.
    fn mapped_extent(&self, addr: u64) -> Option<u64> {
        let _ = addr;
        None
    }

    /// The `len` bytes at `addr` without a copy, when this backing holds them in memory
    /// as one slice (a core's dumped bytes); `None` otherwise: read them with
    /// [`Memory::read_into`]. For scans of big ranges, where copying costs as much as
    /// the scan.
    fn borrow(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let _ = (addr, len);
        None
    }
}

impl<M: Memory + ?Sized> Memory for &M {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        (**self).read_into(addr, buf)
    }
    fn read_batch(&self, reqs: &mut [ReadReq<'_>]) -> Vec<Result<()>> {
        (**self).read_batch(reqs)
    }
    fn mapped_extent(&self, addr: u64) -> Option<u64> {
        (**self).mapped_extent(addr)
    }
    fn borrow(&self, addr: u64, len: usize) -> Option<&[u8]> {
        (**self).borrow(addr, len)
    }
}

impl<M: Memory + ?Sized> Memory for Box<M> {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        (**self).read_into(addr, buf)
    }
    fn read_batch(&self, reqs: &mut [ReadReq<'_>]) -> Vec<Result<()>> {
        (**self).read_batch(reqs)
    }
    fn mapped_extent(&self, addr: u64) -> Option<u64> {
        (**self).mapped_extent(addr)
    }
    fn borrow(&self, addr: u64, len: usize) -> Option<&[u8]> {
        (**self).borrow(addr, len)
    }
}

impl<M: Memory + ?Sized> Memory for std::sync::Arc<M> {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        (**self).read_into(addr, buf)
    }
    fn read_batch(&self, reqs: &mut [ReadReq<'_>]) -> Vec<Result<()>> {
        (**self).read_batch(reqs)
    }
    fn mapped_extent(&self, addr: u64) -> Option<u64> {
        (**self).mapped_extent(addr)
    }
    fn borrow(&self, addr: u64, len: usize) -> Option<&[u8]> {
        (**self).borrow(addr, len)
    }
}

/// Read a little-endian u64 at `addr`.
pub fn read_u64(mem: &dyn Memory, addr: u64) -> Result<u64> {
    let mut b = [0u8; 8];
    mem.read_into(addr, &mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Read `len` bytes at `addr` into a new vector.
pub fn read_vec(mem: &dyn Memory, addr: u64, len: usize) -> Result<Vec<u8>> {
    let mut v = vec![0u8; len];
    mem.read_into(addr, &mut v)?;
    Ok(v)
}

/// The error for an unreadable range.
pub fn mem_error(addr: u64, len: usize, reason: impl Into<String>) -> Error {
    Error::Memory {
        addr,
        len,
        reason: reason.into(),
    }
}

/// The extent of the mapping holding `addr` in a sorted list of `(start, end)` ranges,
/// adjacent ranges joined: `end - addr` of the run, `None` when `addr` is in no range.
pub(crate) fn extent_in(ranges: &[(u64, u64)], addr: u64) -> Option<u64> {
    let idx = ranges.partition_point(|r| r.0 <= addr).checked_sub(1)?;
    let (_, mut end) = *ranges.get(idx)?;
    if addr >= end {
        return None;
    }
    for r in ranges.iter().skip(idx + 1) {
        if r.0 != end {
            break;
        }
        end = r.1;
    }
    Some(end - addr)
}

/// Little-endian u64 at `off` in `buf` (None when out of range).
pub fn le_u64(buf: &[u8], off: usize) -> Option<u64> {
    let b = buf.get(off..off.checked_add(8)?)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

/// Little-endian u32 at `off` in `buf` (None when out of range).
pub fn le_u32(buf: &[u8], off: usize) -> Option<u32> {
    let b = buf.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

/// Read a Go pointer-sized word of `ptr_size` bytes (4 or 8) at `off` in `buf`.
pub fn le_word(buf: &[u8], off: usize, ptr_size: usize) -> Option<u64> {
    if ptr_size == 4 {
        le_u32(buf, off).map(u64::from)
    } else {
        le_u64(buf, off)
    }
}

/// Check that `mem` holds `bin` mapped at `bias`: the executable's first bytes (ELF and
/// program headers, mapped with the first segment) must describe the file's image (equal
/// but for what `strip` changes, so a stripped process matches its unstripped copy).
/// `Ok(false)` when that page is not readable (nothing to compare), an error naming both
/// sides on mismatch.
pub fn check_same_executable(
    mem: &dyn Memory,
    bin: &crate::binary::Binary,
    bias: u64,
    what: &str,
) -> Result<bool> {
    let Some(first) = bin.segments().iter().find(|s| s.file_range.0 == 0) else {
        return Ok(false);
    };
    let at = first.addr.wrapping_add(bias);
    let want = bin.data().get(..512).unwrap_or(&[]);
    let mut got = vec![0u8; want.len()];
    if mem.read_into(at, &mut got).is_err() {
        return Ok(false);
    }
    if !self::core::same_image(&got, want, bin.ptr_size()) {
        return Err(Error::Mismatch(format!(
            "{what} does not run {}: the executable mapped at {at:#x} has a different ELF header",
            bin.path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "<binary>".into())
        )));
    }
    Ok(true)
}
