//! Go's `.gopclntab`: function table, names, file:line, pcsp and the inline tree.
//! Works without DWARF (`-ldflags=-w`, `-s -w`). Formats: Go 1.18 (magic 0xfffffff0) and
//! Go 1.20+ (0xfffffff1); older magics give [`Error::Unsupported`]. PIE binaries keep the
//! table in `.data.rel.ro` (`.data.rel.ro.gopclntab`), found by name or by magic.
//!
//! CONTRACT (the goroutine engine codes against it): the signatures of [`Pclntab`] are the
//! public API. Owned (holds an `Arc<Binary>`), no lifetimes, lookups allocate nothing where
//! they can: names and file names are `&str` borrowed from the table.
//!
//! Layout (see `GOROOT/src/runtime/symtab.go`): a pcHeader {magic, pad, minLC, ptrSize,
//! nfunc, nfiles, textStart (unused since 1.26), funcnameOffset, cuOffset, filetabOffset,
//! pctabOffset, pclnOffset}; the function table `ftab` at pclnOffset holds nfunc+1
//! {entryoff, funcoff} pairs relative to the start of text; each `_func` lives at
//! pclntable+funcoff. The inline tree is funcdata, an offset from `moduledata.gofunc`; that
//! base is found through the `go:func.*` symbol or runtime.firstmoduledata. When neither can
//! be found (a table parsed from bare bytes), [`Pclntab::inlined_at`] returns nothing while
//! [`Pclntab::file_line`], names and pcsp keep working.

mod goversion;
mod locate;
mod pcvalue;
mod stackmaps;

pub use goversion::{FuncKind, FUNC_FLAG_ASM, FUNC_FLAG_SPWRITE, FUNC_FLAG_TOPFRAME};
pub use stackmaps::{FrameMaps, PointerBits, StackObjectRecord};

use std::sync::{Arc, OnceLock};

use crate::binary::Binary;
use crate::error::{Error, Result};

use goversion::{func_header_size, inlined_call_size, FUNCDATA_INL_TREE, PCDATA_INL_TREE_INDEX};
use locate::{check_magic, read_magic, MAGIC_120};
use pcvalue::{pcvalue, Bytes, PcValueIter};

/// Go's funcID: marks runtime functions that need special treatment when unwinding.
/// The raw byte is renumbered between Go releases: use [`Pclntab::func_kind`].
pub type FuncId = u8;

/// One inlined call site active at a pc, innermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinedFrame {
    /// Name of the inlined function, e.g. `main.add`.
    pub name: String,
    /// File of the pc inside the inlined function.
    pub file: String,
    /// Line of the pc inside the inlined function.
    pub line: u32,
}

/// One logical frame at a pc (an inlined call or the physical function), borrowed from
/// the table. See [`Pclntab::frames`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Function name (`main.add`).
    pub name: &'a str,
    /// Source file of the position in this frame, if the table has one.
    pub file: Option<&'a str>,
    /// Source line of the position in this frame (0 if unknown).
    pub line: u32,
    /// The pc whose position this frame reports: the queried pc for the innermost frame,
    /// the call site (entry + parentPc) for its callers.
    pub pc: u64,
    /// True for inlined calls; false for the last (physical) frame.
    pub inlined: bool,
    /// Raw funcID of the function of this frame.
    pub func_id: FuncId,
}

/// A function of the pclntab.
#[derive(Debug, Clone, Copy)]
pub struct Func {
    /// Entry pc (unrelocated).
    pub entry: u64,
    /// End pc (exclusive).
    pub end: u64,
    /// Index into the function table.
    pub index: u32,
    /// Go funcID (0 = normal). Raw, per-version numbering: see [`Pclntab::func_kind`].
    pub func_id: FuncId,
    /// funcFlag bits ([`FUNC_FLAG_TOPFRAME`] = 1, [`FUNC_FLAG_SPWRITE`] = 2,
    /// [`FUNC_FLAG_ASM`] = 4).
    pub flag: u8,
}

/// Where the table bytes live.
enum Source {
    /// A byte range of the binary's file; funcdata read through file-backed memory.
    Binary {
        bin: Arc<Binary>,
        off: usize,
        len: usize,
    },
    /// Bare bytes (tests, fuzzing); `gofunc` holds the bytes at moduledata.gofunc.
    Owned { tab: Vec<u8>, gofunc: Vec<u8> },
}

/// The fields of one `_func` the queries need.
#[derive(Debug, Clone, Copy)]
struct RawFunc {
    /// Offset of the `_func` in the table.
    at: usize,
    name_off: i32,
    pcsp: u32,
    pcfile: u32,
    pcln: u32,
    npcdata: u32,
    cu_offset: u32,
    nfuncdata: u8,
}

/// The parsed pclntab of one binary.
pub struct Pclntab {
    src: Source,
    le: bool,
    ptr_size: usize,
    quantum: u32,
    go120: bool,
    nfunc: usize,
    text_start: u64,
    funcname: usize,
    cutab: usize,
    filetab: usize,
    pctab: usize,
    pclntable: usize,
    table_vaddr: Option<u64>,
    gofunc: Option<u64>,
    moduledata: Option<u64>,
    types: Option<(u64, u64)>,
    version_minor: OnceLock<u32>,
    build_minor: Option<u32>,
    by_name: OnceLock<Vec<u32>>,
}

impl std::fmt::Debug for Pclntab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pclntab")
            .field("nfunc", &self.nfunc)
            .field("text_start", &format_args!("{:#x}", self.text_start))
            .field("go120", &self.go120)
            .field("gofunc", &self.gofunc)
            .finish()
    }
}

/// The header fields, parsed and bounds-checked against the table length.
struct Header {
    le: bool,
    go120: bool,
    quantum: u32,
    ptr_size: usize,
    nfunc: usize,
    text_start: u64,
    funcname: usize,
    cutab: usize,
    filetab: usize,
    pctab: usize,
    pclntable: usize,
}

fn corrupt(detail: impl Into<String>) -> Error {
    Error::corrupt("pclntab", detail)
}

fn parse_header(tab: &[u8]) -> Result<Header> {
    let (magic, le) = read_magic(tab).ok_or_else(|| corrupt("table shorter than its magic"))?;
    check_magic(magic)?;
    let b = Bytes { data: tab, le };
    let (pad, quantum, ptr_size) = match tab.get(4..8) {
        Some(&[p1, p2, q, ps]) => ((p1, p2), q, ps),
        _ => return Err(corrupt("truncated header")),
    };
    if pad != (0, 0) || !matches!(quantum, 1 | 2 | 4) || !matches!(ptr_size, 4 | 8) {
        return Err(corrupt(format!(
            "bad header: pad {pad:?}, instruction quantum {quantum}, pointer size {ptr_size}"
        )));
    }
    let ps = usize::from(ptr_size);
    let word = |i: usize| -> Result<u64> {
        b.word_at(8 + i * ps, ps)
            .ok_or_else(|| corrupt("truncated header"))
    };
    let to_off = |v: u64, what: &str| -> Result<usize> {
        usize::try_from(v)
            .ok()
            .filter(|&o| o < tab.len())
            .ok_or_else(|| corrupt(format!("{what} offset {v:#x} outside the table")))
    };
    let nfunc = word(0)?;
    let text_start = word(2)?;
    let funcname = to_off(word(3)?, "funcnametab")?;
    let cutab = to_off(word(4)?, "cutab")?;
    let filetab = to_off(word(5)?, "filetab")?;
    let pctab = to_off(word(6)?, "pctab")?;
    let pclntable = to_off(word(7)?, "pclntable")?;
    // The ftab holds nfunc+1 {entryoff, funcoff} u32 pairs.
    let ftab_end = nfunc
        .checked_add(1)
        .and_then(|n| n.checked_mul(8))
        .and_then(|n| n.checked_add(pclntable as u64));
    if ftab_end.is_none_or(|e| e > tab.len() as u64) {
        return Err(corrupt(format!(
            "function table of {nfunc} functions does not fit in {} bytes",
            tab.len()
        )));
    }
    Ok(Header {
        le,
        go120: magic == MAGIC_120,
        quantum: u32::from(quantum),
        ptr_size: ps,
        // ftab_end fits in the table, so nfunc fits in usize.
        nfunc: usize::try_from(nfunc).map_err(|_| corrupt("nfunc"))?,
        text_start,
        funcname,
        cutab,
        filetab,
        pctab,
        pclntable,
    })
}

impl Pclntab {
    /// Find and parse the pclntab of `bin` (section `.gopclntab`, or by magic in
    /// `.data.rel.ro` for PIE). Clear error for a non-Go binary or a corrupt table.
    ///
    /// Also finds, when it can, the text start (`runtime.text`, the header, moduledata or
    /// the `.text` section) and the funcdata base `moduledata.gofunc` (symbol `go:func.*`,
    /// or runtime.firstmoduledata found by symbol or by scanning the data sections).
    pub fn new(bin: Arc<Binary>) -> Result<Self> {
        let loc = locate::locate_table(&bin)?;
        let tab = loc
            .off
            .checked_add(loc.len)
            .and_then(|end| bin.data().get(loc.off..end))
            .ok_or_else(|| corrupt("table outside the file"))?;
        let h = parse_header(tab)?;
        let build_minor = bin
            .build_info()
            .ok()
            .and_then(|b| b.version_tuple())
            .map(|(_, minor, _)| minor);
        let module = loc
            .vaddr
            .and_then(|va| locate::find_moduledata(&bin, va, h.funcname as u64, build_minor, h.le));
        let text_start = bin
            .elf_symbol("runtime.text")
            .map(|s| s.addr)
            .or((h.text_start != 0).then_some(h.text_start))
            .or(module.map(|m| m.text))
            .or(bin.section(".text").map(|s| s.addr))
            .unwrap_or(0);
        let gofunc = bin
            .elf_symbol("go:func.*")
            .or_else(|| bin.elf_symbol("go.func.*"))
            .map(|s| s.addr)
            .or(module.map(|m| m.gofunc));
        let mut t = Self::from_header(
            h,
            Source::Binary {
                bin,
                off: loc.off,
                len: loc.len,
            },
            text_start,
        );
        t.table_vaddr = loc.vaddr;
        t.gofunc = gofunc;
        t.moduledata = module.map(|m| m.addr);
        t.types = module.and_then(|m| m.types);
        t.build_minor = build_minor;
        let text_end = match &t.src {
            Source::Binary { bin, .. } => bin.section(".text").map(|s| s.addr + s.size),
            Source::Owned { .. } => None,
        };
        t.check_function_table(text_end)?;
        Ok(t)
    }

    /// The function table must be what the linker writes: at least one function, entries
    /// strictly increasing, every `_func` offset inside the table, and the end of the last
    /// function inside the text section (when known). A zeroed or overwritten table body
    /// fails here instead of answering `?` for every pc.
    fn check_function_table(&self, text_end: Option<u64>) -> Result<()> {
        if self.nfunc == 0 {
            return Err(corrupt("the function table is empty"));
        }
        let room = self.tab().data.len().saturating_sub(self.pclntable);
        let mut prev: Option<u32> = None;
        for i in 0..=self.nfunc {
            let (entry, funcoff) = self
                .ftab_entry(i)
                .ok_or_else(|| corrupt("function table truncated"))?;
            if i < self.nfunc && usize::try_from(funcoff).map_or(true, |o| o >= room) {
                return Err(corrupt(format!(
                    "the function table points outside the table (function {i} of {} at \
                     offset {funcoff:#x}): zeroed or overwritten",
                    self.nfunc
                )));
            }
            if let Some(p) = prev.filter(|&p| entry < p || (entry == p && i < self.nfunc)) {
                return Err(corrupt(format!(
                    "the function table is not sorted (entry {i} of {} at text+{entry:#x} \
                     after text+{p:#x}): zeroed or overwritten",
                    self.nfunc
                )));
            }
            prev = Some(entry);
        }
        let end = self.text_start.saturating_add(u64::from(prev.unwrap_or(0)));
        if let Some(text_end) = text_end.filter(|&e| self.text_start != 0 && end > e) {
            return Err(corrupt(format!(
                "the functions end at {end:#x}, past the end of .text at {text_end:#x}"
            )));
        }
        Ok(())
    }

    /// Parse a bare pclntab (tests, fuzzing, tables copied out of memory). `text_start`
    /// overrides the header's textStart (which Go 1.26+ no longer fills in); `gofunc` are
    /// the bytes at moduledata.gofunc, for the inline tree (empty: no inline info).
    pub fn from_bytes(table: Vec<u8>, text_start: Option<u64>, gofunc: Vec<u8>) -> Result<Self> {
        let h = parse_header(&table)?;
        let ts = text_start.unwrap_or(h.text_start);
        let has_gofunc = !gofunc.is_empty();
        let mut t = Self::from_header(h, Source::Owned { tab: table, gofunc }, ts);
        t.gofunc = has_gofunc.then_some(0);
        Ok(t)
    }

    fn from_header(h: Header, src: Source, text_start: u64) -> Self {
        Pclntab {
            src,
            le: h.le,
            ptr_size: h.ptr_size,
            quantum: h.quantum,
            go120: h.go120,
            nfunc: h.nfunc,
            text_start,
            funcname: h.funcname,
            cutab: h.cutab,
            filetab: h.filetab,
            pctab: h.pctab,
            pclntable: h.pclntable,
            table_vaddr: None,
            gofunc: None,
            moduledata: None,
            types: None,
            version_minor: OnceLock::new(),
            build_minor: None,
            by_name: OnceLock::new(),
        }
    }

    fn tab(&self) -> Bytes<'_> {
        let data: &[u8] = match &self.src {
            Source::Binary { bin, off, len } => off
                .checked_add(*len)
                .and_then(|end| bin.data().get(*off..end))
                .unwrap_or(&[]),
            Source::Owned { tab, .. } => tab,
        };
        Bytes { data, le: self.le }
    }

    /// Bytes at `gofunc + off`, from file-backed memory.
    fn gofunc_bytes(&self, off: u64, len: usize) -> Option<&[u8]> {
        let base = self.gofunc?;
        match &self.src {
            Source::Binary { bin, .. } => bin.read_vaddr(base.checked_add(off)?, len),
            Source::Owned { gofunc, .. } => {
                let o = usize::try_from(off).ok()?;
                gofunc.get(o..o.checked_add(len)?)
            }
        }
    }

    /// Number of functions.
    pub fn func_count(&self) -> usize {
        self.nfunc
    }

    /// Address the function table's entry offsets are relative to (`runtime.text`).
    pub fn text_start(&self) -> u64 {
        self.text_start
    }

    /// Instruction size quantum (`minLC`: 1 on amd64/386, 4 on arm64).
    pub fn quantum(&self) -> u32 {
        self.quantum
    }

    /// Pointer size the table was written for (8 or 4).
    pub fn ptr_size(&self) -> usize {
        self.ptr_size
    }

    /// True for the Go 1.20+ format (magic 0xfffffff1), false for Go 1.18-1.19.
    pub fn is_go120(&self) -> bool {
        self.go120
    }

    /// Unrelocated address of the pcHeader, when the table came from a binary.
    pub fn table_addr(&self) -> Option<u64> {
        self.table_vaddr
    }

    /// `moduledata.gofunc`, the base of funcdata (inline trees); `None` when it could not be
    /// found, in which case [`Pclntab::inlined_at`] reports no inlining.
    pub fn gofunc(&self) -> Option<u64> {
        match self.src {
            Source::Binary { .. } => self.gofunc,
            Source::Owned { .. } => None,
        }
    }

    /// Unrelocated address of runtime.firstmoduledata, if it was found.
    pub fn moduledata_addr(&self) -> Option<u64> {
        self.moduledata
    }

    /// Unrelocated `moduledata.types` and `moduledata.etypes` (`runtime.types`,
    /// `runtime.etypes`), if runtime.firstmoduledata was found.
    pub fn types_range(&self) -> Option<(u64, u64)> {
        self.types
    }

    fn ftab_entry(&self, index: usize) -> Option<(u32, u32)> {
        let at = self.pclntable.checked_add(index.checked_mul(8)?)?;
        let t = self.tab();
        Some((t.u32_at(at)?, t.u32_at(at + 4)?))
    }

    fn raw_func(&self, index: usize) -> Option<RawFunc> {
        if index >= self.nfunc {
            return None;
        }
        let (_, funcoff) = self.ftab_entry(index)?;
        let at = self.pclntable.checked_add(usize::try_from(funcoff).ok()?)?;
        let t = self.tab();
        let hdr = func_header_size(self.go120);
        // The whole fixed part must be there.
        t.data.get(at..at.checked_add(hdr)?)?;
        Some(RawFunc {
            at,
            name_off: t.u32_at(at + 4)? as i32,
            pcsp: t.u32_at(at + 16)?,
            pcfile: t.u32_at(at + 20)?,
            pcln: t.u32_at(at + 24)?,
            npcdata: t.u32_at(at + 28)?,
            cu_offset: t.u32_at(at + 32)?,
            nfuncdata: *t.data.get(at + hdr - 1)?,
        })
    }

    /// The i-th function (in pc order).
    pub fn func(&self, index: usize) -> Option<Func> {
        let raw = self.raw_func(index)?;
        let (entryoff, _) = self.ftab_entry(index)?;
        let (endoff, _) = self.ftab_entry(index + 1)?;
        // A corrupt table could list entries out of order; keep entry <= end for callers.
        if endoff < entryoff {
            return None;
        }
        let t = self.tab();
        let id_at = if self.go120 { 40 } else { 36 };
        Some(Func {
            entry: self.text_start.checked_add(u64::from(entryoff))?,
            end: self.text_start.checked_add(u64::from(endoff))?,
            index: u32::try_from(index).ok()?,
            func_id: *t.data.get(raw.at + id_at)?,
            flag: *t.data.get(raw.at + id_at + 1)?,
        })
    }

    /// Iterate over every function in pc order (unreadable entries are skipped).
    pub fn funcs(&self) -> impl Iterator<Item = Func> + '_ {
        (0..self.nfunc).filter_map(|i| self.func(i))
    }

    /// The function containing `pc` (binary search over the function table).
    pub fn func_for_pc(&self, pc: u64) -> Option<Func> {
        let off = u32::try_from(pc.checked_sub(self.text_start)?).ok()?;
        // Largest i in [0, nfunc) with entryoff(i) <= off.
        let (mut lo, mut hi) = (0usize, self.nfunc);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.ftab_entry(mid)?.0 <= off {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let i = lo.checked_sub(1)?;
        let f = self.func(i)?;
        (pc >= f.entry && pc < f.end).then_some(f)
    }

    /// Function by exact Go symbol name (`runtime.breakpoint`, `main.(*T).M`). The name
    /// index is built on first use (4 bytes per function); lookups allocate nothing.
    pub fn func_by_name(&self, name: &str) -> Option<Func> {
        let idx = self.by_name.get_or_init(|| {
            // Sorted by name, then wrappers last: an assembly function and its ABI wrapper
            // share a name (`go tool nm` calls one of them NAME.abi0); the real code wins.
            let mut v: Vec<(Option<&str>, bool, u32)> = (0..self.nfunc)
                .filter_map(|i| {
                    let f = self.func(i)?;
                    let wrapper = self.func_kind(&f) == FuncKind::Wrapper;
                    Some((self.name_at(i), wrapper, f.index))
                })
                .collect();
            v.sort_unstable();
            v.into_iter().map(|(_, _, i)| i).collect()
        });
        let pos = idx.partition_point(|&i| self.name_at(i as usize) < Some(name));
        let f = self.func(*idx.get(pos)? as usize)?;
        (self.try_name(&f) == Some(name)).then_some(f)
    }

    fn name_at(&self, index: usize) -> Option<&str> {
        let raw = self.raw_func(index)?;
        self.funcname_str(raw.name_off)
    }

    fn funcname_str(&self, name_off: i32) -> Option<&str> {
        let off = usize::try_from(name_off).ok()?;
        self.tab().cstr_at(self.funcname.checked_add(off)?)
    }

    /// The line the function starts on (`_func.startLine`, Go 1.20+); `None` before.
    pub fn start_line(&self, f: &Func) -> Option<u32> {
        if !self.go120 {
            return None;
        }
        let raw = self.raw_func(f.index as usize)?;
        self.tab().u32_at(raw.at.checked_add(36)?)
    }

    /// The function's name; `""` if the table's name offset is bad.
    pub fn name(&self, f: &Func) -> &str {
        self.try_name(f).unwrap_or("")
    }

    /// The function's name, `None` if the table's name offset is bad.
    pub fn try_name(&self, f: &Func) -> Option<&str> {
        self.name_at(f.index as usize)
    }

    /// The version-independent meaning of `f.func_id` (goexit, mstart, sigpanic, ...).
    pub fn func_kind(&self, f: &Func) -> FuncKind {
        FuncKind::from_raw(f.func_id, self.go_minor())
    }

    /// The Go minor version whose funcID numbering applies: from the build info, else
    /// calibrated on the binary's own runtime functions.
    pub fn go_minor(&self) -> u32 {
        *self.version_minor.get_or_init(|| {
            if let Some(m) = self.build_minor {
                return m;
            }
            if !self.go120 {
                return 18;
            }
            // goexit is 7 up to 1.21, 8 later; runFinalizers exists from 1.25. A linear
            // scan: this runs once, possibly while the name index is being built.
            let mut goexit = None;
            let mut finalizers = false;
            for i in 0..self.nfunc {
                match self.name_at(i) {
                    Some("runtime.goexit") => goexit = self.func(i).map(|f| f.func_id),
                    Some("runtime.runFinalizers") => finalizers = true,
                    _ => {}
                }
            }
            match goexit {
                Some(7) => 21,
                _ if finalizers => 25,
                _ => 24,
            }
        })
    }

    fn pctab_at(&self, off: u32) -> Option<&[u8]> {
        if off == 0 {
            return None;
        }
        self.tab()
            .data
            .get(self.pctab.checked_add(usize::try_from(off).ok()?)?..)
    }

    fn pcvalue(&self, f: &Func, table_off: u32, pc: u64) -> Option<i32> {
        if pc < f.entry || pc >= f.end {
            return None;
        }
        pcvalue(self.pctab_at(table_off)?, f.entry, self.quantum, pc)
    }

    fn file_name(&self, raw: &RawFunc, fileno: i32) -> Option<&str> {
        let fileno = u32::try_from(fileno).ok()?;
        let idx = usize::try_from(raw.cu_offset.checked_add(fileno)?).ok()?;
        let t = self.tab();
        let foff = t.u32_at(self.cutab.checked_add(idx.checked_mul(4)?)?)?;
        if foff == u32::MAX {
            return None;
        }
        t.cstr_at(self.filetab.checked_add(usize::try_from(foff).ok()?)?)
    }

    /// File and line of `pc` in `f`, straight from the pcfile/pcln tables. At a pc inside
    /// inlined code this is the position inside the innermost inlined function (what Go's
    /// runtime and `go tool addr2line` print); [`Pclntab::frames`] gives the call sites.
    pub fn file_line(&self, f: &Func, pc: u64) -> Option<(&str, u32)> {
        let raw = self.raw_func(f.index as usize)?;
        self.file_line_raw(f, &raw, pc)
    }

    fn file_line_raw(&self, f: &Func, raw: &RawFunc, pc: u64) -> Option<(&str, u32)> {
        let fileno = self.pcvalue(f, raw.pcfile, pc)?;
        let line = self.pcvalue(f, raw.pcln, pc)?;
        let file = self.file_name(raw, fileno)?;
        Some((file, u32::try_from(line).ok()?))
    }

    /// The pcfile and pcln tables of `f` merged as (start pc, end pc, file, line) rows, in
    /// pc order (a row wherever either changes); empty when they cannot be read.
    pub fn line_table(&self, f: &Func) -> Vec<(u64, u64, &str, u32)> {
        let Some(raw) = self.raw_func(f.index as usize) else {
            return Vec::new();
        };
        let (Some(ft), Some(lt)) = (self.pctab_at(raw.pcfile), self.pctab_at(raw.pcln)) else {
            return Vec::new();
        };
        let rows = |t| {
            PcValueIter::new(t, f.entry, self.quantum)
                .take_while(|&(start, _, _)| start < f.end)
                .collect::<Vec<_>>()
        };
        let (files, lines) = (rows(ft), rows(lt));
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while let (Some(&(fs, fe, fv)), Some(&(ls, le, lv))) = (files.get(i), lines.get(j)) {
            let (start, end) = (fs.max(ls), fe.min(le).min(f.end));
            if start < end {
                if let (Some(file), Ok(line)) = (self.file_name(&raw, fv), u32::try_from(lv)) {
                    out.push((start, end, file, line));
                }
            }
            if fe <= le {
                i += 1;
            } else {
                j += 1;
            }
        }
        out
    }

    /// The pcsp value at `pc`: bytes the function has pushed on its frame at that pc
    /// (0 at entry). The caller's return address is at `sp + sp_delta` on amd64.
    pub fn sp_delta(&self, f: &Func, pc: u64) -> Option<u32> {
        let raw = self.raw_func(f.index as usize)?;
        u32::try_from(self.pcvalue(f, raw.pcsp, pc)?).ok()
    }

    /// The pcsp table of `f` as (start pc, end pc, sp delta) rows.
    pub fn sp_table(&self, f: &Func) -> Vec<(u64, u64, i32)> {
        let Some(tab) = self
            .raw_func(f.index as usize)
            .and_then(|r| self.pctab_at(r.pcsp))
        else {
            return Vec::new();
        };
        PcValueIter::new(tab, f.entry, self.quantum)
            .take_while(|&(start, _, _)| start < f.end)
            .collect()
    }

    fn pcdata_off(&self, raw: &RawFunc, table: usize) -> Option<u32> {
        if table >= usize::try_from(raw.npcdata).ok()? {
            return None;
        }
        let at = raw
            .at
            .checked_add(func_header_size(self.go120))?
            .checked_add(table * 4)?;
        self.tab().u32_at(at).filter(|&o| o != 0)
    }

    fn funcdata_off(&self, raw: &RawFunc, slot: usize) -> Option<u32> {
        if slot >= usize::from(raw.nfuncdata) {
            return None;
        }
        let at = raw
            .at
            .checked_add(func_header_size(self.go120))?
            .checked_add(usize::try_from(raw.npcdata).ok()?.checked_mul(4)?)?
            .checked_add(slot * 4)?;
        self.tab().u32_at(at).filter(|&o| o != u32::MAX)
    }

    /// One inline tree record: (raw funcID, nameOff, parentPc).
    fn inlined_call(&self, tree: u32, ix: i32) -> Option<(u8, i32, i32)> {
        let size = inlined_call_size(self.go120);
        let ix = u64::try_from(ix).ok()?;
        let off = u64::from(tree).checked_add(ix.checked_mul(size as u64)?)?;
        let b = Bytes {
            data: self.gofunc_bytes(off, size)?,
            le: self.le,
        };
        if self.go120 {
            // {funcID u8, _ [3]u8, nameOff i32, parentPc i32, startLine i32}
            Some((*b.data.first()?, b.u32_at(4)? as i32, b.u32_at(8)? as i32))
        } else {
            // {parent i16, funcID u8, _ u8, file i32, line i32, func_ i32, parentPc i32}
            Some((*b.data.get(2)?, b.u32_at(12)? as i32, b.u32_at(16)? as i32))
        }
    }

    /// Every logical frame at `pc`, innermost first: the inlined calls (if the inline tree
    /// can be read), then `f` itself at its call site. Each frame's file:line is that of the
    /// pc it reports. Empty if `pc` is outside `f` or the tables are unreadable.
    ///
    /// For a caller frame found by unwinding, `pc` is a return address: pass `pc - 1` (the
    /// call instruction), as the runtime does; the result then matches
    /// `runtime.CallersFrames` frame for frame.
    pub fn frames(&self, f: &Func, pc: u64) -> Vec<Frame<'_>> {
        let mut out = Vec::new();
        let Some(raw) = self.raw_func(f.index as usize) else {
            return out;
        };
        if pc < f.entry || pc >= f.end {
            return out;
        }
        let tree = self.funcdata_off(&raw, FUNCDATA_INL_TREE);
        let inl_pc = self.pcdata_off(&raw, PCDATA_INL_TREE_INDEX);
        let mut pc = pc;
        if let (Some(tree), Some(inl_pc)) = (tree, inl_pc) {
            // Bounded: a corrupt tree could loop.
            for _ in 0..1024 {
                let Some(ix) = self.pcvalue(f, inl_pc, pc) else {
                    break;
                };
                if ix < 0 {
                    break;
                }
                let Some((func_id, name_off, parent_pc)) = self.inlined_call(tree, ix) else {
                    break;
                };
                let fl = self.file_line_raw(f, &raw, pc);
                out.push(Frame {
                    name: self.funcname_str(name_off).unwrap_or(""),
                    file: fl.map(|(file, _)| file),
                    line: fl.map_or(0, |(_, line)| line),
                    pc,
                    inlined: true,
                    func_id,
                });
                let Some(next) = u64::try_from(parent_pc)
                    .ok()
                    .and_then(|p| f.entry.checked_add(p))
                else {
                    break;
                };
                pc = next;
            }
        }
        let fl = self.file_line_raw(f, &raw, pc);
        out.push(Frame {
            name: self.funcname_str(raw.name_off).unwrap_or(""),
            file: fl.map(|(file, _)| file),
            line: fl.map_or(0, |(_, line)| line),
            pc,
            inlined: false,
            func_id: f.func_id,
        });
        out
    }

    /// Inlined frames active at `pc`, innermost first (empty if none, or if the inline tree
    /// cannot be found: see [`Pclntab::gofunc`]).
    pub fn inlined_at(&self, f: &Func, pc: u64) -> Vec<InlinedFrame> {
        self.frames(f, pc)
            .into_iter()
            .filter(|fr| fr.inlined)
            .map(|fr| InlinedFrame {
                name: fr.name.to_string(),
                file: fr.file.unwrap_or("").to_string(),
                line: fr.line,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
