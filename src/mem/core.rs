//! ELF core files: PT_LOAD segments, NT_PRSTATUS registers per thread, NT_AUXV and NT_FILE.
//! Memory that the kernel did not dump (file-backed read-only data such as .text and
//! .rodata) is read from the executable, relocated by the load bias (AT_ENTRY in NT_AUXV
//! minus the ELF entry).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use object::read::elf::{FileHeader, ProgramHeader};
use object::{elf, Endianness};

use super::{le_u32, le_u64, mem_error, Memory};
use crate::binary::{Arch, Binary};
use crate::error::{Error, Result};

/// Registers of one thread of the core (NT_PRSTATUS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreThread {
    /// Thread id (pr_pid).
    pub tid: i64,
    /// Program counter.
    pub pc: u64,
    /// Stack pointer.
    pub sp: u64,
    /// Frame pointer (rbp / x29).
    pub bp: u64,
    /// Link register (x30 on arm64; 0 on amd64).
    pub lr: u64,
    /// Signal that stopped the thread (pr_cursig), 0 if none.
    pub signal: u32,
}

#[derive(Debug, Clone, Copy)]
struct Load {
    vaddr: u64,
    memsz: u64,
    offset: u64,
    filesz: u64,
}

/// A core file opened together with the executable that wrote it.
pub struct CoreFile {
    path: PathBuf,
    map: memmap2::Mmap,
    loads: Vec<Load>,
    threads: Vec<CoreThread>,
    bin: Arc<Binary>,
    bias: u64,
    files: Vec<(u64, u64, String)>,
    /// AT_ENTRY of the process that dumped the core (NT_AUXV), if present.
    entry: Option<u64>,
    /// The parts of the map read since its pages were last given back.
    touched: Mutex<Touched>,
}

/// Granules of [`GRANULE`] bytes of the map that reads have touched (each read fault maps
/// up to that much around it), so that the mapped pages can be given back before they
/// make the reader's resident memory grow with the size of the core.
#[derive(Default)]
struct Touched {
    seen: Vec<u64>,
    count: usize,
}

/// The kernel's fault-around: a read fault on a file mapping maps up to 64 KiB.
const GRANULE: usize = 1 << 16;
/// At most this much of the core stays mapped into the reader (RSS) at a time.
const MAPPED_BUDGET: usize = 16 << 20;

impl std::fmt::Debug for CoreFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreFile")
            .field("path", &self.path)
            .field("segments", &self.loads.len())
            .field("threads", &self.threads.len())
            .finish()
    }
}

const NT_PRSTATUS: u64 = 1;
const NT_AUXV: u64 = 6;
const NT_FILE: u64 = 0x4649_4c45;

impl CoreFile {
    /// Open the core at `path` written by `bin`. Errors name the problem: not a core file,
    /// truncated, or a core of another executable (the ELF header mapped in the core does
    /// not match `bin`).
    pub fn open(path: impl AsRef<Path>, bin: Arc<Binary>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let io = |source| Error::io(&path, source);
        let file = crate::binary::open_regular(&path, "a core file")?;
        // SAFETY: read-only map; see Binary::open for the truncation caveat.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        let mut core = Self::parse(path, map, bin)?;
        core.check_matches()?;
        Ok(core)
    }

    fn parse(path: PathBuf, map: memmap2::Mmap, bin: Arc<Binary>) -> Result<Self> {
        let data: &[u8] = &map;
        let bad = |d: String| Error::BadElf(format!("{}: {d}", path.display()));
        let hdr = elf::FileHeader64::<Endianness>::parse(data).map_err(|e| bad(e.to_string()))?;
        let endian = hdr.endian().map_err(|e| bad(e.to_string()))?;
        if hdr.e_type(endian) != elf::ET_CORE {
            return Err(bad("not a core file (ELF type is not ET_CORE)".into()));
        }
        let arch = match hdr.e_machine(endian) {
            elf::EM_X86_64 => Arch::Amd64,
            elf::EM_AARCH64 => Arch::Arm64,
            m => return Err(Error::Unsupported(format!("core files of ELF machine {m}"))),
        };
        if arch != bin.arch() {
            return Err(bad(format!(
                "core is {} but the binary is {}",
                arch.goarch(),
                bin.arch().goarch()
            )));
        }
        let phdrs = hdr
            .program_headers(endian, data)
            .map_err(|e| bad(format!("program headers: {e}")))?;
        let mut loads = Vec::new();
        let mut threads = Vec::new();
        let mut entry = None;
        let mut files = Vec::new();
        let mut truncated = false;
        for ph in phdrs {
            match ph.p_type(endian) {
                elf::PT_LOAD => {
                    let l = Load {
                        vaddr: ph.p_vaddr(endian),
                        memsz: ph.p_memsz(endian),
                        offset: ph.p_offset(endian),
                        filesz: ph.p_filesz(endian),
                    };
                    if l.offset.saturating_add(l.filesz) > data.len() as u64 {
                        truncated = true;
                    }
                    loads.push(l);
                }
                elf::PT_NOTE => {
                    let Ok(Some(mut notes)) = ph.notes(endian, data) else {
                        truncated = true;
                        continue;
                    };
                    while let Ok(Some(note)) = notes.next() {
                        if note.name() != b"CORE" {
                            continue;
                        }
                        let desc = note.desc();
                        match u64::from(note.n_type(endian).0) {
                            NT_PRSTATUS => {
                                if let Some(t) = prstatus(arch, desc) {
                                    threads.push(t);
                                }
                            }
                            NT_AUXV => entry = super::process::auxv_entry(desc),
                            NT_FILE => files = nt_file(desc),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if loads.is_empty() {
            return Err(bad("core has no memory segments".into()));
        }
        if truncated {
            return Err(Error::corrupt(
                "core file",
                format!(
                    "{} is truncated ({} bytes; segments point past the end)",
                    path.display(),
                    data.len()
                ),
            ));
        }
        let bias = if bin.is_pie() {
            entry.map(|e| e.wrapping_sub(bin.entry())).unwrap_or(0)
        } else {
            0
        };
        loads.sort_by_key(|l| l.vaddr);
        Ok(CoreFile {
            path,
            map,
            loads,
            threads,
            bin,
            bias,
            files,
            entry,
            touched: Mutex::new(Touched::default()),
        })
    }

    /// Compare the executable's ELF header as mapped in the core with the binary's file
    /// (see [`same_image`]).
    fn check_matches(&mut self) -> Result<()> {
        let Some(first) = self.bin.segments().iter().find(|s| s.file_range.0 == 0) else {
            return Ok(());
        };
        let at = first.addr.wrapping_add(self.bias);
        let want = self.bin.data().get(..512).unwrap_or(&[]);
        let mut got = vec![0u8; want.len()];
        if self.read_dumped(at, &mut got).is_none() {
            // Header page not dumped (coredump_filter): judge by the entry point instead.
            return self.check_entry();
        }
        if !same_image(&got, want, self.bin.ptr_size()) {
            let mapped = self
                .files
                .iter()
                .find(|(s, e, _)| at >= *s && at < *e)
                .map(|(_, _, n)| n.clone())
                .unwrap_or_else(|| "an unknown file".into());
            return Err(Error::Mismatch(format!(
                "core {} was not written by {}: the executable mapped at {at:#x} is {mapped} and its ELF header differs",
                self.path.display(),
                self.bin
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "<binary>".into())
            )));
        }
        Ok(())
    }

    /// Without the ELF header in the core: the process's entry point (AT_ENTRY) must be the
    /// binary's (non-PIE), or its load bias page-aligned (PIE). Otherwise the core was
    /// written by another program (named from NT_FILE when the core has it).
    fn check_entry(&self) -> Result<()> {
        let Some(at_entry) = self.entry else {
            return Ok(());
        };
        let want = self.bin.entry().wrapping_add(self.bias);
        let mapped = self
            .files
            .iter()
            .find(|(s, e, _)| at_entry >= *s && at_entry < *e)
            .map(|(_, _, n)| n.as_str());
        if at_entry == want && self.bias.is_multiple_of(4096) {
            return Ok(());
        }
        Err(Error::NotFound(format!(
            "core {} was not written by {}: its program ({}) starts at {at_entry:#x}, the binary at {want:#x}",
            self.path.display(),
            self.bin
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "<binary>".into()),
            mapped.unwrap_or("unknown executable"),
        )))
    }

    /// The core file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Threads of the core (one per NT_PRSTATUS note), in note order (the first is the
    /// thread that received the fatal signal).
    pub fn threads(&self) -> &[CoreThread] {
        &self.threads
    }

    /// The load bias of the executable (0 for non-PIE).
    pub fn load_bias(&self) -> u64 {
        self.bias
    }

    /// File mappings from NT_FILE: (start, end, path).
    pub fn mapped_files(&self) -> &[(u64, u64, String)] {
        &self.files
    }

    /// The executable this core was opened with.
    pub fn binary(&self) -> &Arc<Binary> {
        &self.bin
    }

    fn read_dumped(&self, addr: u64, buf: &mut [u8]) -> Option<()> {
        buf.copy_from_slice(self.dumped(addr, buf.len())?);
        Some(())
    }

    /// The dumped bytes `[addr, addr + len)`, in one segment of the core, counted as
    /// touched (before they are read: a drop of the mapped pages comes before, not after).
    fn dumped(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let end = addr.checked_add(len as u64)?;
        let idx = self.loads.partition_point(|l| l.vaddr <= addr);
        let l = self.loads.get(idx.checked_sub(1)?)?;
        if end > l.vaddr.checked_add(l.filesz)? {
            return None;
        }
        let start = usize::try_from(l.offset.checked_add(addr - l.vaddr)?).ok()?;
        let src = self.map.get(start..start.checked_add(len)?)?;
        self.touch(start, len);
        Some(src)
    }

    /// Count the granules `[start, start+len)` of the map touched; past the budget, give
    /// every mapped page back (MADV_DONTNEED: the core is a read-only private mapping, so
    /// a later read maps the same bytes again from the page cache).
    fn touch(&self, start: usize, len: usize) {
        let Ok(mut t) = self.touched.lock() else {
            return;
        };
        let first = start / GRANULE;
        let last = (start + len.max(1) - 1) / GRANULE;
        for gr in first..=last {
            let (word, bit) = (gr / 64, 1u64 << (gr % 64));
            if t.seen.len() <= word {
                t.seen.resize(word + 1, 0);
            }
            if let Some(w) = t.seen.get_mut(word) {
                if *w & bit == 0 {
                    *w |= bit;
                    t.count += 1;
                }
            }
        }
        if t.count * GRANULE >= MAPPED_BUDGET {
            // SAFETY: the mapping is private and never written, so dropping its pages loses
            // nothing: the pages stay mapped, and a slice lent by `borrow` reads the same
            // bytes again from the file.
            let _ = unsafe {
                self.map
                    .unchecked_advise(memmap2::UncheckedAdvice::DontNeed)
            };
            t.seen.iter_mut().for_each(|w| *w = 0);
            t.count = 0;
        }
    }

    fn in_core_range(&self, addr: u64) -> bool {
        let idx = self.loads.partition_point(|l| l.vaddr <= addr);
        idx.checked_sub(1)
            .and_then(|i| self.loads.get(i))
            .is_some_and(|l| addr < l.vaddr.saturating_add(l.memsz))
    }
}

impl Memory for CoreFile {
    /// The dumped bytes: memory that is mapped but not in the core (file-backed code and
    /// read-only data) never holds the runtime's arrays.
    fn mapped_extent(&self, addr: u64) -> Option<u64> {
        let ranges: Vec<(u64, u64)> = self
            .loads
            .iter()
            .filter(|l| l.filesz > 0)
            .map(|l| (l.vaddr, l.vaddr.saturating_add(l.filesz.min(l.memsz))))
            .collect();
        super::extent_in(&ranges, addr)
    }

    fn borrow(&self, addr: u64, len: usize) -> Option<&[u8]> {
        self.dumped(addr, len)
    }

    fn read_into(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        if self.read_dumped(addr, buf).is_some() {
            return Ok(());
        }
        if let Some(src) = self.bin.read_vaddr(addr.wrapping_sub(self.bias), buf.len()) {
            buf.copy_from_slice(src);
            return Ok(());
        }
        let why = if self.in_core_range(addr) {
            "not dumped in the core"
        } else {
            "not mapped in the core"
        };
        Err(mem_error(addr, buf.len(), why))
    }
}

fn prstatus(arch: Arch, desc: &[u8]) -> Option<CoreThread> {
    let u64_at = |o: usize| le_u64(desc, o);
    // pr_info.si_signo is an int at 0; pr_cursig (the signal) a short at 12.
    let signal = le_u32(desc, 12)? & 0xffff;
    let tid = i64::from(le_u32(desc, 32)?);
    const REGS: usize = 112;
    let (pc, sp, bp, lr) = match arch {
        // user_regs_struct: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi
        // orig_rax rip cs eflags rsp ...
        Arch::Amd64 => (
            u64_at(REGS + 16 * 8)?,
            u64_at(REGS + 19 * 8)?,
            u64_at(REGS + 4 * 8)?,
            0,
        ),
        // user_pt_regs: x0..x30, sp, pc, pstate
        Arch::Arm64 => (
            u64_at(REGS + 32 * 8)?,
            u64_at(REGS + 31 * 8)?,
            u64_at(REGS + 29 * 8)?,
            u64_at(REGS + 30 * 8)?,
        ),
        _ => return None,
    };
    Some(CoreThread {
        tid,
        pc,
        sp,
        bp,
        lr,
        signal,
    })
}

fn nt_file(desc: &[u8]) -> Vec<(u64, u64, String)> {
    let word = |i: usize| le_u64(desc, i.checked_mul(8)?);
    let Some(count) = word(0).and_then(|c| usize::try_from(c).ok()) else {
        return Vec::new();
    };
    let count = count.min(desc.len() / 24);
    let names_at = 16 + count * 24;
    let mut names = desc
        .get(names_at..)
        .unwrap_or(&[])
        .split(|b| *b == 0)
        .map(|n| String::from_utf8_lossy(n).into_owned());
    (0..count)
        .filter_map(|i| {
            let start = word(2 + i * 3)?;
            let end = word(3 + i * 3)?;
            Some((start, end, names.next().unwrap_or_default()))
        })
        .collect()
}

/// True when two ELF header pages describe the same memory image: the ELF header except its
/// section-header fields (e_shoff, e_shentsize, e_shnum, e_shstrndx), and each program
/// header's type, flags, vaddr and memsz. What `strip` / `objcopy --strip-all` change (those
/// fields, file sizes and offsets, padding after the headers) is left out, so the core of a
/// stripped binary matches its unstripped copy (`--symbols`).
pub(crate) fn same_image(a: &[u8], b: &[u8], ptr_size: usize) -> bool {
    let (sh, phoff_at, phent_at, phnum_at, fields): (_, _, _, _, &[(usize, usize)]) =
        if ptr_size == 8 {
            // p_type, p_flags, p_vaddr, p_memsz
            (
                [0x28..0x30, 0x3a..0x40],
                0x20,
                0x36,
                0x38,
                &[(0, 8), (16, 8), (40, 8)],
            )
        } else {
            // p_type, p_vaddr, p_memsz, p_flags
            (
                [0x20..0x24, 0x2e..0x34],
                0x1c,
                0x2a,
                0x2c,
                &[(0, 4), (8, 4), (20, 8)],
            )
        };
    let hdr = if ptr_size == 8 { 0x40 } else { 0x34 };
    if a.len() < hdr || b.len() < hdr {
        return a == b;
    }
    let header_same = (0..hdr).all(|i| a[i] == b[i] || sh.iter().any(|r| r.contains(&i)));
    if !header_same {
        return false;
    }
    let word = |x: &[u8], at: usize, n: usize| -> usize {
        x.get(at..at + n)
            .map(|s| {
                s.iter()
                    .rev()
                    .fold(0usize, |v, &c| (v << 8) | usize::from(c))
            })
            .unwrap_or(0)
    };
    let phoff = word(a, phoff_at, if ptr_size == 8 { 8 } else { 4 });
    let phent = word(a, phent_at, 2);
    let phnum = word(a, phnum_at, 2);
    (0..phnum).all(|k| {
        let at = phoff + k * phent;
        fields
            .iter()
            .all(|&(off, n)| a.get(at + off..at + off + n) == b.get(at + off..at + off + n))
    })
}
