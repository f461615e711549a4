//! The Go runtime model: layouts, goroutine enumeration, status and wait reasons,
//! stack unwinding, grouping.
//!
//! [`GoRuntime`] is built once per binary (pclntab, layout from DWARF or the fallback
//! tables, addresses of `runtime.allgs` and friends). [`GoRuntime::goroutines`] then reads
//! every goroutine of a process or core through a [`Memory`] in a few batched reads:
//! the `allgs` pointer array, all `g` structs (sorted and coalesced), the `m` structs of
//! running goroutines, and one window of stack per goroutine. A goroutine that cannot be
//! read becomes a record with `error` set; enumeration never aborts because of one `g`.

pub mod fallback;
pub mod fxhash;
mod group;
mod labels;
pub mod layout;
pub mod listing;
pub mod unwind;

pub use group::{group, Bucket};
pub use layout::{Layout, LayoutSource};
pub use unwind::{Frame, Stack, StackMem, SymCache, UnwindStart, DEFAULT_MAX_DEPTH};

use std::sync::{Arc, OnceLock};

use crate::binary::{Arch, Binary};
use crate::dwarf::Dwarf;
use crate::error::{Error, Result};
use crate::mem::{le_u32, le_u64, le_word, Memory, PageCache, ReadReq};
use crate::pclntab::Pclntab;
use crate::symbols::Symbols;

/// Registers of one OS thread, as the caller knows them (gdb threads, core notes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadRegs {
    /// Thread id (LWP).
    pub tid: i64,
    /// Program counter.
    pub pc: u64,
    /// Stack pointer.
    pub sp: u64,
    /// Frame pointer.
    pub bp: u64,
    /// Link register (arm64), 0 otherwise.
    pub lr: u64,
}

/// Options of an enumeration.
#[derive(Debug, Clone)]
pub struct Options {
    /// Also list dead goroutines (kept in allgs for reuse).
    pub include_dead: bool,
    /// Unwind at most this many frames per goroutine (0 = no stacks at all).
    pub max_depth: usize,
    /// The thread the user looks at (gdb's selected thread, the core's signalled thread):
    /// the goroutine running on it is marked `current`.
    pub current_tid: Option<i64>,
    /// Stop unwinding a goroutine at its first frame outside the runtime (its
    /// `user_frame`): enough for a one-line listing, and much cheaper than whole stacks.
    /// A goroutine without such a frame is still unwound completely.
    pub stop_at_user_frame: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            include_dead: false,
            max_depth: DEFAULT_MAX_DEPTH,
            current_tid: None,
            stop_at_user_frame: false,
        }
    }
}

/// Where the registers a goroutine was unwound from came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegsSource {
    /// `g.sched`: a parked or runnable goroutine (or a running one without thread info).
    Sched,
    /// The OS thread's registers (a running goroutine).
    Thread,
    /// `g.syscallsp/pc`: a goroutine in a system call.
    Syscall,
}

impl RegsSource {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            RegsSource::Sched => "sched",
            RegsSource::Thread => "thread",
            RegsSource::Syscall => "syscall",
        }
    }
}

/// A source location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Function name.
    pub func: String,
    /// File.
    pub file: String,
    /// Line.
    pub line: u32,
    /// The pc (relocated).
    pub pc: u64,
}

/// One goroutine, as read from memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goroutine {
    /// Address of the `runtime.g`.
    pub addr: u64,
    /// Goroutine id (0 if unreadable).
    pub goid: u64,
    /// Raw `atomicstatus` (may carry the `_Gscan` bit).
    pub status: u32,
    /// The runtime's name of the status (`waiting`, `running`, ...).
    pub status_name: String,
    /// What `runtime.Stack` prints between brackets: the wait reason of a waiting
    /// goroutine, else the status name.
    pub state: String,
    /// Wait reason name (empty when none).
    pub wait_reason: String,
    /// Raw wait reason code.
    pub wait_reason_code: u8,
    /// `waitsince` (nanotime when it blocked, 0 if unknown).
    pub waitsince: i64,
    /// pc the stack was unwound from.
    pub pc: u64,
    /// sp the stack was unwound from.
    pub sp: u64,
    /// bp at that point (0 if unknown).
    pub bp: u64,
    /// Where pc/sp came from.
    pub regs: RegsSource,
    /// Stack bounds [lo, hi).
    pub stack_lo: u64,
    /// Upper stack bound.
    pub stack_hi: u64,
    /// Frames, innermost first.
    pub frames: Vec<Frame>,
    /// Why the unwind stopped early, if it did.
    pub stack_error: Option<String>,
    /// True when the depth guard cut the stack.
    pub truncated: bool,
    /// Frames where the frame-pointer chain disagreed with the pcsp unwind.
    pub fp_mismatches: usize,
    /// Index in `frames` of the first frame outside the runtime.
    pub user_frame: Option<usize>,
    /// The `go` statement that created it (function and file:line of the call).
    pub go_statement: Option<Location>,
    /// The goroutine's start function.
    pub start_func: Option<String>,
    /// `startpc` (relocated), 0 if none.
    pub start_pc: u64,
    /// Goid of the creating goroutine (Go 1.21+), 0 for none.
    pub parent_goid: Option<u64>,
    /// pprof labels, sorted by key.
    pub labels: Vec<(String, String)>,
    /// OS thread id when it runs on (or is in a syscall on) a thread.
    pub thread_id: Option<i64>,
    /// The runtime's M id when on an M.
    pub m_id: Option<i64>,
    /// `runtime.LockOSThread` is in effect.
    pub locked_to_thread: bool,
    /// A system goroutine (start function in package runtime, not runtime.main).
    pub system: bool,
    /// Runs on the thread named by `Options::current_tid`.
    pub current: bool,
    /// Set when the goroutine could not be read (the other fields are then partial).
    pub error: Option<String>,
}

impl Goroutine {
    fn unreadable(addr: u64, err: String) -> Self {
        Goroutine {
            addr,
            goid: 0,
            status: 0,
            status_name: "unreadable".into(),
            state: "unreadable".into(),
            wait_reason: String::new(),
            wait_reason_code: 0,
            waitsince: 0,
            pc: 0,
            sp: 0,
            bp: 0,
            regs: RegsSource::Sched,
            stack_lo: 0,
            stack_hi: 0,
            frames: Vec::new(),
            stack_error: None,
            truncated: false,
            fp_mismatches: 0,
            user_frame: None,
            go_statement: None,
            start_func: None,
            start_pc: 0,
            parent_goid: None,
            labels: Vec::new(),
            thread_id: None,
            m_id: None,
            locked_to_thread: false,
            system: false,
            current: false,
            error: Some(err),
        }
    }

    /// The innermost frame.
    pub fn current_frame(&self) -> Option<&Frame> {
        self.frames.first()
    }

    /// The first frame outside the runtime.
    pub fn user_location(&self) -> Option<&Frame> {
        self.user_frame.and_then(|i| self.frames.get(i))
    }
}

/// The runtime model of one Go binary.
pub struct GoRuntime {
    syms: Arc<Symbols>,
    bin: Arc<Binary>,
    pcln: Arc<Pclntab>,
    layout: Layout,
    version: (u32, u32),
    allgs: u64,
    wait_reasons_addr: Option<(u64, usize)>,
    wait_reasons: OnceLock<Vec<String>>,
}

/// Address of a runtime variable: ELF .symtab first (kept by `-w`), then DWARF.
fn var_addr(bin: &Binary, dwarf: Option<&Dwarf>, name: &str) -> Option<(u64, u64)> {
    if let Some(s) = bin.elf_symbol(name) {
        return Some((s.addr, s.size));
    }
    dwarf
        .and_then(|d| d.variable(name))
        .map(|v| (v.addr, v.size))
}

impl GoRuntime {
    /// Build the model from a program's [`Symbols`]: its pclntab and DWARF are shared, not
    /// opened again. The layout comes from DWARF when the binary has it, else from the
    /// fallback table for the Go release named in the build info.
    pub fn new(syms: Arc<Symbols>) -> Result<Self> {
        let bin = syms.binary().clone();
        let pcln = syms.pclntab()?;
        let dwarf = if bin.has_dwarf() {
            Some(syms.dwarf())
        } else {
            None
        };
        let ptr_size = bin.ptr_size();
        let version = bin
            .build_info()
            .ok()
            .and_then(|b| b.version_tuple())
            .map(|(a, b, _)| (a, b));
        let from_dwarf = dwarf.as_ref().map(|d| {
            d.as_ref()
                .map_err(Error::clone)
                .and_then(|d| Layout::from_dwarf(d, ptr_size))
        });
        let layout = match from_dwarf {
            Some(Ok(l)) => l,
            other => {
                let why = match other {
                    Some(Err(e)) => format!("DWARF layout unusable ({e})"),
                    _ => "no DWARF".into(),
                };
                let v = version.ok_or_else(|| {
                    Error::NoGoVersion(format!("{why} and no Go version in the build info"))
                })?;
                fallback::layout(v, ptr_size).ok_or_else(|| {
                    Error::Unsupported(format!(
                        "{why}, and no built-in runtime layout for Go {}.{} ({}-bit)",
                        v.0,
                        v.1,
                        ptr_size * 8
                    ))
                })?
            }
        };
        let dwarf = dwarf.and_then(|d| d.ok());
        let dwarf = dwarf.as_deref();
        let allgs = var_addr(&bin, dwarf, "runtime.allgs")
            .map(|(a, _)| a)
            .ok_or_else(|| {
                Error::NotFound(
                    "runtime.allgs: no symbol table or DWARF entry (stripped binary?)".into(),
                )
            })?;
        let wait_reasons_addr = var_addr(&bin, dwarf, "runtime.waitReasonStrings")
            .and_then(|(a, size)| Some((a, usize::try_from(size).ok()? / (2 * ptr_size))));
        Ok(GoRuntime {
            syms,
            bin,
            pcln,
            layout,
            version: version.unwrap_or((1, 0)),
            allgs,
            wait_reasons_addr,
            wait_reasons: OnceLock::new(),
        })
    }

    /// The program's symbols (shared with the caller).
    pub fn symbols(&self) -> &Arc<Symbols> {
        &self.syms
    }

    /// The layout in use.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The pclntab.
    pub fn pclntab(&self) -> &Arc<Pclntab> {
        &self.pcln
    }

    /// The binary.
    pub fn binary(&self) -> &Arc<Binary> {
        &self.bin
    }

    /// Wait-reason names from the binary's own `runtime.waitReasonStrings` (read from
    /// `mem` when available, for PIE relocations; else from the file).
    pub fn wait_reasons(&self, mem: Option<&dyn Memory>, bias: u64) -> &[String] {
        if let Some(v) = self.wait_reasons.get() {
            return v;
        }
        let Some((addr, n)) = self.wait_reasons_addr else {
            return &[];
        };
        let p = self.layout.ptr_size;
        let n = n.min(256);
        let read = |a: u64, len: usize| -> Option<Vec<u8>> {
            if let Some(m) = mem {
                let mut b = vec![0u8; len];
                if m.read_into(a.wrapping_add(bias), &mut b).is_ok() {
                    return Some(b);
                }
            }
            self.bin.read_vaddr(a, len).map(<[u8]>::to_vec)
        };
        let Some(hdrs) = read(addr, n * 2 * p) else {
            return &[];
        };
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let ptr = le_word(&hdrs, i * 2 * p, p).unwrap_or(0);
            let len = le_word(&hdrs, i * 2 * p + p, p).unwrap_or(0).min(256) as usize;
            let s = if len == 0 {
                String::new()
            } else {
                // The pointers are relocated in memory (PIE); the file has link addresses.
                let bytes = mem
                    .and_then(|m| {
                        let mut b = vec![0u8; len];
                        m.read_into(ptr, &mut b).ok().map(|()| b)
                    })
                    .or_else(|| {
                        self.bin
                            .read_vaddr(ptr.wrapping_sub(bias), len)
                            .map(<[u8]>::to_vec)
                    })
                    .unwrap_or_default();
                String::from_utf8_lossy(&bytes).into_owned()
            };
            out.push(s);
        }
        if out.iter().all(String::is_empty) {
            return &[];
        }
        self.wait_reasons.get_or_init(|| out)
    }

    /// Read the `allgs` pointer array.
    fn allg_pointers(&self, mem: &dyn Memory, bias: u64) -> Result<Vec<u64>> {
        let p = self.layout.ptr_size;
        let at = self.allgs.wrapping_add(bias);
        let mut hdr = vec![0u8; 3 * p];
        mem.read_into(at, &mut hdr).map_err(|e| {
            Error::Mismatch(format!(
                "cannot read runtime.allgs at {at:#x} ({e}); is this memory from this binary?"
            ))
        })?;
        let ptr = le_word(&hdr, 0, p).unwrap_or(0);
        let len = le_word(&hdr, p, p).unwrap_or(0);
        let cap = le_word(&hdr, 2 * p, p).unwrap_or(0);
        if len > cap || len > 50_000_000 || (len > 0 && ptr == 0) {
            return Err(Error::corrupt(
                "runtime data",
                format!("runtime.allgs = {{ptr {ptr:#x}, len {len}, cap {cap}}} is not a valid slice; memory and binary do not match?"),
            ));
        }
        let n = len as usize;
        let mut arr = vec![0u8; n * p];
        mem.read_into(ptr, &mut arr).map_err(|e| {
            Error::NotFound(format!("cannot read the allgs array ({n} pointers): {e}"))
        })?;
        Ok((0..n).filter_map(|i| le_word(&arr, i * p, p)).collect())
    }

    /// Enumerate goroutines. Fails only when `allgs` itself cannot be read (wrong memory,
    /// not a Go process); a bad goroutine becomes a record with `error` set.
    pub fn goroutines(
        &self,
        mem: &dyn Memory,
        bias: u64,
        threads: &[ThreadRegs],
        opts: &Options,
    ) -> Result<Vec<Goroutine>> {
        let cache = PageCache::new(mem);
        let gptrs = self.allg_pointers(&cache, bias)?;
        let lay = &self.layout;
        let gsize = usize::try_from(lay.g.size).unwrap_or(0).max(64);
        let gbufs = read_coalesced(mem, &gptrs, gsize);
        let reasons = self.wait_reasons(Some(&cache), bias);
        let p = lay.ptr_size;

        let mut out: Vec<Goroutine> = Vec::with_capacity(gptrs.len());
        // Index into gptrs/gbufs of each record of `out`.
        let mut src: Vec<usize> = Vec::with_capacity(gptrs.len());
        for (idx, gaddr) in gptrs.iter().enumerate() {
            let Some(buf) = gbufs.get(idx) else {
                out.push(Goroutine::unreadable(
                    *gaddr,
                    format!("cannot read runtime.g at {gaddr:#x}"),
                ));
                src.push(idx);
                continue;
            };
            match self.parse_g(*gaddr, buf, reasons) {
                Some(g) => {
                    let s = g.status & !lay.status.scan;
                    let dead = s == lay.status.dead || Some(s) == lay.status.deadextra;
                    if dead && !opts.include_dead {
                        continue;
                    }
                    out.push(g);
                    src.push(idx);
                }
                None => {
                    out.push(Goroutine::unreadable(
                        *gaddr,
                        format!("runtime.g at {gaddr:#x} is truncated"),
                    ));
                    src.push(idx);
                }
            }
        }

        // M structs of goroutines on a thread: procid (thread id) and id.
        let mut m_ptrs: Vec<u64> = Vec::new();
        let mut g_m: Vec<u64> = Vec::with_capacity(out.len());
        for i in &src {
            let m = gbufs
                .get(*i)
                .and_then(|b| le_word(b, lay.g.m as usize, p))
                .unwrap_or(0);
            g_m.push(m);
            if m != 0 {
                m_ptrs.push(m);
            }
        }
        m_ptrs.sort_unstable();
        m_ptrs.dedup();
        let msize = (lay.m.procid.max(lay.m.curg).max(lay.m.id) + 8) as usize;
        let mbufs = read_coalesced(mem, &m_ptrs, msize);

        // Registers per goroutine. A running goroutine whose thread is off its stack (in a
        // signal handler, on g0 in systemstack) is unwound from the thread's registers and
        // the frames before the first one on the goroutine's stack are dropped.
        let mut off_stack: Vec<Option<ThreadRegs>> = vec![None; out.len()];
        for ((g, m), alt) in out.iter_mut().zip(g_m.iter()).zip(off_stack.iter_mut()) {
            if g.error.is_some() {
                continue;
            }
            let s = g.status & !lay.status.scan;
            if *m != 0 {
                if let Ok(i) = m_ptrs.binary_search(m) {
                    if let Some(mb) = mbufs.get(i) {
                        g.thread_id = le_u64(mb, lay.m.procid as usize).map(|v| v as i64);
                        g.m_id = le_u64(mb, lay.m.id as usize).map(|v| v as i64);
                    }
                }
            }
            if s == lay.status.running {
                let th = g
                    .thread_id
                    .and_then(|tid| threads.iter().find(|t| t.tid == tid));
                if let Some(t) = th {
                    if t.sp >= g.stack_lo && t.sp < g.stack_hi {
                        g.pc = t.pc;
                        g.sp = t.sp;
                        g.bp = t.bp;
                        g.regs = RegsSource::Thread;
                    } else {
                        *alt = Some(*t);
                    }
                }
                if let (Some(cur), Some(tid)) = (opts.current_tid, g.thread_id) {
                    g.current = cur == tid;
                }
            } else if s == lay.status.syscall && g.regs == RegsSource::Syscall {
                if let (Some(cur), Some(tid)) = (opts.current_tid, g.thread_id) {
                    g.current = cur == tid;
                }
            }
            if s != lay.status.running && s != lay.status.syscall {
                g.thread_id = None;
                g.m_id = None;
            }
        }

        // Stack windows, one batch.
        if opts.max_depth > 0 {
            // A listing usually finds the first user frame within the innermost 1 KiB;
            // words beyond the window still come through the page cache.
            let window: u64 = if opts.stop_at_user_frame { 1024 } else { 4096 };
            let lens: Vec<usize> = out
                .iter()
                .map(|g| {
                    if g.error.is_none() && g.sp != 0 && g.sp < g.stack_hi {
                        (g.stack_hi - g.sp).min(window) as usize
                    } else {
                        0
                    }
                })
                .collect();
            let mut all = vec![0u8; lens.iter().sum()];
            let mut reqs: Vec<ReadReq<'_>> = Vec::with_capacity(out.len());
            let mut rest: &mut [u8] = &mut all;
            for (g, n) in out.iter().zip(&lens) {
                let (head, tail) = rest.split_at_mut((*n).min(rest.len()));
                reqs.push((g.sp, head));
                rest = tail;
            }
            let ok = mem.read_batch(&mut reqs);
            drop(reqs);
            let mut bufs: Vec<&[u8]> = Vec::with_capacity(out.len());
            let mut rest: &[u8] = &all;
            for n in &lens {
                let (head, tail) = rest.split_at((*n).min(rest.len()));
                bufs.push(head);
                rest = tail;
            }
            let mut syms = SymCache::new();
            for (((g, buf), r), alt) in out.iter_mut().zip(bufs.iter()).zip(ok).zip(&off_stack) {
                if g.error.is_some() {
                    continue;
                }
                if let Some(t) = alt {
                    if self.unwind_off_stack(g, t, &cache, &mut syms, bias, opts.max_depth) {
                        continue;
                    }
                }
                if g.pc == 0 || g.sp == 0 {
                    g.stack_error = Some("no saved registers (running, thread unknown)".into());
                    continue;
                }
                let window: &[u8] = if r.is_ok() { buf } else { &[] };
                let sm = StackMem {
                    base: g.sp,
                    window,
                    mem: &cache,
                    ptr_size: p,
                };
                let start = UnwindStart {
                    pc: g.pc,
                    sp: g.sp,
                    bp: g.bp,
                    lr: 0,
                    exact: g.regs == RegsSource::Thread,
                };
                let st = unwind::unwind_with(
                    &self.pcln,
                    &mut syms,
                    self.bin.arch(),
                    bias,
                    start,
                    &sm,
                    opts.max_depth,
                    opts.stop_at_user_frame,
                );
                g.frames = st.frames;
                g.stack_error = st.error;
                g.truncated = st.truncated;
                g.fp_mismatches = st.fp_mismatches;
                g.user_frame = g.frames.iter().position(|f| !f.is_runtime());
            }
            self.fill_pcs(&mut out, &mut syms, bias);
        } else {
            let mut syms = SymCache::new();
            self.fill_pcs(&mut out, &mut syms, bias);
        }

        // Labels: few goroutines have them; read through the cache.
        if lay.g.labels.is_some() {
            let slice_form = fallback::labels_are_slice(self.version);
            for (g, i) in out.iter_mut().zip(src.iter()) {
                let Some(buf) = gbufs.get(*i) else {
                    continue;
                };
                let lp = lay
                    .g
                    .labels
                    .and_then(|o| le_word(buf, o as usize, p))
                    .unwrap_or(0);
                if lp != 0 {
                    g.labels = labels::read(&cache, lp, p, slice_form);
                }
            }
        }
        Ok(out)
    }

    /// Unwind a running goroutine from its thread's registers when the thread is not on
    /// the goroutine's stack. True when that gave the goroutine's frames.
    fn unwind_off_stack(
        &self,
        g: &mut Goroutine,
        t: &ThreadRegs,
        mem: &dyn Memory,
        syms: &mut SymCache,
        bias: u64,
        max_depth: usize,
    ) -> bool {
        let sm = StackMem {
            base: t.sp,
            window: &[],
            mem,
            ptr_size: self.layout.ptr_size,
        };
        let start = UnwindStart {
            pc: t.pc,
            sp: t.sp,
            bp: t.bp,
            lr: t.lr,
            exact: true,
        };
        let st = unwind::unwind(
            &self.pcln,
            syms,
            self.bin.arch(),
            bias,
            start,
            &sm,
            max_depth.saturating_add(64),
        );
        let on_g = |f: &Frame| f.sp >= g.stack_lo && f.sp < g.stack_hi;
        let Some(first) = st.frames.iter().position(on_g) else {
            if g.sp != 0 {
                return false; // in systemstack: g.sched is valid
            }
            g.frames = st.frames;
            g.frames.truncate(max_depth);
            g.stack_error = Some("the thread is not on this goroutine's stack".into());
            g.user_frame = g.frames.iter().position(|f| !f.is_runtime());
            g.regs = RegsSource::Thread;
            return true;
        };
        let Some(f0) = st.frames.get(first) else {
            return false;
        };
        g.pc = f0.pc;
        g.sp = f0.sp;
        g.bp = 0;
        g.regs = RegsSource::Thread;
        g.frames = st
            .frames
            .get(first..)
            .map(<[Frame]>::to_vec)
            .unwrap_or_default();
        g.truncated = g.frames.len() > max_depth || st.truncated;
        g.frames.truncate(max_depth);
        g.stack_error = st.error;
        g.user_frame = g.frames.iter().position(|f| !f.is_runtime());
        true
    }

    /// Go statement and start function of each goroutine.
    fn fill_pcs(&self, out: &mut [Goroutine], syms: &mut SymCache, bias: u64) {
        for g in out.iter_mut() {
            if let Some(loc) = g.go_statement.as_mut() {
                // gopc is a return address: the runtime prints the outermost function's
                // name with the line of the call instruction (pc-1).
                let fr = syms.frames_at(&self.pcln, bias, loc.pc, false);
                if let (Some(inner), Some(outer)) = (fr.first(), fr.last()) {
                    loc.func = outer.func.to_string();
                    loc.file = inner.file.to_string();
                    loc.line = inner.line;
                } else {
                    loc.func = format!("{:#x}", loc.pc);
                }
            }
            if g.start_pc != 0 {
                let fr = syms.frames_at(&self.pcln, bias, g.start_pc, true);
                if let Some(outer) = fr.last() {
                    g.start_func = Some(outer.func.to_string());
                    g.system = is_system_start(&outer.func);
                }
            }
        }
    }

    fn parse_g(&self, addr: u64, buf: &[u8], reasons: &[String]) -> Option<Goroutine> {
        let l = &self.layout.g;
        let p = self.layout.ptr_size;
        let w = |o: u64| le_word(buf, o as usize, p);
        let status = le_u32(buf, l.atomicstatus as usize)?;
        let goid = le_u64(buf, l.goid as usize)?;
        let code = *buf.get(l.waitreason as usize)?;
        let st = &self.layout.status;
        let s = status & !st.scan;
        let status_name = st.name(status);
        let wait_reason = if s == st.waiting && code != 0 {
            reasons
                .get(usize::from(code))
                .filter(|r| !r.is_empty())
                .cloned()
                .unwrap_or_else(|| format!("wait reason {code}"))
        } else {
            String::new()
        };
        let mut state = if wait_reason.is_empty() {
            status_name.clone()
        } else {
            wait_reason.clone()
        };
        if status & st.scan != 0 {
            state.push_str(" (scan)");
        }
        let (pc, sp, bp, regs) = if s == st.syscall && w(l.syscallsp)? != 0 {
            (
                w(l.syscallpc)?,
                w(l.syscallsp)?,
                w(l.sched_bp)?,
                RegsSource::Syscall,
            )
        } else {
            (
                w(l.sched_pc)?,
                w(l.sched_sp)?,
                w(l.sched_bp)?,
                RegsSource::Sched,
            )
        };
        let gopc = w(l.gopc)?;
        let startpc = w(l.startpc)?;
        let locked = l.lockedm.and_then(w).unwrap_or(0) != 0;
        Some(Goroutine {
            addr,
            goid,
            status,
            status_name,
            state,
            wait_reason,
            wait_reason_code: code,
            waitsince: le_u64(buf, l.waitsince as usize)? as i64,
            pc,
            sp,
            bp,
            regs,
            stack_lo: w(l.stack_lo)?,
            stack_hi: w(l.stack_hi)?,
            frames: Vec::new(),
            stack_error: None,
            truncated: false,
            fp_mismatches: 0,
            user_frame: None,
            go_statement: (gopc != 0).then(|| Location {
                func: String::new(),
                file: String::new(),
                line: 0,
                pc: gopc,
            }),
            start_func: None,
            start_pc: startpc,
            parent_goid: l.parent_goid.and_then(|o| le_u64(buf, o as usize)),
            labels: Vec::new(),
            thread_id: None,
            m_id: None,
            locked_to_thread: locked,
            system: false,
            current: false,
            error: None,
        })
    }

    /// Unwind from explicit registers (a thread, a frame the user picked).
    pub fn unwind(
        &self,
        mem: &dyn Memory,
        bias: u64,
        start: UnwindStart,
        max_depth: usize,
    ) -> Stack {
        let cache = PageCache::new(mem);
        let sm = StackMem {
            base: start.sp,
            window: &[],
            mem: &cache,
            ptr_size: self.layout.ptr_size,
        };
        let mut syms = SymCache::new();
        unwind::unwind(
            &self.pcln,
            &mut syms,
            self.bin.arch(),
            bias,
            start,
            &sm,
            max_depth,
        )
    }

    /// The architecture.
    pub fn arch(&self) -> Arch {
        self.bin.arch()
    }
}

/// `runtime.isSystemGoroutine` by name: started in package runtime, except runtime.main.
/// The finalizer and cleanup goroutines count as system ones (as the runtime does while
/// they are idle, which is nearly always).
pub fn is_system_start(start: &str) -> bool {
    start.starts_with("runtime.")
        && !matches!(
            start,
            "runtime.main" | "runtime.handleAsyncEvent" | "runtime.corostart"
        )
}

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
        for i in order.iter().skip(*first).take(*n) {
            let a = addrs.get(*i).copied().unwrap_or(0);
            let slot = if r.is_ok() {
                Some((b, (a - s) as usize))
            } else {
                // The run failed as a whole: retry this one alone.
                let mut one = vec![0u8; size];
                mem.read_into(a, &mut one).ok().map(|()| {
                    out.singles.push(one);
                    (usize::MAX, out.singles.len() - 1)
                })
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
    fn grouping_folds_same_state_and_frames() {
        let mk = |goid: u64, state: &str, func: &str, current: bool| {
            let mut g = Goroutine::unreadable(0, String::new());
            g.error = None;
            g.goid = goid;
            g.state = state.into();
            g.current = current;
            g.frames = vec![Frame {
                pc: 1,
                sp: 2,
                func: Arc::from(func),
                file: Arc::from("f.go"),
                line: 3,
                inlined: false,
                entry: 0,
                wrapper: false,
            }];
            g
        };
        let gs = vec![
            mk(5, "chan receive", "main.a", false),
            mk(2, "chan receive", "main.a", false),
            mk(9, "sleep", "main.b", true),
            mk(3, "chan receive", "main.c", false),
            mk(4, "select", "main.a", false),
        ];
        let b = group(&gs);
        assert_eq!(b.len(), 4);
        assert!(b[0].current && b[0].goids == vec![9]);
        assert_eq!(b[1].goids, vec![2, 5]);
        assert_eq!(b[1].members, vec![1, 0]);
        assert!(is_system_start("runtime.bgsweep") && !is_system_start("runtime.main"));
    }
}
