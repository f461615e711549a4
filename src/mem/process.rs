//! A live process through /proc/PID/mem (pread) and `process_vm_readv` for batches.
//!
//! Reading needs ptrace access: gdb's own process (the tracer) has it; so does root or a
//! process allowed by /proc/sys/kernel/yama/ptrace_scope. The process should be stopped
//! (gdb all-stop) for a consistent picture, but reads of a running one do not fail.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::{mem_error, Memory, ReadReq};
use crate::error::{Error, Result};

/// Up to this many iovecs per `process_vm_readv` call (the kernel's UIO_MAXIOV).
const MAX_IOV: usize = 1024;

/// Memory of a live process.
pub struct ProcessMemory {
    pid: i32,
    mem: File,
    vm_readv: bool,
}

impl ProcessMemory {
    /// Open /proc/PID/mem. Fails with a clear message when the process does not exist or
    /// ptrace access is denied.
    pub fn open(pid: i32) -> Result<Self> {
        let path = PathBuf::from(format!("/proc/{pid}/mem"));
        let mem = File::open(&path).map_err(|source| Error::io(path, source))?;
        Ok(ProcessMemory {
            pid,
            mem,
            vm_readv: true,
        })
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Disable `process_vm_readv` (tests of the pread fallback).
    pub fn set_vm_readv(&mut self, on: bool) {
        self.vm_readv = on;
    }

    /// The load bias of a PIE executable: AT_ENTRY of /proc/PID/auxv minus the ELF entry.
    pub fn load_bias(&self, elf_entry: u64) -> Option<u64> {
        let auxv = std::fs::read(format!("/proc/{}/auxv", self.pid)).ok()?;
        auxv_entry(&auxv).map(|e| e.wrapping_sub(elf_entry))
    }

    fn pread(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        self.mem
            .read_exact_at(buf, addr)
            .map_err(|e| mem_error(addr, buf.len(), e.to_string()))
    }

    /// One `process_vm_readv` over `reqs`; returns how many requests were fully served.
    fn vm_readv_chunk(&self, reqs: &mut [ReadReq<'_>]) -> usize {
        let mut local = Vec::with_capacity(reqs.len());
        let mut remote = Vec::with_capacity(reqs.len());
        for (addr, buf) in reqs.iter_mut() {
            local.push(libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            });
            remote.push(libc::iovec {
                iov_base: *addr as usize as *mut libc::c_void,
                iov_len: buf.len(),
            });
        }
        // SAFETY: every local iovec points into a live, exclusively borrowed buffer of the
        // stated length; remote iovecs are only addresses in the other process.
        let n = unsafe {
            libc::process_vm_readv(
                self.pid,
                local.as_ptr(),
                local.len() as libc::c_ulong,
                remote.as_ptr(),
                remote.len() as libc::c_ulong,
                0,
            )
        };
        if n <= 0 {
            return 0;
        }
        // Partial transfers stop at the first failing remote iovec: count whole requests.
        let mut left = n as usize;
        let mut done = 0;
        for (_, buf) in reqs.iter() {
            if left >= buf.len() {
                left -= buf.len();
                done += 1;
            } else {
                break;
            }
        }
        done
    }
}

impl Memory for ProcessMemory {
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        self.pread(addr, buf)
    }

    fn mapped_extent(&self, addr: u64) -> Option<u64> {
        let maps = std::fs::read_to_string(format!("/proc/{}/maps", self.pid)).ok()?;
        super::extent_in(&parse_maps(&maps), addr)
    }

    fn read_batch(&self, reqs: &mut [ReadReq<'_>]) -> Vec<Result<()>> {
        let mut out: Vec<Option<Result<()>>> = (0..reqs.len()).map(|_| None).collect();
        if self.vm_readv {
            let mut i = 0;
            while i < reqs.len() {
                let end = (i + MAX_IOV).min(reqs.len());
                let Some(chunk) = reqs.get_mut(i..end) else {
                    break;
                };
                let done = self.vm_readv_chunk(chunk);
                for slot in out.iter_mut().skip(i).take(done) {
                    *slot = Some(Ok(()));
                }
                // The request that stopped the transfer (if any) goes to pread below.
                i += done.max(1);
            }
        }
        reqs.iter_mut()
            .zip(out)
            .map(|((addr, buf), r)| match r {
                Some(r) => r,
                None => self.pread(*addr, buf),
            })
            .collect()
    }
}

/// AT_ENTRY (9) from an auxv blob of 64-bit (key, value) pairs.
/// The address ranges of /proc/PID/maps, sorted (the kernel lists them in order).
fn parse_maps(text: &str) -> Vec<(u64, u64)> {
    text.lines()
        .filter_map(|l| {
            let range = l.split_whitespace().next()?;
            let (a, b) = range.split_once('-')?;
            Some((
                u64::from_str_radix(a, 16).ok()?,
                u64::from_str_radix(b, 16).ok()?,
            ))
        })
        .collect()
}

pub(crate) fn auxv_entry(auxv: &[u8]) -> Option<u64> {
    auxv.chunks_exact(16).find_map(|c| {
        let k = u64::from_le_bytes(c.get(0..8)?.try_into().ok()?);
        let v = u64::from_le_bytes(c.get(8..16)?.try_into().ok()?);
        (k == 9).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_memory_batched_and_single() {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let mem = ProcessMemory::open(std::process::id() as i32).unwrap();
        let base = data.as_ptr() as u64;
        let mut one = [0u8; 16];
        mem.read_into(base + 100, &mut one).unwrap();
        assert_eq!(&one[..], &data[100..116]);
        let mut bufs: Vec<Vec<u8>> = (0..3000).map(|_| vec![0u8; 3]).collect();
        let mut reqs: Vec<ReadReq<'_>> = bufs
            .iter_mut()
            .enumerate()
            .map(|(i, b)| (base + i as u64 * 3, &mut b[..]))
            .collect();
        // An unreadable request in the middle must fail alone.
        let mut bad = [0u8; 8];
        reqs.insert(1500, (8, &mut bad[..]));
        let res = mem.read_batch(&mut reqs);
        assert!(res[1500].is_err());
        assert_eq!(res.iter().filter(|r| r.is_ok()).count(), 3000);
        drop(reqs);
        for (i, b) in bufs.iter().enumerate() {
            assert_eq!(&b[..], &data[i * 3..i * 3 + 3]);
        }
    }

    #[test]
    fn missing_process_is_a_clear_error() {
        let err = ProcessMemory::open(i32::MAX).err().unwrap();
        assert!(err.to_string().contains("/proc/"), "{err}");
    }
}
