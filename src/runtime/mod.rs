//! The Go runtime model: layouts, goroutine enumeration, status and wait reasons,
//! stack unwinding, the views of a snapshot.
//!
//! [`GoRuntime`] is built once per binary (pclntab, layout from DWARF or the fallback
//! tables, addresses of `runtime.allgs` and friends). [`GoRuntime::goroutines`] then reads
//! every goroutine of a process or core through a [`Memory`] in a few batched reads:
//! the `allgs` pointer array, all `g` structs (sorted and coalesced), the `m` structs of
//! running goroutines, and one window of stack per goroutine. A goroutine that cannot be
//! read becomes a record with `error` set; enumeration never aborts because of one `g`.

mod chunks;
pub mod fallback;
pub mod fatal;
pub(crate) mod fxhash;
pub mod heap;
mod labels;
pub mod layout;
pub mod leaks;
pub mod panic;
mod records;
mod spare;
pub mod stackscan;
mod statuses;
pub mod target;
pub(crate) mod unwind;
pub mod waits;
pub mod waits_layout;

pub use chunks::Census;
use chunks::*;
pub use layout::{Layout, LayoutSource};
pub use records::{Goroutine, Goroutines, Location, Options, RegsSource, ThreadRegs};
use spare::record_vec;
pub use unwind::{Frame, Frames, Stack, SymCache, UnwindOptions, UnwindStart, DEFAULT_MAX_DEPTH};

use std::sync::{Arc, OnceLock};

use fxhash::FxHashSet;

use crate::binary::{Arch, Binary};
use crate::dwarf::Dwarf;
use crate::error::{Error, Result};
use crate::ids::{Addr, GoId, Pc};
use crate::mem::{
    le_u32, le_u64, le_word, read_coalesced, read_coalesced_into, Memory, PageCache, ReadReq,
    SliceHeader, Target,
};
use crate::pclntab::Pclntab;
use crate::symbols::Symbols;

/// The runtime model of one Go binary.
pub struct GoRuntime {
    syms: Arc<Symbols>,
    bin: Arc<Binary>,
    pcln: Arc<Pclntab>,
    layout: Layout,
    version: (u32, u32),
    allgs: u64,
    /// `runtime.allm` (the list of Ms), when its address is known.
    allm: Option<u64>,
    wait_reasons_addr: Option<(u64, usize)>,
    wait_reasons: OnceLock<Vec<String>>,
    /// The main module's path (build info `mod` line): the user frame's module.
    main_module: Option<Arc<str>>,
    /// Offset of `g._panic`.
    g_panic: u64,
    /// Buffers of the threads of the last enumeration (g structs, stack windows), reused.
    spare: std::sync::Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
}

/// Address of a runtime variable: ELF .symtab first (kept by `-w`), then DWARF, then the
/// code and data of a stripped binary ([`crate::disasm`]).
pub(crate) fn var_addr(syms: &Symbols, dwarf: Option<&Dwarf>, name: &str) -> Option<(u64, u64)> {
    if let Some(s) = syms.binary().elf_symbol(name) {
        return Some((s.addr, s.size));
    }
    dwarf
        .and_then(|d| d.variable(name))
        .map(|v| (v.addr, v.size))
        .or_else(|| syms.located(name).map(|l| (l.addr, l.size)))
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
        let allgs = var_addr(&syms, dwarf, "runtime.allgs")
            .map(|(a, _)| a)
            .ok_or_else(|| {
                Error::NotFound(
                    "runtime.allgs: no symbol table or DWARF entry, and not found from the code of runtime.allgadd / forEachG".into(),
                )
            })?;
        let allm = var_addr(&syms, dwarf, "runtime.allm").map(|(a, _)| a);
        let wait_reasons_addr = var_addr(&syms, dwarf, "runtime.waitReasonStrings")
            .and_then(|(a, size)| Some((a, usize::try_from(size).ok()? / (2 * ptr_size))));
        let main_module = bin
            .build_info()
            .ok()
            .and_then(|b| b.main_module)
            .map(|(path, _)| Arc::from(path.as_str()));
        Ok(GoRuntime {
            bin,
            pcln,
            layout,
            version: version.unwrap_or((1, 0)),
            allgs,
            allm,
            wait_reasons_addr,
            wait_reasons: OnceLock::new(),
            main_module,
            g_panic: panic::g_panic_offset(&syms),
            syms,
            spare: Default::default(),
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

    /// The binary's Go release as (major, minor), (1, 0) when its build info names none,
    /// and its DWARF when it has readable DWARF: what the wait and leak models choose their
    /// layouts by (DWARF, else the release's table).
    pub(crate) fn release_and_dwarf(&self) -> ((u32, u32), Option<Arc<Dwarf>>) {
        let bin = self.binary();
        let version = bin
            .build_info()
            .ok()
            .and_then(|b| b.version_tuple())
            .map_or((1, 0), |(a, b, _)| (a, b));
        let dwarf = if bin.has_dwarf() {
            self.symbols().dwarf().ok()
        } else {
            None
        };
        (version, dwarf)
    }

    /// The binary.
    pub fn binary(&self) -> &Arc<Binary> {
        &self.bin
    }

    /// The program's memory as this model reads it.
    pub fn target<'a>(&self, mem: &'a dyn Memory, bias: u64) -> Target<'a> {
        Target {
            mem,
            bias,
            ptr_size: self.layout.ptr_size,
            arch: self.bin.arch(),
        }
    }

    /// Wait-reason names from the binary's own `runtime.waitReasonStrings` (read from the
    /// target's memory when given, for PIE relocations; else from the file).
    pub fn wait_reasons(&self, t: Option<&Target<'_>>) -> &[String] {
        if let Some(v) = self.wait_reasons.get() {
            return v;
        }
        let Some((addr, n)) = self.wait_reasons_addr else {
            return &[];
        };
        let p = self.layout.ptr_size;
        let n = n.min(256);
        let bias = t.map_or(0, |t| t.bias);
        let file = |link: u64, len: usize| self.bin.read_vaddr(link, len).map(<[u8]>::to_vec);
        let Some(hdrs) = t
            .and_then(|t| t.bytes(t.relocate(addr), n * 2 * p).ok())
            .or_else(|| file(addr, n * 2 * p))
        else {
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
                let bytes = t
                    .and_then(|t| t.bytes(ptr, len).ok())
                    .or_else(|| file(ptr.wrapping_sub(bias), len))
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

    /// Read the `allgs` slice ([`read_allgs`]).
    fn allg_pointers(&self, t: &Target<'_>) -> Result<AllGs> {
        read_allgs(t, t.relocate(self.allgs))
    }

    /// Enumerate goroutines. Fails only when `allgs` itself cannot be read (wrong memory,
    /// not a Go process); a bad goroutine becomes a record with `error` set, and a run of
    /// them (a corrupt core) one record that counts them.
    ///
    /// Stages, per chunk of allgs on up to [`MAX_THREADS`] threads ([`Self::chunks`]): the
    /// g structs ([`Self::read_chunk`]), their threads and registers
    /// ([`Self::attach_threads`]), stacks ([`Self::unwind_chunk`]); then, in order, go
    /// statements and start functions ([`Self::fill_pcs`]) and pprof labels
    /// ([`Self::read_labels`]).
    pub fn goroutines(
        &self,
        mem: &dyn Memory,
        bias: u64,
        threads: &[ThreadRegs],
        opts: &Options,
    ) -> Result<Vec<Goroutine>> {
        self.enumerate(mem, bias, threads, opts)
            .map(|(gs, _)| gs.into_vec())
    }

    /// [`Self::goroutines`], and the goroutines it counted without keeping them: with
    /// `Options::only_current` only those that can be current (running, in a system call)
    /// and unreadable records are kept; the others are only counted (the stop context's
    /// summary), which costs no record per goroutine.
    pub fn enumerate(
        &self,
        mem: &dyn Memory,
        bias: u64,
        threads: &[ThreadRegs],
        opts: &Options,
    ) -> Result<(Goroutines, Census)> {
        let cache = PageCache::new(mem);
        let direct = self.target(mem, bias);
        let cached = self.target(&cache, bias);
        let all = self.allg_pointers(&cached)?;
        let mut parts = self.chunks(&all, &direct, &cached, threads, opts);
        self.read_labels(&cached, &mut parts);
        let mut syms = SymCache::new();
        let mut census = Census::default();
        for p in &mut parts {
            census.merge(std::mem::take(&mut p.census));
        }
        for (pc, n) in &census.start_pcs {
            let system = *pc != 0
                && syms
                    .ends_at(&self.pcln, bias, *pc, true)
                    .is_some_and(|(f, _, _)| is_system_start(&f));
            if system {
                census.others_system += n;
            }
        }
        Ok((
            Goroutines(parts.into_iter().map(|p| p.out).collect()),
            census,
        ))
    }

    /// The goroutine OS thread `tid` runs (running, or in a system call on it), without
    /// its stack, found through `runtime.allm`: the m whose `procid` is `tid`, then its
    /// `curg`. Costs a few reads whatever the number of goroutines; falls back to a whole
    /// enumeration when the list of Ms is unknown (no DWARF) or names no such thread.
    pub fn current_goroutine(
        &self,
        mem: &dyn Memory,
        bias: u64,
        threads: &[ThreadRegs],
        tid: i64,
    ) -> Result<Option<Goroutine>> {
        let opts = Options {
            include_dead: false,
            max_depth: 0,
            current_tid: Some(tid),
            stop_at_user_frame: false,
            only_current: false,
            only_goid: None,
        };
        let cache = PageCache::new(mem);
        let t = self.target(&cache, bias);
        if let Some(curg) = self.curg_of_thread(&t, tid) {
            if curg == 0 {
                return Ok(None);
            }
            let direct = self.target(mem, bias);
            let plan = self.plan(&[curg], &t);
            let mut parts = join([self.read_chunk(
                0,
                &[curg],
                &direct,
                &plan,
                &mut StateNames::default(),
                &opts,
                &mut Vec::new(),
            )]);
            for p in &mut parts {
                self.attach_threads(&direct, p, threads, &opts);
            }
            let mut syms = SymCache::new();
            self.fill_pcs(&mut parts, &mut syms, bias);
            self.read_labels(&t, &mut parts);
            let found = parts
                .into_iter()
                .flat_map(|p| p.out)
                .find(|g| g.current && g.error.is_none());
            if found.is_some() {
                return Ok(found);
            }
        }
        let gs = self.goroutines(mem, bias, threads, &opts)?;
        Ok(gs.into_iter().find(|g| g.current))
    }

    /// `m.curg` of the m running on OS thread `tid` (0: it runs no goroutine); None when
    /// `runtime.allm` is unknown or unreadable, or lists no such thread.
    fn curg_of_thread(&self, t: &Target<'_>, tid: i64) -> Option<u64> {
        let mo = &self.layout.m;
        all_ms(t, t.relocate(self.allm?), mo.alllink?)
            .into_iter()
            .find(|m| t.word(m.wrapping_add(mo.procid)).ok() == Some(tid as u64))
            .and_then(|m| t.word(m.wrapping_add(mo.curg)).ok())
    }

    /// Every goroutine of `all`, a chunk of [`CHUNK`] allgs entries at a time, each chunk
    /// read, parsed, attached to its thread and unwound by one of up to [`MAX_THREADS`]
    /// threads (the next free one takes the next chunk: reading the process and unwinding
    /// overlap across chunks), then joined in allgs order, a run of unreadable entries
    /// that spans chunks folded into one record.
    fn chunks(
        &self,
        all: &AllGs,
        direct: &Target<'_>,
        cached: &Target<'_>,
        threads: &[ThreadRegs],
        opts: &Options,
    ) -> Vec<Gs> {
        let plan = self.plan(&all.ptrs, cached);
        let uopts = UnwindOptions {
            max_depth: opts.max_depth,
            stop_at_user: opts.stop_at_user_frame,
            main_module: self.main_module.clone(),
        };
        let parts: Vec<&[u64]> = all.ptrs.chunks(CHUNK).collect();
        let n_parts = parts.len();
        let work = |k: usize, w: &mut Worker| -> Chunk {
            let ptrs = parts.get(k).copied().unwrap_or(&[]);
            let mut ch = self.read_chunk(
                k * CHUNK,
                ptrs,
                direct,
                &plan,
                &mut w.names,
                opts,
                &mut w.gbuf,
            );
            let off_stack = self.attach_threads(direct, &mut ch.gs, threads, opts);
            if opts.max_depth > 0 {
                self.unwind_chunk(
                    direct,
                    cached,
                    &mut ch.gs.out,
                    &off_stack,
                    &mut w.syms,
                    opts,
                    &uopts,
                    &mut w.sbuf,
                );
            }
            self.fill_pcs(std::slice::from_mut(&mut ch.gs), &mut w.syms, direct.bias);
            ch
        };
        let n_threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, MAX_THREADS)
            .min(n_parts);
        let mut done: Vec<(usize, Chunk)> = if n_threads <= 1 {
            let mut w = self.worker();
            let done = (0..n_parts).map(|k| (k, work(k, &mut w))).collect();
            self.keep_worker(w);
            done
        } else {
            let next = std::sync::atomic::AtomicUsize::new(0);
            let (next, work) = (&next, &work);
            std::thread::scope(|s| {
                let hs: Vec<_> = (0..n_threads)
                    .map(|_| {
                        s.spawn(move || {
                            let mut w = self.worker();
                            let mut got = Vec::new();
                            loop {
                                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                if k >= n_parts {
                                    self.keep_worker(w);
                                    return got;
                                }
                                got.push((k, work(k, &mut w)));
                            }
                        })
                    })
                    .collect();
                // A worker's panic goes on to the caller (the binding's `guarded` makes it an
                // error): its chunks must not silently go missing.
                hs.into_iter()
                    .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        };
        done.sort_unstable_by_key(|(k, _)| *k);
        let mut parts = join(done.into_iter().map(|(_, ch)| ch));
        if all.claimed > all.ptrs.len() as u64 {
            let n = all.claimed - all.ptrs.len() as u64;
            let mut g = Gs::default();
            g.out.push(Goroutine::unreadable(
                all.end,
                format!(
                    "{} unreadable records past the mapped memory at {:#x} (allgs[{}..{}]); runtime.allgs looks corrupt",
                    thousands(n),
                    all.end,
                    all.ptrs.len(),
                    all.claimed
                ),
            ));
            g.words.push(GWords::default());
            parts.push(g);
        }
        parts
    }

    /// A thread's buffers for an enumeration: those an earlier one left (their pages are
    /// mapped already: fresh pages cost more than the reads into them), else new ones.
    fn worker(&self) -> Worker {
        let spare = self.spare.lock().ok().and_then(|mut s| s.pop());
        let (gbuf, sbuf) = spare.unwrap_or_default();
        Worker {
            gbuf,
            sbuf,
            ..Worker::default()
        }
    }

    /// Keep a thread's buffers for the next enumeration, unless they grew past
    /// [`SPARE_MAX`] (deep stacks): memory kept between stops stays small.
    fn keep_worker(&self, w: Worker) {
        if w.gbuf.capacity().max(w.sbuf.capacity()) > SPARE_MAX {
            return;
        }
        if let Ok(mut s) = self.spare.lock() {
            if s.len() < MAX_THREADS {
                s.push((w.gbuf, w.sbuf));
            }
        }
    }

    /// What every chunk of an enumeration shares: the wait reason names, the size of a g
    /// and the first index of each g pointer listed more than once (a corrupt allgs).
    fn plan<'a>(&'a self, ptrs: &[u64], cached: &Target<'_>) -> Plan<'a> {
        // Found by sorting, so the common case (no duplicate) costs no hashing per goroutine.
        let dups: FxHashSet<u64> = {
            let mut sorted: Vec<u64> = ptrs.iter().copied().filter(|a| *a != 0).collect();
            sorted.sort_unstable();
            sorted
                .windows(2)
                .filter(|w| w.first() == w.get(1))
                .filter_map(|w| w.first().copied())
                .collect()
        };
        let mut first_of: fxhash::FxHashMap<u64, usize> = Default::default();
        if !dups.is_empty() {
            for (i, a) in ptrs.iter().enumerate() {
                if dups.contains(a) {
                    first_of.entry(*a).or_insert(i);
                }
            }
        }
        Plan {
            reasons: self.wait_reasons(Some(cached)),
            gsize: usize::try_from(self.layout.g.size).unwrap_or(0).max(64),
            first_of,
        }
    }

    /// Stage 1 for the allgs entries `ptrs` (from index `base`): their g structs (one
    /// coalesced read into `gbuf`, reused from chunk to chunk: its pages are mapped once),
    /// parsed; dead ones dropped unless asked for; runs of unreadable ones folded into one
    /// record, those at either end of the chunk left to the caller to join.
    #[allow(clippy::too_many_arguments)] // the stage's inputs, passed through
    fn read_chunk(
        &self,
        base: usize,
        ptrs: &[u64],
        direct: &Target<'_>,
        plan: &Plan<'_>,
        names: &mut StateNames,
        opts: &Options,
        gbuf: &mut Vec<u8>,
    ) -> Chunk {
        let lay = &self.layout;
        let st = &lay.status;
        let mut ch = Chunk {
            gs: Gs {
                out: record_vec(ptrs.len()),
                words: Vec::with_capacity(ptrs.len()),
                census: Census::default(),
            },
            head: None,
            head_open: false,
            tail: None,
        };
        let mut bad = BadRun::default();
        // Enumerations that keep few goroutines skip building the others' records.
        let lean = opts.only_current || opts.only_goid.is_some();
        // Null pointers are never read (a zeroed array would cost one failed read each).
        let readable: Vec<u64> = ptrs.iter().copied().filter(|a| *a != 0).collect();
        let bufs = read_coalesced_into(direct.mem, &readable, plan.gsize, std::mem::take(gbuf));
        let mut k = 0usize; // index into `readable`
        for (j, gaddr) in ptrs.iter().enumerate() {
            let idx = base + j;
            let parsed = if *gaddr == 0 {
                Err(format!("null runtime.g pointer in allgs[{idx}]"))
            } else {
                let buf = bufs.get(k);
                k += 1;
                match buf {
                    None => Err(format!("cannot read runtime.g at {gaddr:#x}")),
                    Some(_) if plan.first_of.get(gaddr).is_some_and(|f| *f != idx) => {
                        Err(format!("runtime.g at {gaddr:#x} is listed twice in allgs"))
                    }
                    Some(buf) if lean && self.skipped(buf, opts) => Ok(None),
                    Some(buf) => match self.parse_g(*gaddr, buf, plan.reasons, names) {
                        None => Err(format!("runtime.g at {gaddr:#x} is truncated")),
                        Some(g) if self.is_garbage(&g) => Err(format!(
                            "runtime.g at {gaddr:#x} is not a goroutine (status {}, stack {:#x}..{:#x})",
                            g.status, g.stack_lo, g.stack_hi
                        )),
                        Some(g) => Ok(Some((g, buf))),
                    },
                }
            };
            if parsed.is_ok() {
                ch.end_run(&mut bad, base);
            }
            match parsed {
                Ok(None) => {
                    // Read and valid, but dead or only counted: no record built.
                    let s = le_u32(chunk_buf(&bufs, k), lay.g.atomicstatus as usize).unwrap_or(0)
                        & !st.scan;
                    let dead = s == st.dead || Some(s) == st.deadextra;
                    if !dead {
                        let pc = direct.word_in(chunk_buf(&bufs, k), lay.g.startpc);
                        ch.gs.census.count(pc.unwrap_or(0));
                    }
                }
                Ok(Some((g, buf))) => {
                    let s = g.status & !st.scan;
                    let dead = s == st.dead || Some(s) == st.deadextra;
                    if dead && !opts.include_dead {
                        continue;
                    }
                    let other = opts.only_goid.is_some_and(|id| id != g.goid);
                    if other || (opts.only_current && s != st.running && s != st.syscall) {
                        // Not asked for (or cannot be the current goroutine): counted, not
                        // kept.
                        ch.gs.census.count(g.start_pc);
                        continue;
                    }
                    ch.gs.words.push(GWords {
                        m: direct.word_in(buf, lay.g.m).unwrap_or(0),
                        gopc: direct.word_in(buf, lay.g.gopc).unwrap_or(0),
                        labels: lay
                            .g
                            .labels
                            .and_then(|o| direct.word_in(buf, o))
                            .unwrap_or(0),
                    });
                    ch.gs.out.push(g);
                }
                Err(why) => bad.add(idx, *gaddr, why),
            }
        }
        *gbuf = bufs.into_buf();
        if bad.first.is_some() {
            if bad.starts_at(base) {
                ch.head = Some(bad);
                ch.head_open = true;
            } else {
                ch.tail = Some(bad);
            }
        }
        ch
    }

    /// A g that cannot be one (what a garbage pointer in a corrupt allgs array reads as):
    /// stack bounds no goroutine has (a dead one may have none), a status wider than the
    /// runtime's 16 bits, or, for a live one, a goid of 0 (the runtime numbers every g
    /// before adding it to allgs) or beyond any counter.
    fn is_garbage(&self, g: &Goroutine) -> bool {
        self.is_garbage_raw(g.status, g.goid.0, g.stack_lo, g.stack_hi)
    }

    fn is_garbage_raw(&self, status: u32, goid: u64, lo: u64, hi: u64) -> bool {
        let st = &self.layout.status;
        let s = status & !st.scan;
        let dead = s == st.dead || Some(s) == st.deadextra;
        let no_stack = lo == 0 && hi == 0;
        let stack_ok = no_stack || (lo < hi && hi - lo <= MAX_STACK);
        !stack_ok || s > 0xffff || goid > MAX_GOID || (!dead && goid == 0)
    }

    /// True when the g in `buf` is valid and an enumeration with `opts` would not keep it
    /// (dead, another goroutine than `only_goid`, or one that cannot be current): decided
    /// from a few fields, without building its record.
    fn skipped(&self, buf: &[u8], opts: &Options) -> bool {
        let l = &self.layout.g;
        let st = &self.layout.status;
        let p = self.layout.ptr_size;
        let w = |o: u64| le_word(buf, o as usize, p);
        let (Some(status), Some(goid), Some(lo), Some(hi), Some(_)) = (
            le_u32(buf, l.atomicstatus as usize),
            le_u64(buf, l.goid as usize),
            w(l.stack_lo),
            w(l.stack_hi),
            w(l.startpc),
        ) else {
            return false;
        };
        if self.is_garbage_raw(status, goid, lo, hi) {
            return false;
        }
        let s = status & !st.scan;
        let dead = s == st.dead || Some(s) == st.deadextra;
        if dead {
            return !opts.include_dead;
        }
        opts.only_goid.is_some_and(|id| id.0 != goid)
            || (opts.only_current && s != st.running && s != st.syscall)
    }

    /// Stage 2: M structs of goroutines on a thread (thread id, M id), and the registers
    /// each goroutine is unwound from. Each running goroutine gets its thread's registers in
    /// the result: when the thread is off the goroutine's stack (in a signal handler, on g0
    /// in systemstack) it is unwound from there; on its stack the thread's LR (arm64) is the
    /// return address of a frameless leaf (runtime.breakpoint).
    fn attach_threads(
        &self,
        t: &Target<'_>,
        gs: &mut Gs,
        threads: &[ThreadRegs],
        opts: &Options,
    ) -> Vec<(usize, ThreadRegs)> {
        let lay = &self.layout;
        let mut m_ptrs: Vec<u64> = gs.words.iter().map(|w| w.m).filter(|m| *m != 0).collect();
        m_ptrs.sort_unstable();
        m_ptrs.dedup();
        let msize = (lay.m.procid.max(lay.m.curg).max(lay.m.id) + 8) as usize;
        let mbufs = read_coalesced(t.mem, &m_ptrs, msize);

        // (index, its thread's registers) of each running goroutine on a known thread.
        let mut off_stack: Vec<(usize, ThreadRegs)> = Vec::new();
        for (i, (g, w)) in gs.out.iter_mut().zip(&gs.words).enumerate() {
            let m = &w.m;
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
                    }
                    off_stack.push((i, *t));
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
        off_stack
    }

    /// Stage 3 for one chunk of goroutines: their stack windows in one batch (into `all`,
    /// reused from chunk to chunk), then each stack unwound. `achunk`: (index in `gchunk`,
    /// its thread's registers) of each running goroutine on a known thread, by index.
    #[allow(clippy::too_many_arguments)] // the stage's inputs, passed through
    fn unwind_chunk(
        &self,
        direct: &Target<'_>,
        cached: &Target<'_>,
        gchunk: &mut [Goroutine],
        achunk: &[(usize, ThreadRegs)],
        syms: &mut SymCache,
        opts: &Options,
        uopts: &UnwindOptions,
        all: &mut Vec<u8>,
    ) {
        // A listing usually finds the first user frame within the innermost 1 KiB;
        // words beyond the window still come through the page cache.
        let window: u64 = if opts.stop_at_user_frame { 1024 } else { 4096 };
        let lens: Vec<usize> = gchunk
            .iter()
            .map(|g| {
                let wanted = !opts.only_current || g.current;
                if wanted && g.error.is_none() && g.sp != 0 && g.sp < g.stack_hi {
                    (g.stack_hi - g.sp).min(window) as usize
                } else {
                    0
                }
            })
            .collect();
        // Reused from chunk to chunk without clearing: a window is used only when its read
        // succeeded.
        let total: usize = lens.iter().sum();
        if all.len() < total {
            all.resize(total, 0);
        }
        let mut reqs: Vec<ReadReq<'_>> = Vec::with_capacity(gchunk.len());
        let mut rest: &mut [u8] = all;
        for (g, n) in gchunk.iter().zip(&lens) {
            let (head, tail) = rest.split_at_mut((*n).min(rest.len()));
            // Empty windows (goroutines not unwound) are not requests at all: 100,000
            // empty reads cost more than the whole stop context.
            if *n > 0 {
                reqs.push((g.sp, head));
            }
            rest = tail;
        }
        let mut got = direct.mem.read_batch(&mut reqs).into_iter();
        drop(reqs);
        let ok: Vec<bool> = lens
            .iter()
            .map(|n| *n > 0 && got.next().is_some_and(|r| r.is_ok()))
            .collect();
        let mut rest: &[u8] = all;
        for (i, ((g, n), r)) in gchunk.iter_mut().zip(&lens).zip(ok).enumerate() {
            let alt = achunk
                .binary_search_by_key(&i, |(j, _)| *j)
                .ok()
                .and_then(|k| achunk.get(k))
                .map(|(_, t)| t);
            let (buf, tail) = rest.split_at((*n).min(rest.len()));
            rest = tail;
            if g.error.is_some() || (opts.only_current && !g.current) {
                continue;
            }
            let on_thread = g.regs == RegsSource::Thread;
            if let Some(t) = alt.filter(|_| !on_thread) {
                if self.unwind_off_stack(g, t, cached, syms, opts.max_depth) {
                    continue;
                }
            }
            if g.pc == 0 || g.sp == 0 {
                g.stack_error = Some("no saved registers (running, thread unknown)".into());
                continue;
            }
            let window: &[u8] = if r { buf } else { &[] };
            let start = UnwindStart {
                pc: g.pc,
                sp: g.sp,
                bp: g.bp,
                lr: alt.filter(|_| on_thread).map_or(0, |t| t.lr),
                exact: on_thread,
            };
            let st = unwind::unwind_shared(&self.pcln, syms, cached, start, window, uopts);
            g.frames = st.frames;
            g.user_frame = st.user_frame;
            g.main_module_frame = st.main_module_frame;
            g.stack_error = st.error;
            g.truncated = st.truncated;
            g.fp_mismatches = st.fp_mismatches;
        }
    }

    /// The user frame of `g`'s frames, and whether it is in the main module (the user
    /// frame is the innermost frame of the main module when there is one).
    fn set_user_frame(&self, g: &mut Goroutine, syms: &mut SymCache) {
        let module = self.main_module.as_deref();
        g.user_frame = syms.user_frame(&g.frames, module);
        g.main_module_frame = g
            .user_location()
            .is_some_and(|f| unwind::is_main_module_func(&f.func, module));
    }

    /// Stage 5: pprof labels. Few goroutines have them; read through the page cache.
    fn read_labels(&self, t: &Target<'_>, parts: &mut [Gs]) {
        if self.layout.g.labels.is_none() {
            return;
        }
        let slice_form = fallback::labels_are_slice(self.version);
        let all = parts
            .iter_mut()
            .flat_map(|p| p.out.iter_mut().zip(p.words.iter()));
        for (g, w) in all {
            let lp = w.labels;
            if lp != 0 {
                g.labels = labels::read(t, lp, slice_form);
            }
        }
    }

    /// Unwind a running goroutine from its thread's registers when the thread is not on
    /// the goroutine's stack. True when that gave the goroutine's frames.
    fn unwind_off_stack(
        &self,
        g: &mut Goroutine,
        th: &ThreadRegs,
        t: &Target<'_>,
        syms: &mut SymCache,
        max_depth: usize,
    ) -> bool {
        let start = UnwindStart {
            pc: th.pc,
            sp: th.sp,
            bp: th.bp,
            lr: th.lr,
            exact: true,
        };
        let opts = UnwindOptions {
            max_depth: max_depth.saturating_add(64),
            stop_at_user: false,
            main_module: None,
        };
        let st = unwind::unwind(&self.pcln, syms, t, start, &[], &opts);
        let on_g = |sp: &u64| *sp >= g.stack_lo && *sp < g.stack_hi;
        let Some(first) = st.sps.iter().position(on_g) else {
            if g.sp != 0 {
                return false; // in systemstack: g.sched is valid
            }
            let mut frames = st.frames;
            frames.truncate(max_depth);
            // g.sp stays 0 (unknown): the frames keep their absolute sps.
            g.frames = Frames::new(frames, &st.sps, g.sp);
            g.stack_error = Some("the thread is not on this goroutine's stack".into());
            self.set_user_frame(g, syms);
            g.regs = RegsSource::Thread;
            return true;
        };
        let Some(sp0) = st.sps.get(first).copied() else {
            return false;
        };
        g.pc = st.frames.get(first).map_or(th.pc, |f| f.pc.0);
        g.sp = sp0;
        g.bp = 0;
        g.regs = RegsSource::Thread;
        let mut frames = st
            .frames
            .get(first..)
            .map(<[Frame]>::to_vec)
            .unwrap_or_default();
        g.truncated = frames.len() > max_depth || st.truncated;
        frames.truncate(max_depth);
        g.frames = Frames::new(frames, st.sps.get(first..).unwrap_or(&[]), sp0);
        g.stack_error = st.error;
        self.set_user_frame(g, syms);
        true
    }

    /// Stage 4: go statement and start function of each goroutine, each distinct pc
    /// looked up once (the location shared by the goroutines of one `go` statement).
    fn fill_pcs(&self, parts: &mut [Gs], syms: &mut SymCache, bias: u64) {
        let mut locs: fxhash::FxHashMap<u64, Arc<Location>> = Default::default();
        let mut starts: fxhash::FxHashMap<u64, Option<Arc<str>>> = Default::default();
        let empty: Arc<str> = Arc::from("");
        let all = parts
            .iter_mut()
            .flat_map(|p| p.out.iter_mut().zip(p.words.iter()));
        for (g, w) in all {
            if w.gopc != 0 {
                let loc = locs.entry(w.gopc).or_insert_with(|| {
                    // gopc is a return address: the runtime prints the outermost
                    // function's name with the line of the call instruction (pc-1).
                    Arc::new(match syms.ends_at(&self.pcln, bias, w.gopc, false) {
                        Some((func, file, line)) => Location {
                            func,
                            file,
                            line,
                            pc: Pc(w.gopc),
                        },
                        None => Location {
                            func: Arc::from(format!("{:#x}", w.gopc)),
                            file: empty.clone(),
                            line: 0,
                            pc: Pc(w.gopc),
                        },
                    })
                });
                g.go_statement = Some(loc.clone());
            }
            if g.start_pc != 0 {
                let start = starts.entry(g.start_pc).or_insert_with(|| {
                    syms.ends_at(&self.pcln, bias, g.start_pc, true)
                        .map(|(func, _, _)| func)
                });
                if let Some(func) = start {
                    g.system = is_system_start(func);
                    g.start_func = Some(func.clone());
                }
            }
        }
    }

    fn parse_g(
        &self,
        addr: u64,
        buf: &[u8],
        reasons: &[String],
        names: &mut StateNames,
    ) -> Option<Goroutine> {
        let l = &self.layout.g;
        let p = self.layout.ptr_size;
        let w = |o: u64| le_word(buf, o as usize, p);
        let status = le_u32(buf, l.atomicstatus as usize)?;
        let goid = le_u64(buf, l.goid as usize)?;
        let code = *buf.get(l.waitreason as usize)?;
        let st = &self.layout.status;
        let s = status & !st.scan;
        let (status_name, state, wait_reason) = names.get(status, code, || {
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
            (status_name, state, wait_reason)
        });
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
        w(l.gopc)?;
        let startpc = w(l.startpc)?;
        let locked = l.lockedm.and_then(w).unwrap_or(0) != 0;
        Some(Goroutine {
            addr: Addr(addr),
            goid: GoId(goid),
            status,
            status_name,
            state,
            wait_reason,
            wait_reason_code: code,
            waitsince: le_u64(buf, l.waitsince as usize)? as i64,
            waiting: w(l.waiting)?,
            pc,
            sp,
            bp,
            regs,
            stack_lo: w(l.stack_lo)?,
            stack_hi: w(l.stack_hi)?,
            frames: names.no_frames.clone(),
            stack_error: None,
            truncated: false,
            fp_mismatches: 0,
            user_frame: None,
            main_module_frame: false,
            go_statement: None,
            start_func: None,
            start_pc: startpc,
            parent_goid: l
                .parent_goid
                .and_then(|o| le_u64(buf, o as usize))
                .map(GoId),
            labels: Vec::new(),
            thread_id: None,
            m_id: None,
            locked_to_thread: locked,
            system: false,
            current: false,
            error: None,
            panic: None,
            panic_ptr: w(self.g_panic).unwrap_or(0),
            waits_on: Vec::new(),
        })
    }

    /// Unwind from explicit registers (a thread, a frame the user picked).
    pub fn unwind(
        &self,
        mem: &dyn Memory,
        bias: u64,
        start: UnwindStart,
        opts: &UnwindOptions,
    ) -> Stack {
        let cache = PageCache::new(mem);
        let t = self.target(&cache, bias);
        let mut syms = SymCache::new();
        unwind::unwind(&self.pcln, &mut syms, &t, start, &[], opts)
    }

    /// The architecture.
    pub fn arch(&self) -> Arch {
        self.bin.arch()
    }

    /// `runtime.allgs` (link address): every g ever made, dead ones included.
    pub fn allgs_addr(&self) -> u64 {
        self.allgs
    }

    /// `runtime.allm` (link address), when found.
    pub fn allm_addr(&self) -> Option<u64> {
        self.allm
    }
}

/// Go's maximum stack size on 64-bit targets (runtime.maxstacksize is 1 GB).
const MAX_STACK: u64 = 1 << 30;

/// Goids come from a 64-bit counter bumped in batches of 16; no program gets near 2^48.
const MAX_GOID: u64 = 1 << 48;

/// Read the `allgs` slice at `at` (relocated): its header, checked (len within cap, within an
/// absolute guard and within the mapped memory that must hold the array), then the pointers,
/// dead goroutines' included.
fn read_allgs(t: &Target<'_>, at: u64) -> Result<AllGs> {
    let p = t.ptr_size;
    let hdr = t.slice_header(at).map_err(|e| {
        Error::Mismatch(format!(
            "cannot read runtime.allgs at {at:#x} ({e}); is this memory from this binary?"
        ))
    })?;
    let SliceHeader { ptr, len, cap } = hdr;
    if len > cap || len > MAX_ALLGLEN || (len > 0 && ptr == 0) {
        return Err(Error::corrupt(
            "runtime data",
            format!("runtime.allgs = {{ptr {ptr:#x}, len {len}, cap {cap}}} is not a valid slice; memory and binary do not match?"),
        ));
    }
    // A corrupt length cannot make us read past the memory the array lives in.
    let fits = t.fitting(ptr, p).unwrap_or(len);
    let n = len.min(fits);
    let n_us = usize::try_from(n).map_err(|_| Error::corrupt("runtime data", "allglen"))?;
    let arr = t
        .bytes(ptr, n_us * p)
        .map_err(|e| Error::NotFound(format!("cannot read the allgs array ({n} pointers): {e}")))?;
    Ok(AllGs {
        ptrs: (0..n_us).filter_map(|i| le_word(&arr, i * p, p)).collect(),
        claimed: len,
        end: ptr.wrapping_add(n.wrapping_mul(p as u64)),
    })
}

/// The m structs of the list `runtime.allm` (at `allm`, relocated) links through
/// `m.alllink` (at `link`), in order, up to one that cannot be read; a corrupt list that
/// loops or runs on past [`MAX_MS`] entries ends there.
pub(crate) fn all_ms(t: &Target<'_>, allm: u64, link: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut seen = FxHashSet::default();
    let mut m = t.word(allm).unwrap_or(0);
    while m != 0 && out.len() < MAX_MS && seen.insert(m) {
        out.push(m);
        m = t.word(m.wrapping_add(link)).unwrap_or(0);
    }
    out
}

/// The most m structs read from `runtime.allm` (no program has this many threads).
const MAX_MS: usize = 100_000;

/// Guard on allglen for memories that do not know their map (a Python callback).
const MAX_ALLGLEN: u64 = 50_000_000;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_goroutines_start_in_the_runtime() {
        assert!(is_system_start("runtime.bgsweep") && !is_system_start("runtime.main"));
    }
}
