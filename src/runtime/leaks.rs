//! Leaked goroutines: those blocked on a channel or `sync` object that nothing the
//! program can still run can reach, found as Go 1.27's goroutine leak detector finds them
//! (runtime/mgc.go `findGoroutineLeaks`), but over a core or a stopped process of any
//! release:
//!
//! - the heap's objects come from the span index ([`super::heap`]); free slots are skipped;
//! - the roots are the binary's `.data` and `.bss` and the stacks of every goroutine that
//!   is not blocked on a concurrency primitive (running, runnable, in a system call,
//!   sleeping, waiting for I/O or a timer, ...);
//! - stacks are scanned precisely, through the stack maps ([`super::stackscan`]); the rest of
//!   the marking is conservative: every aligned word pointing into an allocated object marks
//!   it, and objects of noscan spans are not scanned. The sudogs' words naming the object
//!   a goroutine waits on (`c` for a channel operation, `elem` for a semaphore or notify
//!   list) are not followed, as the runtime makes them untraceable for the detection, nor
//!   are the uintptr words of each P that hold heap addresses (the page cache, the stale
//!   entries of the write barrier buffer and of the GC's span queue, saved vector
//!   registers) or the `stack.hi` of any g;
//! - a blocked goroutine's stack becomes a root once an object it waits on is marked (or
//!   is not in the heap: a global, a stack); this is repeated to a fixed point;
//! - leaked: the blocked goroutines left, plus those blocked forever by construction (a nil
//!   channel, a select without cases, except the main goroutine's `select {}`, which Go
//!   does not report either), plus those the runtime already marked `_Gleaked`.
//!
//! Finalizers and cleanups are not roots (the runtime scans them): an object only they
//! reach can make a goroutine look leaked. Unreadable memory never makes a leak: when part
//! of the heap, of a root or of a goroutine record cannot be read, [`Leaks::cannot`] says
//! why and only the leaks by construction and the runtime's own are reported.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use super::heap::{HeapLayout, ObjRef, SpanIndex};
use super::stackscan::StackScanner;
use super::waits::{walk_semtable, Globals, Kind, WaitModel, Waits, MAX_WAITING_CHAIN};
use super::waits_layout::{WaitLayout, SEM_TAB_SIZE};
use super::{GoRuntime, Goroutine};
use crate::binary::Arch;
use crate::error::Result;
use crate::mem::{Memory, PageCache, Target};
use crate::pclntab::Pclntab;

/// Bytes read per call when scanning a root or a large object.
const CHUNK: u64 = 1 << 20;
/// The page size reads are aligned to.
const PAGE: u64 = 4096;
/// A goroutine stack is scanned up to this size (Go's maximum stack is 1 GB).
const MAX_STACK: u64 = 1 << 30;
/// Error lines kept (the rest are counted).
const MAX_ERRORS: usize = 32;
/// Entries of the marker's table of words already looked up (a power of two; 32 KiB).
const SEEN: usize = 1 << 12;
/// Objects from this size on are scanned on every core ([`Marker::scan_parallel`]).
const BIG: u64 = 64 << 10;
/// Bytes of big objects per parallel batch (the words a batch finds are held until it ends:
/// at most an eighth of this).
const BATCH_BYTES: u64 = 32 << 20;
/// Marking threads at most.
const MAX_THREADS: usize = 4;

/// Why a goroutine is leaked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// Blocked on objects nothing reachable holds.
    Unreachable,
    /// A send or receive on a nil channel.
    NilChan,
    /// A `select {}` (no cases).
    EmptySelect,
    /// The runtime's own detector marked it (`_Gleaked`, Go 1.26+).
    Runtime,
}

impl Cause {
    /// The words users see.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Unreachable => "unreachable",
            Cause::NilChan => "nil chan",
            Cause::EmptySelect => "select (no cases)",
            Cause::Runtime => "leaked (runtime)",
        }
    }
}

/// A leaked goroutine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaked {
    /// Goroutine id.
    pub goid: u64,
    /// Why.
    pub cause: Cause,
    /// The objects it waits on (kind, address), none for the leaks by construction.
    pub objects: Vec<(Kind, u64)>,
}

/// The leak check's result.
#[derive(Debug, Clone, Default)]
pub struct Leaks {
    /// Leaked goroutines, by goid.
    pub leaked: Vec<Leaked>,
    /// Blocked goroutines checked (on a channel, a sync object, a nil channel, `select {}`).
    pub blocked: usize,
    /// Blocked goroutines whose object could not be found: taken as runnable roots.
    pub undetermined: Vec<u64>,
    /// Allocated heap bytes (the span index's allocated objects).
    pub heap_bytes: u64,
    /// Bytes scanned (roots and marked objects).
    pub scanned_bytes: u64,
    /// Heap objects marked.
    pub marked_objects: u64,
    /// Why leaks cannot be determined (then only leaks by construction and the runtime's
    /// own are listed).
    pub cannot: Option<String>,
    /// Other unreadable parts, one line each.
    pub errors: Vec<String>,
    /// Seconds the check took (span index and marking, not the enumeration).
    pub seconds: f64,
}

impl Leaks {
    /// The ids of the leaked goroutines.
    pub fn goids(&self) -> Vec<u64> {
        self.leaked.iter().map(|l| l.goid).collect()
    }
}

/// A blocked goroutine's wait, as the detector classifies it.
enum Wait {
    /// Not blocked on a primitive: a root.
    Root,
    /// Blocked forever by construction.
    Forever(Cause),
    /// Blocked on these objects.
    On(Vec<(Kind, u64)>),
    /// Blocked on a primitive not found: taken as a root.
    Unknown,
}

fn is_chan_reason(r: &str) -> bool {
    matches!(r, "chan receive" | "chan send" | "select")
}

fn is_sync_reason(r: &str) -> bool {
    matches!(
        r,
        "sync.Cond.Wait"
            | "sync.Mutex.Lock"
            | "sync.RWMutex.Lock"
            | "sync.RWMutex.RLock"
            | "sync.WaitGroup.Wait"
    )
}

/// The leak model of one binary: the wait model, the heap layout and the roots.
pub struct LeakModel {
    waits: WaitModel,
    heap: HeapLayout,
    /// `.data` and `.bss` (link addresses).
    roots: Vec<(u64, u64)>,
    /// `runtime.allp` (link address).
    allp: Option<u64>,
    /// `runtime.allgs`, `runtime.allm` (link addresses), `m.alllink`, `m.gsignal`,
    /// `g.stack.hi`.
    allgs: u64,
    allm: Option<u64>,
    m_alllink: Option<u64>,
    m_gsignal: u64,
    g_stack_hi: u64,
    /// `sudog.elem` and `.c` are `maybeTraceablePtr{vp, vu}` (Go 1.26+).
    traceable: bool,
    /// The stack maps' table and the architecture, for precise stack scans.
    pcln: Arc<Pclntab>,
    arch: Arch,
}

impl LeakModel {
    /// The model of `rt`'s binary.
    pub fn new(rt: &GoRuntime) -> Result<Self> {
        let bin = rt.binary();
        let (version, dwarf) = rt.release_and_dwarf();
        let heap = HeapLayout::new(dwarf.as_deref(), version, bin.arch())?;
        let roots = bin
            .sections()
            .iter()
            .filter(|s| matches!(s.name.as_str(), ".data" | ".bss"))
            .map(|s| (s.addr, s.addr.saturating_add(s.size)))
            .collect();
        let allp = super::var_addr(rt.symbols(), dwarf.as_deref(), "runtime.allp").map(|v| v.0);
        Ok(LeakModel {
            allp,
            allgs: rt.allgs_addr(),
            allm: rt.allm_addr(),
            m_alllink: rt.layout().m.alllink,
            m_gsignal: rt.layout().m.gsignal,
            g_stack_hi: rt.layout().g.stack_hi,
            waits: WaitModel::new(rt)?,
            heap,
            roots,
            traceable: version >= (1, 26),
            pcln: rt.pclntab().clone(),
            arch: rt.arch(),
        })
    }

    /// The heap layout in use.
    pub fn heap_layout(&self) -> &HeapLayout {
        &self.heap
    }

    /// The leak check over one enumeration `gs` of `t` (with whole stacks).
    pub fn find(&self, rt: &GoRuntime, t: &Target<'_>, gs: &[Goroutine]) -> Leaks {
        let waits = self.waits.objects_only(rt, t, gs);
        let st = &rt.layout().status;
        self.find_with(t, gs, &waits, st.waiting, st.scan)
    }

    /// [`LeakModel::find`] with the wait facts already read.
    pub fn find_with(
        &self,
        t: &Target<'_>,
        gs: &[Goroutine],
        waits: &Waits,
        waiting: u32,
        scan: u32,
    ) -> Leaks {
        let cfg = Config {
            wait: self.waits.layout(),
            heap: &self.heap,
            globals: self.waits.globals(t.bias),
            roots: self
                .roots
                .iter()
                .map(|(a, b)| (a.wrapping_add(t.bias), b.wrapping_add(t.bias)))
                .collect(),
            traceable: self.traceable,
            allp: self.allp.map(|a| a.wrapping_add(t.bias)),
            allgs: Some(self.allgs.wrapping_add(t.bias)),
            allm: self.allm.map(|a| a.wrapping_add(t.bias)),
            m_alllink: self.m_alllink,
            m_gsignal: Some(self.m_gsignal),
            g_stack_hi: self.g_stack_hi,
            pcln: Some(&self.pcln),
            arch: self.arch,
        };
        check(&cfg, t, gs, waits, waiting, scan)
    }
}

/// What [`check`] needs of a binary, relocated for its target.
pub struct Config<'a> {
    /// The wait layout (sudogs, `g.waiting`).
    pub wait: &'a WaitLayout,
    /// The heap layout.
    pub heap: &'a HeapLayout,
    /// `runtime.mheap_`, `runtime.semtable`.
    pub globals: Globals,
    /// The root ranges: `.data` and `.bss`.
    pub roots: Vec<(u64, u64)>,
    /// `sudog.elem` and `.c` are `maybeTraceablePtr{vp, vu}` (Go 1.26+).
    pub traceable: bool,
    /// `runtime.allp`: each P's page cache base is a heap address in a uintptr.
    pub allp: Option<u64>,
    /// `runtime.allgs`: every g, dead ones included, whose `stack.hi` is not followed
    /// (`None`: only those of `gs`).
    pub allgs: Option<u64>,
    /// `runtime.allm` and `m.alllink`: each M's `g0` (its first field).
    pub allm: Option<u64>,
    /// `m.alllink`.
    pub m_alllink: Option<u64>,
    /// `m.gsignal`: each M's signal g, whose `stack.hi` is not followed either.
    pub m_gsignal: Option<u64>,
    /// `g.stack.hi`: the end of a stack, a uintptr that can equal the start of the heap
    /// span after it.
    pub g_stack_hi: u64,
    /// The binary's pclntab, whose stack maps make stack scans precise (`None`: every
    /// stack word is taken for a pointer).
    pub pcln: Option<&'a Pclntab>,
    /// The architecture (frame layout).
    pub arch: Arch,
}

/// The leak check over goroutines `gs` of `t` and their wait facts; `waiting` and `scan`
/// are the runtime's `_Gwaiting` and `_Gscan`.
pub fn check(
    cfg: &Config<'_>,
    t: &Target<'_>,
    gs: &[Goroutine],
    waits: &Waits,
    waiting: u32,
    scan: u32,
) -> Leaks {
    let started = Instant::now();
    let mut out = Leaks::default();
    let l = cfg.wait;
    let globals = &cfg.globals;
    let kinds: HashMap<u64, Kind> = waits.objects.iter().map(|o| (o.addr, o.kind)).collect();
    let mut incomplete: Vec<String> = Vec::new();
    // Classify.
    let mut class: Vec<(&Goroutine, Wait)> = Vec::with_capacity(gs.len());
    for g in gs {
        if let Some(e) = &g.error {
            incomplete.push(format!("a goroutine record is unreadable ({e})"));
            continue;
        }
        let status = g.status & !scan;
        let leaked_status = &*g.status_name == "leaked";
        if &*g.status_name == "dead" || g.status_name.starts_with("waiting for cgo") {
            continue;
        }
        let w = if status != waiting && !leaked_status {
            Wait::Root
        } else {
            let r = &*g.wait_reason;
            let objs: Vec<(Kind, u64)> = waits
                .waits_on
                .get(&g.goid.0)
                .map(|v| {
                    v.iter()
                        .filter_map(|a| kinds.get(a).map(|k| (*k, *a)))
                        .filter(|(k, a)| *k != Kind::Sema && *a != 0)
                        .collect()
                })
                .unwrap_or_default();
            if r == "chan receive (nil chan)" || r == "chan send (nil chan)" {
                Wait::Forever(Cause::NilChan)
            } else if r == "select (no cases)" {
                Wait::Forever(Cause::EmptySelect)
            } else if !objs.is_empty() {
                Wait::On(objs)
            } else if is_chan_reason(r) || is_sync_reason(r) || leaked_status {
                Wait::Unknown
            } else {
                Wait::Root
            }
        };
        class.push((g, w));
    }
    out.blocked = class
        .iter()
        .filter(|(_, w)| !matches!(w, Wait::Root))
        .count();
    // The sudog words the detector does not follow (small reads: through a page cache).
    let cache = PageCache::new(t.mem);
    let mut hidden = hidden_words(
        l,
        &t.with_mem(&cache),
        gs,
        waiting,
        scan,
        globals,
        cfg.traceable,
        &mut out.errors,
    );
    if let Some(allp) = cfg.allp {
        hide_p_words(t, allp, cfg.heap, &mut hidden);
    }
    // Every g's `stack.hi` (a stack ends where a heap span may begin): all of allgs, dead
    // ones too (a free g keeps its stack), and each M's g0 and gsignal.
    hidden.extend(
        cfg.allgs
            .and_then(|at| super::read_allgs(t, at).ok())
            .map_or_else(|| gs.iter().map(|g| g.addr.0).collect(), |a| a.ptrs)
            .into_iter()
            .map(|g| g.wrapping_add(cfg.g_stack_hi)),
    );
    if let (Some(allm), Some(link)) = (cfg.allm, cfg.m_alllink) {
        for m in super::all_ms(t, allm, link) {
            if let Ok(g0) = t.word(m) {
                hidden.push(g0.wrapping_add(cfg.g_stack_hi));
            }
            if let Some(gs) = cfg.m_gsignal.and_then(|o| t.word(m.wrapping_add(o)).ok()) {
                hidden.push(gs.wrapping_add(cfg.g_stack_hi));
            }
        }
    }
    // The heap.
    let idx = match globals.mheap {
        None => Err("runtime.mheap_ not found".to_string()),
        Some(m) => SpanIndex::build(cfg.heap, t, m).map_err(|e| e.to_string()),
    };
    let idx = match idx {
        Ok(i) => i,
        Err(e) => {
            out.cannot = Some(format!("the heap cannot be read: {e}"));
            SpanIndex::default()
        }
    };
    incomplete.extend(idx.incomplete.iter().cloned());
    out.heap_bytes = idx.allocated_bytes();
    // By address: an object's scan skips those in it (a P sits after an 8-byte malloc
    // header since Go 1.22, so they are found by address, not by the start of the object).
    hidden.sort_unstable();
    hidden.dedup();
    let mut m = Marker::new(&idx, t, &hidden, StackScanner::new(cfg.pcln, cfg.arch));
    if out.cannot.is_none() {
        for (a, b) in &cfg.roots {
            m.scan_range(*a, b.saturating_sub(*a), None);
        }
        let mut rooted: HashSet<u64> = HashSet::default();
        for (g, w) in &class {
            if matches!(w, Wait::Root | Wait::Unknown) {
                m.scan_stack(g);
                rooted.insert(g.goid.0);
            }
        }
        m.drain();
        // The fixed point: a blocked goroutine becomes a root once an object it waits
        // on is marked or lies outside the heap.
        loop {
            let mut more = false;
            for (g, w) in &class {
                let Wait::On(objs) = w else { continue };
                if rooted.contains(&g.goid.0) {
                    continue;
                }
                if objs.iter().any(|(_, a)| m.reachable(*a)) {
                    rooted.insert(g.goid.0);
                    m.scan_stack(g);
                    more = true;
                }
            }
            if !more {
                break;
            }
            m.drain();
        }
        incomplete.append(&mut m.errors);
        if !incomplete.is_empty() {
            out.cannot = Some(format!(
                "part of the program's memory cannot be read: {}{}",
                incomplete[0],
                if incomplete.len() > 1 {
                    format!(" (and {} more)", incomplete.len() - 1)
                } else {
                    String::new()
                }
            ));
        }
        if out.cannot.is_none() {
            for (g, w) in &class {
                if let Wait::On(objs) = w {
                    if !rooted.contains(&g.goid.0) {
                        out.leaked.push(Leaked {
                            goid: g.goid.0,
                            cause: Cause::Unreachable,
                            objects: objs.clone(),
                        });
                    }
                }
            }
        }
    } else {
        incomplete.clear();
    }
    let known: HashSet<u64> = out.leaked.iter().map(|x| x.goid).collect();
    for (g, w) in &class {
        if known.contains(&g.goid.0) {
            continue;
        }
        let cause = match w {
            Wait::Forever(Cause::EmptySelect) if g.goid.0 == 1 => None,
            Wait::Forever(c) => Some(*c),
            _ if &*g.status_name == "leaked" => Some(Cause::Runtime),
            _ => None,
        };
        if let Some(cause) = cause {
            out.leaked.push(Leaked {
                goid: g.goid.0,
                cause,
                objects: Vec::new(),
            });
        }
        if matches!(w, Wait::Unknown) {
            out.undetermined.push(g.goid.0);
        }
    }
    out.leaked.sort_by_key(|x| x.goid);
    out.undetermined.sort_unstable();
    out.scanned_bytes = m.scanned;
    out.marked_objects = m.marked;
    out.errors.truncate(MAX_ERRORS);
    out.seconds = started.elapsed().as_secs_f64();
    out
}

/// The addresses of the sudog words not followed: `c` of a channel waiter's sudogs, `elem`
/// of a semaphore or notify-list waiter's (each with its `vp` twin on Go 1.26+).
#[allow(clippy::too_many_arguments)]
fn hidden_words(
    l: &WaitLayout,
    t: &Target<'_>,
    gs: &[Goroutine],
    waiting: u32,
    scan: u32,
    globals: &Globals,
    traceable: bool,
    errors: &mut Vec<String>,
) -> Vec<u64> {
    let s = &l.sudog;
    let mut hidden: Vec<u64> = Vec::new();
    let mut hide = |sudog: u64, off: u64, traceable: bool| {
        hidden.push(sudog.wrapping_add(off));
        if traceable {
            hidden.push(sudog.wrapping_add(off).wrapping_sub(8));
        }
    };
    for g in gs {
        if g.error.is_some() || (g.status & !scan != waiting && &*g.status_name != "leaked") {
            continue;
        }
        let chan = g.wait_reason.starts_with("chan ") || g.wait_reason.starts_with("select");
        let mut cur = g.waiting;
        let mut seen = HashSet::default();
        while cur != 0 && seen.len() < MAX_WAITING_CHAIN && seen.insert(cur) {
            hide(cur, if chan { s.c } else { s.elem }, traceable);
            match t.word(cur.wrapping_add(s.waitlink)) {
                Ok(n) => cur = n,
                Err(_) => break,
            }
        }
    }
    if let Some((table, size)) = globals.semtable {
        let stride = size / SEM_TAB_SIZE;
        if stride >= l.sema_treap + 8 && stride <= 1024 {
            for w in walk_semtable(l, t, table, stride, errors) {
                hide(w.sudog, s.elem, traceable);
            }
        }
    }
    hidden
}

/// The words of every P of `allp` (a `[]*p`) that hold heap addresses the GC never
/// follows: the page cache's (`base`, the address of the next allocations, and the `cache`
/// and `scav` bitmaps, whose values can look like heap addresses) and the write barrier
/// buffer's (the pointers written during a GC cycle, stale after it: a channel's address
/// written into a sudog while the GC marked stays there) and, since Go 1.26, the span
/// queue's (objects the GC queued, as stale) and the vector registers an asynchronous
/// preemption saved there (Go 1.26+).
fn hide_p_words(t: &Target<'_>, allp: u64, l: &HeapLayout, hidden: &mut Vec<u64>) {
    let Ok(h) = t.slice_header(allp) else { return };
    if h.len > 1 << 16 {
        return;
    }
    let Ok(ps) = t.bytes(h.ptr, (h.len * 8) as usize) else {
        return;
    };
    for k in 0..h.len {
        if let Some(p) = t.word_in(&ps, k * 8).filter(|p| *p != 0) {
            for run in [l.p_pcache, l.p_wbbuf, l.p_spanq, l.p_xregs] {
                hidden.extend(run.addrs(p));
            }
        }
    }
}

/// Conservative marking over a span index.
struct Marker<'a, 't> {
    idx: &'a SpanIndex,
    t: &'a Target<'t>,
    /// Addresses of words not followed, ascending.
    hidden: &'a [u64],
    stacks: StackScanner<'a>,
    marks: Vec<Vec<u64>>,
    work: Vec<ObjRef>,
    buf: Vec<u8>,
    /// Words looked up lately, by a hash of their value: their object is marked, or they
    /// point to none (the index does not change), so the same word again needs no lookup.
    /// Heaps repeat pointers (many to the same objects): most words are found here.
    seen: Box<[u64; SEEN]>,
    /// Words a scan found to mark (kept for its capacity).
    cands: Vec<u64>,
    /// Scratch: the heap words of one stack.
    values: Vec<u64>,
    lo: u64,
    hi: u64,
    scanned: u64,
    marked: u64,
    errors: Vec<String>,
}

impl<'a, 't> Marker<'a, 't> {
    fn new(
        idx: &'a SpanIndex,
        t: &'a Target<'t>,
        hidden: &'a [u64],
        stacks: StackScanner<'a>,
    ) -> Self {
        let (lo, hi) = idx.bounds();
        Marker {
            stacks,
            idx,
            t,
            hidden,
            marks: idx
                .spans
                .iter()
                .map(|s| vec![0u64; (s.nelems as usize).div_ceil(64)])
                .collect(),
            work: Vec::new(),
            buf: Vec::new(),
            seen: Box::new([0; SEEN]),
            cands: Vec::new(),
            values: Vec::new(),
            lo,
            hi,
            scanned: 0,
            marked: 0,
            errors: Vec::new(),
        }
    }

    fn is_marked(&self, o: ObjRef) -> bool {
        self.marks
            .get(o.span as usize)
            .and_then(|m| m.get((o.slot / 64) as usize))
            .is_some_and(|w| w >> (o.slot % 64) & 1 == 1)
    }

    /// Whether an object a goroutine waits on counts as reachable: marked, or not in the
    /// heap at all (a global, a stack).
    fn reachable(&self, addr: u64) -> bool {
        if !self.idx.in_heap(addr) {
            return true;
        }
        match self.idx.find(addr) {
            Some(o) => self.is_marked(o),
            // In a span but in a free slot: not an object this index knows; never a leak.
            None => true,
        }
    }

    #[inline]
    fn mark(&mut self, v: u64) {
        if v < self.lo || v >= self.hi {
            return;
        }
        let Some(o) = self.idx.find(v) else { return };
        let Some(w) = self
            .marks
            .get_mut(o.span as usize)
            .and_then(|m| m.get_mut((o.slot / 64) as usize))
        else {
            return;
        };
        let bit = 1u64 << (o.slot % 64);
        if *w & bit != 0 {
            return;
        }
        *w |= bit;
        self.marked += 1;
        if self
            .idx
            .spans
            .get(o.span as usize)
            .is_some_and(|s| !s.noscan)
        {
            self.work.push(o);
        }
    }

    fn error(&mut self, e: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(e);
        }
    }

    /// Scan `[addr, addr + len)` word by word (aligned), skipping the words at the
    /// addresses `skip` (see [`read_words`]).
    fn scan_range(&mut self, addr: u64, len: u64, skip: Option<&[u64]>) {
        let mut buf = std::mem::take(&mut self.buf);
        let mut cands = std::mem::take(&mut self.cands);
        let mut errors = Vec::new();
        let (lo, hi, seen) = (self.lo, self.hi, &mut self.seen);
        self.scanned += read_words(self.t.mem, addr, len, &mut buf, &mut errors, |at, w| {
            filter(lo, hi, skip, seen, at, w, &mut cands);
        });
        for v in cands.drain(..) {
            self.mark(v);
        }
        for e in errors {
            self.error(e);
        }
        self.buf = buf;
        self.cands = cands;
    }

    /// Scan objects `objs` (start, size) on `threads` threads: each reads and filters a
    /// share of their chunks as [`Marker::scan_range`] does (with a table of words seen of
    /// its own), then the words left are marked here. Marking only grows, so the order
    /// objects are scanned in does not change what is marked in the end.
    fn scan_parallel(&mut self, objs: &[(u64, u64)], threads: usize) {
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        for &(base, size) in objs {
            let end = base.saturating_add(size);
            let mut a = base;
            while a < end {
                let n = CHUNK.min(end - a);
                pieces.push((a, n));
                a += n;
            }
        }
        let next = AtomicUsize::new(0);
        let (lo, hi, mem) = (self.lo, self.hi, self.t.mem);
        let work = || {
            let mut seen = Box::new([0u64; SEEN]);
            let (mut buf, mut out, mut errors, mut scanned) =
                (Vec::new(), Vec::new(), Vec::new(), 0);
            while let Some(&(a, n)) = pieces.get(next.fetch_add(1, Ordering::Relaxed)) {
                scanned += read_words(mem, a, n, &mut buf, &mut errors, |at, w| {
                    filter(lo, hi, None, &mut seen, at, w, &mut out);
                });
            }
            (out, errors, scanned)
        };
        let results: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            hs.into_iter().map(|h| h.join()).collect()
        });
        for r in results {
            let Ok((out, errors, scanned)) = r else {
                // Unscanned objects could make a leak: say so, never guess.
                self.error("a marking thread failed".into());
                continue;
            };
            self.scanned += scanned;
            for e in errors {
                self.error(e);
            }
            for v in out {
                let h = seen_slot(v);
                if self.seen[h] != v {
                    self.seen[h] = v;
                    self.mark(v);
                }
            }
        }
    }

    /// Mark what `g`'s stack holds: its live words (precise where the stack maps tell).
    fn scan_stack(&mut self, g: &Goroutine) {
        let len = g.stack_hi.saturating_sub(g.stack_lo);
        if len > MAX_STACK {
            self.error(format!(
                "goroutine {}: a stack of {len} bytes is not a stack",
                g.goid
            ));
            return;
        }
        let mut values = std::mem::take(&mut self.values);
        values.clear();
        let (lo, hi) = (self.lo, self.hi);
        let r = self.stacks.scan(self.t, g, MAX_STACK, &mut |w| {
            if w.value >= lo && w.value < hi {
                values.push(w.value);
            }
        });
        self.scanned += g.stack_hi - g.sp.clamp(g.stack_lo, g.stack_hi);
        match r {
            Ok(_) => {
                for v in &values {
                    self.mark(*v);
                }
            }
            Err(e) => self.error(e),
        }
        self.values = values;
    }

    /// Scan the marked objects not scanned yet, and those they mark, to the end; big ones
    /// in batches on every core.
    fn drain(&mut self) {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS);
        let mut big: Vec<(u64, u64)> = Vec::new();
        let mut big_bytes = 0;
        loop {
            while let Some(o) = self.work.pop() {
                let (base, size) = self.idx.object(o);
                let hidden = self.hidden;
                let i = hidden.partition_point(|a| *a < base);
                let n = hidden
                    .get(i..)
                    .map_or(0, |h| h.partition_point(|a| *a < base.saturating_add(size)));
                let skip = hidden.get(i..i + n).filter(|h| !h.is_empty());
                if threads > 1 && size >= BIG && skip.is_none() {
                    big.push((base, size));
                    big_bytes += size;
                    if big_bytes >= BATCH_BYTES {
                        self.scan_parallel(&big, threads);
                        big.clear();
                        big_bytes = 0;
                    }
                    continue;
                }
                self.scan_range(base, size, skip);
            }
            if big.is_empty() {
                return;
            }
            self.scan_parallel(&big, threads);
            big.clear();
            big_bytes = 0;
        }
    }
}

/// The slot of word `v` in a table of words seen.
#[inline]
fn seen_slot(v: u64) -> usize {
    ((v >> 3) ^ (v >> 15)) as usize & (SEEN - 1)
}

/// Append to `out` the words of `words` (read at `at`) that lie in `[lo, hi)`, are not at an
/// address of `skip` and are not in `seen` (which then holds them).
fn filter(
    lo: u64,
    hi: u64,
    skip: Option<&[u64]>,
    seen: &mut [u64; SEEN],
    at: u64,
    words: &[u8],
    out: &mut Vec<u64>,
) {
    for (k, w) in words.chunks_exact(8).enumerate() {
        // One 8-byte load (indexing each byte makes eight).
        let v = <[u8; 8]>::try_from(w).map_or(0, u64::from_le_bytes);
        if v < lo || v >= hi {
            continue;
        }
        if let Some(skip) = skip {
            if skip.contains(&(at + (k as u64) * 8)) {
                continue;
            }
        }
        let h = seen_slot(v);
        if seen[h] == v {
            continue;
        }
        seen[h] = v;
        out.push(v);
    }
}

/// Read the aligned words of `[addr, addr + len)` and hand each piece read to `f` (its
/// address, its bytes); the bytes read. Reads end at page boundaries (a core splits memory
/// into segments there); a chunk that cannot be read is retried page by page, each page
/// that cannot be read one line in `errors`. A core's bytes are handed where they are
/// mapped, not copied into `buf`.
fn read_words(
    mem: &dyn Memory,
    addr: u64,
    len: u64,
    buf: &mut Vec<u8>,
    errors: &mut Vec<String>,
    mut f: impl FnMut(u64, &[u8]),
) -> u64 {
    let start = (addr + 7) & !7;
    let end = addr.saturating_add(len) & !7;
    let mut read = 0;
    let mut a = start;
    while a < end {
        let n = ((a + CHUNK) & !(PAGE - 1)).min(end) - a;
        if let Some(b) = mem.borrow(a, n as usize) {
            f(a, b);
            read += n;
            a += n;
            continue;
        }
        buf.resize(n as usize, 0);
        if mem.read_into(a, buf).is_ok() {
            f(a, buf);
            read += n;
        } else {
            let mut p = a;
            while p < a + n {
                let m = ((p + PAGE) & !(PAGE - 1)).min(a + n) - p;
                buf.resize(m as usize, 0);
                match mem.read_into(p, buf) {
                    Ok(()) => {
                        f(p, buf);
                        read += m;
                    }
                    Err(e) => {
                        if errors.len() < MAX_ERRORS {
                            errors.push(format!("cannot read {m} bytes at {p:#x} ({e})"));
                        }
                    }
                }
                p += m;
            }
        }
        a += n;
    }
    read
}

#[cfg(test)]
#[path = "leaks_tests.rs"]
mod tests;
