//! Why goroutines are stuck: the object each blocked goroutine waits on (a channel, a
//! `sync` object, a bare semaphore), the other goroutines waiting on it, the goroutines that
//! can reach it (its suspects: stack words pointing into it or into the heap object holding
//! it) and the wait cycles (strongly connected components of goroutine -> object -> suspect).
//!
//! Read from the same goroutine records as the other views, plus:
//! - `g.waiting`: the sudogs of a channel operation or select (`sudog.c` each);
//! - `runtime.semtable`: every root's treap of sudogs keyed by semaphore address (`elem`),
//!   same-address waiters chained by `waitlink`; the wait reason (and the frames, for
//!   WaitGroups before Go 1.25) says which field of which sync type the semaphore is;
//! - the `notifyList` of a `sync.Cond`, whose address comes from the waiter's stack;
//! - `mheap_.arenas` -> `heapArena.spans` -> `mspan` for the heap object holding an address.
//!
//! Every walk is bounded (visited sets, node limits), and each unreadable part is one line
//! in [`Waits::errors`]; the rest is still reported.

use std::collections::BTreeMap;
use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};

use super::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use super::stackscan::StackScanner;
use super::waits_layout::{heap_geometry as hg, sema_root_index, WaitLayout, SEM_TAB_SIZE};
use super::{GoRuntime, Goroutine};
use crate::error::{Error, Result};
use crate::mem::read_coalesced;
use crate::mem::PageCache;
use crate::mem::{le_u32, le_word, Target};
use crate::values::{self, render};

/// At most this many semtable sudogs (treap nodes and chained waiters) are read.
pub const MAX_SEMA_NODES: usize = 4_000_000;
/// At most this many sudogs of one `g.waiting` chain (a select has at most 65536 cases).
pub const MAX_WAITING_CHAIN: usize = 65_536;
/// At most this many sudogs counted in one channel queue or notify list.
pub const MAX_QUEUE: usize = 4_000_000;
/// The top of each stack scanned for suspects, in bytes.
pub const MAX_STACK_SCAN: u64 = 1 << 20;
/// Stack words of a `sync.Cond` waiter tried as the Cond's address.
const MAX_COND_CANDIDATES: usize = 256;
/// Heap objects of this size or smaller may be tiny-allocator blocks holding several
/// unrelated objects: only pointers into the object itself count for them.
const TINY_BLOCK: u64 = 16;

/// What a goroutine waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A channel (address 0: a nil channel).
    Chan,
    /// A `sync.Mutex`.
    Mutex,
    /// A `sync.RWMutex`.
    RwMutex,
    /// A `sync.WaitGroup`.
    WaitGroup,
    /// A `sync.Cond`.
    Cond,
    /// A runtime semaphore nothing more is known of.
    Sema,
}

impl Kind {
    /// The name users see (`chan`, `mutex`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Chan => "chan",
            Kind::Mutex => "mutex",
            Kind::RwMutex => "rwmutex",
            Kind::WaitGroup => "waitgroup",
            Kind::Cond => "cond",
            Kind::Sema => "sema",
        }
    }

    /// The Go type of the object (`*sync.Cond` is what the user holds for a Cond).
    fn go_type(self) -> Option<&'static str> {
        match self {
            Kind::Mutex => Some("sync.Mutex"),
            Kind::RwMutex => Some("sync.RWMutex"),
            Kind::WaitGroup => Some("sync.WaitGroup"),
            Kind::Cond => Some("sync.Cond"),
            Kind::Chan | Kind::Sema => None,
        }
    }
}

/// The operation a waiter is blocked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// Channel send.
    Send,
    /// Channel receive.
    Recv,
    /// A select (one of its cases).
    Select,
    /// Mutex or RWMutex write lock.
    Lock,
    /// RWMutex read lock.
    RLock,
    /// WaitGroup.Wait, Cond.Wait, a bare semaphore.
    Wait,
}

impl Op {
    /// The name users see.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Send => "send",
            Op::Recv => "recv",
            Op::Select => "select",
            Op::Lock => "lock",
            Op::RLock => "rlock",
            Op::Wait => "wait",
        }
    }
}

/// A channel's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChanState {
    /// Element type name (`int`, `main.job`), when the type descriptor is readable.
    pub elem_type: Option<String>,
    /// Buffered elements (`qcount`).
    pub len: u64,
    /// Buffer size (`dataqsiz`).
    pub cap: u64,
    /// Closed.
    pub closed: bool,
    /// Goroutines queued to send (`sendq`).
    pub send_waiting: usize,
    /// Goroutines queued to receive (`recvq`).
    pub recv_waiting: usize,
}

/// Where an object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In the heap object `[base, base + size)`.
    Heap {
        /// Start of the heap object.
        base: u64,
        /// Its size (the span's element size).
        size: u64,
    },
    /// In the binary's initialized data.
    Data,
    /// In the binary's zeroed data.
    Bss,
    /// Elsewhere or unknown (a stack, an unreadable span index).
    Unknown,
}

/// A goroutine waiting on an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiter {
    /// Goroutine id.
    pub goid: u64,
    /// Operation.
    pub op: Op,
    /// `g.waitsince` (nanotime since when it waits, recorded by the garbage collector; 0
    /// when unknown).
    pub waitsince: i64,
}

/// The object one goroutine waits on (the goroutine views' `waits_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitsOn {
    /// Kind.
    pub kind: Kind,
    /// Address as the program sees it (0: a nil channel).
    pub addr: u64,
    /// Operation.
    pub op: Op,
}

/// A goroutine that can reach an object: one of its stack slots points into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspect {
    /// Goroutine id.
    pub goid: u64,
    /// The function whose frame holds the pointer.
    pub func: Arc<str>,
    /// Its file.
    pub file: Arc<str>,
    /// Its line (the call the frame is in).
    pub line: u32,
    /// The address of the stack slot.
    pub slot: u64,
    /// The local's name, when DWARF has it (not read yet: always None).
    pub var: Option<String>,
}

/// One object goroutines wait on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Kind.
    pub kind: Kind,
    /// Address as the program sees it (the channel, the sync object; 0 for a nil channel).
    pub addr: u64,
    /// Go type (`chan int`, `sync.Mutex`).
    pub type_name: Option<String>,
    /// Channel state.
    pub chan: Option<ChanState>,
    /// Where it lives.
    pub place: Place,
    /// Its waiters, by goroutine id.
    pub waiters: Vec<Waiter>,
    /// Its suspects, by goroutine id.
    pub suspects: Vec<Suspect>,
}

/// A wait cycle: goroutines each waiting on an object another of them can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// The goroutines, ascending.
    pub goids: Vec<u64>,
    /// The objects they wait on, ascending.
    pub objects: Vec<u64>,
}

/// The wait view's facts.
#[derive(Debug, Clone, Default)]
pub struct Waits {
    /// Objects, most waiters first (then by address).
    pub objects: Vec<Object>,
    /// Cycles.
    pub cycles: Vec<Cycle>,
    /// Per goroutine id, the addresses of the objects it waits on.
    pub waits_on: BTreeMap<u64, Vec<u64>>,
    /// One line per unreadable part.
    pub errors: Vec<String>,
    /// Every goroutine's state as `runtime.Stack` shows it (`chan send`, `running`).
    pub states: BTreeMap<u64, Arc<str>>,
}

/// How a chain from a goroutine ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainEnd {
    /// At a goroutine that waits on no object (running, sleeping, in a system call...).
    NotBlocked(u64),
    /// Back at a goroutine already in the chain.
    Cycle(u64),
    /// At an object no other goroutine can reach.
    Nobody(u64),
    /// The goroutine does not exist.
    NoSuchGoroutine(u64),
}

/// One step of a chain: a goroutine and the object it waits on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStep {
    /// Goroutine id.
    pub goid: u64,
    /// Index in [`Waits::objects`] of the object it waits on.
    pub object: usize,
    /// Index in that object's suspects of the one followed.
    pub suspect: Option<usize>,
}

impl Waits {
    /// The chain from goroutine `goid`: what it waits on, the goroutine that can unblock
    /// that (the first suspect not yet in the chain, else the first), what that one waits
    /// on, ... to a goroutine that is not blocked on an object, a cycle, or nobody.
    pub fn chain(&self, goid: u64) -> (Vec<ChainStep>, ChainEnd) {
        let mut steps = Vec::new();
        let mut seen = HashSet::default();
        let mut cur = goid;
        if !self.states.contains_key(&cur) {
            return (steps, ChainEnd::NoSuchGoroutine(cur));
        }
        loop {
            if !seen.insert(cur) {
                return (steps, ChainEnd::Cycle(cur));
            }
            let Some(addr) = self.waits_on.get(&cur).and_then(|v| v.first()) else {
                return (steps, ChainEnd::NotBlocked(cur));
            };
            let Some(oi) = self.objects.iter().position(|o| o.addr == *addr) else {
                return (steps, ChainEnd::NotBlocked(cur));
            };
            let o = &self.objects[oi];
            let next = o
                .suspects
                .iter()
                .position(|s| !seen.contains(&s.goid))
                .or(if o.suspects.is_empty() { None } else { Some(0) });
            steps.push(ChainStep {
                goid: cur,
                object: oi,
                suspect: next,
            });
            match next {
                Some(si) => cur = o.suspects[si].goid,
                None => return (steps, ChainEnd::Nobody(o.addr)),
            }
        }
    }
}

/// A semtable waiter: the sudog's goroutine and semaphore address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemaWaiter {
    /// The `g` (address).
    pub g: u64,
    /// The semaphore's address (`sudog.elem`).
    pub addr: u64,
    /// The sudog's own address.
    pub sudog: u64,
}

/// The addresses the wait view reads besides the goroutines (runtime addresses: relocated).
#[derive(Debug, Clone, Default)]
pub struct Globals {
    /// `runtime.semtable` and its size.
    pub semtable: Option<(u64, u64)>,
    /// `runtime.mheap_`.
    pub mheap: Option<u64>,
    /// The types section (`runtime.types` .. `runtime.etypes`).
    pub types: Option<std::ops::Range<u64>>,
    /// Data and bss ranges of the binary: (start, end, is_bss).
    pub data: Vec<(u64, u64, bool)>,
}

/// The wait model of one binary: its layouts and the link addresses of its globals.
pub struct WaitModel {
    layout: WaitLayout,
    values: values::Layout,
    semtable: Option<(u64, u64)>,
    mheap: Option<u64>,
    types: Option<(u64, u64)>,
    data: Vec<(u64, u64, bool)>,
}

impl WaitModel {
    /// The model of `rt`'s binary: layouts from DWARF, else the table of its release.
    pub fn new(rt: &GoRuntime) -> Result<Self> {
        let syms = rt.symbols();
        let bin = rt.binary();
        let (version, dwarf) = rt.release_and_dwarf();
        let layout = match dwarf.as_deref().map(|d| WaitLayout::from_dwarf(d, version)) {
            Some(Ok(l)) => l,
            other => {
                let why = match other {
                    Some(Err(e)) => format!("DWARF layout unusable ({e})"),
                    _ => "no DWARF".into(),
                };
                WaitLayout::fallback(version, bin.arch()).ok_or_else(|| {
                    Error::Unsupported(format!(
                        "{why}, and no built-in sudog/hchan layout for Go {}.{}",
                        version.0, version.1
                    ))
                })?
            }
        };
        let var = |n: &str| super::var_addr(syms, dwarf.as_deref(), n);
        let data = bin
            .sections()
            .iter()
            .filter_map(|s| match s.name.as_str() {
                ".data" | ".noptrdata" => Some((s.addr, s.addr.saturating_add(s.size), false)),
                ".bss" | ".noptrbss" => Some((s.addr, s.addr.saturating_add(s.size), true)),
                _ => None,
            })
            .collect();
        let types = var("runtime.types").map(|(a, _)| a).map(|start| {
            let end = var("runtime.etypes")
                .map(|(e, _)| e)
                .filter(|e| *e > start)
                .unwrap_or(u64::MAX);
            (start, end)
        });
        Ok(WaitModel {
            layout,
            values: values::layout::for_version(version.1).0,
            semtable: var("runtime.semtable"),
            mheap: var("runtime.mheap_").map(|(a, _)| a),
            types,
            data,
        })
    }

    /// The layout in use.
    pub fn layout(&self) -> &WaitLayout {
        &self.layout
    }

    /// The globals relocated for a target.
    pub fn globals(&self, bias: u64) -> Globals {
        let r = |a: u64| a.wrapping_add(bias);
        Globals {
            semtable: self.semtable.map(|(a, s)| (r(a), s)),
            mheap: self.mheap.map(r),
            types: self.types.map(|(a, b)| r(a)..r(b)),
            data: self
                .data
                .iter()
                .map(|(a, b, bss)| (r(*a), r(*b), *bss))
                .collect(),
        }
    }

    /// What each blocked goroutine of `gs` waits on (see [`waits_on`]).
    pub fn waits_on<'g>(
        &self,
        rt: &GoRuntime,
        t: &Target<'_>,
        gs: impl IntoIterator<Item = &'g Goroutine>,
    ) -> (Vec<(usize, WaitsOn)>, Vec<String>) {
        let cache = PageCache::new(t.mem);
        let ct = t.with_mem(&cache);
        let st = &rt.layout().status;
        waits_on(
            &self.layout,
            &self.globals(t.bias),
            &ct,
            t,
            gs,
            st.waiting,
            st.scan,
        )
    }

    /// The objects the blocked goroutines of `gs` wait on and [`Waits::waits_on`], with
    /// none of the rest of [`WaitModel::analyze`] (no channel state, place, waiters,
    /// suspects or cycles): what the leak check reads, at a fraction of the cost.
    pub fn objects_only(&self, rt: &GoRuntime, t: &Target<'_>, gs: &[Goroutine]) -> Waits {
        let (on, errors) = self.waits_on(rt, t, gs);
        let mut w = Waits {
            errors,
            ..Waits::default()
        };
        let mut kinds: BTreeMap<u64, Kind> = BTreeMap::new();
        for (i, o) in on {
            let Some(g) = gs.get(i) else { continue };
            kinds.entry(o.addr).or_insert(o.kind);
            w.waits_on.entry(g.goid.0).or_default().push(o.addr);
        }
        w.objects = kinds
            .into_iter()
            .map(|(addr, kind)| Object {
                kind,
                addr,
                type_name: None,
                chan: None,
                place: Place::Unknown,
                waiters: Vec::new(),
                suspects: Vec::new(),
            })
            .collect();
        w
    }

    /// The wait facts of goroutines `gs` (one enumeration of `t`).
    pub fn analyze(&self, rt: &GoRuntime, t: &Target<'_>, gs: &[Goroutine]) -> Waits {
        let cache = PageCache::new(t.mem);
        let ct = t.with_mem(&cache);
        let g = self.globals(t.bias);
        analyze(
            &self.layout,
            &self.values,
            &g,
            &ct,
            t,
            &mut StackScanner::new(Some(rt.pclntab()), rt.arch()),
            gs,
            rt.layout().status.waiting,
            rt.layout().status.scan,
        )
    }
}

/// Walk every semtable root's treap and each node's `waitlink` chain. `table` is the
/// address of `runtime.semtable`, `stride` the size of one root with its padding. Bounded
/// by a visited set and [`MAX_SEMA_NODES`]; each unreadable or misplaced node is one error
/// and its subtree is skipped.
pub fn walk_semtable(
    l: &WaitLayout,
    t: &Target<'_>,
    table: u64,
    stride: u64,
    errors: &mut Vec<String>,
) -> Vec<SemaWaiter> {
    let s = &l.sudog;
    let mut out = Vec::new();
    let roots = match t.bytes(table, (SEM_TAB_SIZE * stride) as usize) {
        Ok(b) => b,
        Err(e) => {
            errors.push(format!("semtable at {table:#x}: cannot read ({e})"));
            return out;
        }
    };
    // (node, root index, is a treap node (children to follow) or a chained waiter).
    let mut frontier: Vec<(u64, u64, bool)> = (0..SEM_TAB_SIZE)
        .filter_map(|i| {
            let p = t.word_in(&roots, i * stride + l.sema_treap)?;
            (p != 0).then_some((p, i, true))
        })
        .collect();
    let mut seen: HashSet<u64> = HashSet::default();
    let mut limited = false;
    while !frontier.is_empty() {
        frontier.retain(|(a, _, _)| seen.insert(*a));
        if seen.len() > MAX_SEMA_NODES {
            limited = true;
            break;
        }
        let addrs: Vec<u64> = frontier.iter().map(|f| f.0).collect();
        let got = read_coalesced(t.mem, &addrs, s.size as usize);
        let mut next = Vec::new();
        for (i, (node, root, treap)) in frontier.iter().enumerate() {
            let Some(b) = got.get(i) else {
                errors.push(format!(
                    "semtable root {root}: cannot read the sudog at {node:#x}"
                ));
                continue;
            };
            let w = |o: u64| t.word_in(b, o).unwrap_or(0);
            let addr = w(s.elem);
            if sema_root_index(addr) != *root {
                errors.push(format!(
                    "semtable root {root}: the sudog at {node:#x} waits on {addr:#x}, which belongs to root {}",
                    sema_root_index(addr)
                ));
                continue;
            }
            out.push(SemaWaiter {
                g: w(s.g),
                addr,
                sudog: *node,
            });
            let link = w(s.waitlink);
            if link != 0 {
                next.push((link, *root, false));
            }
            if *treap {
                for c in [w(s.prev), w(s.next)] {
                    if c != 0 {
                        next.push((c, *root, true));
                    }
                }
            }
        }
        frontier = next;
    }
    if limited {
        errors.push(format!(
            "semtable: stopped after {MAX_SEMA_NODES} sudogs (a cycle or corrupt memory?)"
        ));
    }
    out
}

/// Brent's loop detection for a walk along pointers: constant memory per walk (no visited
/// set for each of 100,000 chains), and a loop is found within twice its length plus the
/// steps before it.
struct LoopCheck {
    saved: u64,
    power: u64,
    steps: u64,
}

impl LoopCheck {
    fn new(first: u64) -> Self {
        LoopCheck {
            saved: first,
            power: 1,
            steps: 0,
        }
    }

    /// Step to `next`; true when the walk has been there before.
    fn revisits(&mut self, next: u64) -> bool {
        if next == self.saved {
            return true;
        }
        self.steps += 1;
        if self.steps == self.power {
            self.saved = next;
            self.power = self.power.saturating_mul(2);
            self.steps = 0;
        }
        false
    }
}

/// What [`waiting_chain`] finds: the channels, or those read before the chain broke and why.
pub type ChainChannels = std::result::Result<Vec<u64>, (Vec<u64>, String)>;

/// The channels of a `g.waiting` chain (`sudog.c`, in order, each once). Bounded by
/// [`MAX_WAITING_CHAIN`] and a loop check.
pub fn waiting_chain(l: &WaitLayout, t: &Target<'_>, first: u64) -> ChainChannels {
    waiting_chains(l, t, &[first])
        .pop()
        .unwrap_or(Ok(Vec::new()))
}

/// [`waiting_chain`] of each of `firsts` (0: no chain), in order: each round reads the next
/// sudog of every chain still going in one batch (100,000 channel waiters cost a few large
/// reads, not one per goroutine).
pub fn waiting_chains(l: &WaitLayout, t: &Target<'_>, firsts: &[u64]) -> Vec<ChainChannels> {
    let s = &l.sudog;
    let mut chans: Vec<Vec<u64>> = vec![Vec::new(); firsts.len()];
    let mut errs: Vec<Option<String>> = vec![None; firsts.len()];
    // (chain, its next sudog, its loop check, sudogs read).
    let mut frontier: Vec<(usize, u64, LoopCheck, usize)> = firsts
        .iter()
        .enumerate()
        .filter(|(_, a)| **a != 0)
        .map(|(i, a)| (i, *a, LoopCheck::new(*a), 1))
        .collect();
    while !frontier.is_empty() {
        let addrs: Vec<u64> = frontier.iter().map(|f| f.1).collect();
        let got = read_coalesced(t.mem, &addrs, s.size as usize);
        let mut next = Vec::new();
        for (k, (i, cur, mut check, n)) in frontier.into_iter().enumerate() {
            let (Some(out), Some(err)) = (chans.get_mut(i), errs.get_mut(i)) else {
                continue;
            };
            let Some(b) = got.get(k) else {
                *err = Some(format!("cannot read the sudog at {cur:#x}"));
                continue;
            };
            let c = t.word_in(b, s.c).unwrap_or(0);
            if c != 0 && !out.contains(&c) {
                out.push(c);
            }
            let link = t.word_in(b, s.waitlink).unwrap_or(0);
            if link == 0 {
                continue;
            }
            if check.revisits(link) || n >= MAX_WAITING_CHAIN {
                *err = Some(format!("the g.waiting chain loops at {link:#x}"));
                continue;
            }
            next.push((i, link, check, n + 1));
        }
        frontier = next;
    }
    chans
        .into_iter()
        .zip(errs)
        .map(|(c, e)| match e {
            Some(e) => Err((c, e)),
            None => Ok(c),
        })
        .collect()
}

/// Count the sudogs of a list linked by `next` (a channel's `waitq`, a notify list),
/// whether `g` is among them, and the last one. Bounded by [`MAX_QUEUE`] and a visited set.
pub fn sudog_list(
    l: &WaitLayout,
    t: &Target<'_>,
    first: u64,
    g: Option<u64>,
) -> std::result::Result<(usize, bool, u64), String> {
    let s = &l.sudog;
    let mut check = LoopCheck::new(first);
    let mut b = vec![0u8; s.size as usize];
    let mut n = 0;
    let mut cur = first;
    let mut last = 0;
    let mut found = false;
    while cur != 0 {
        if n >= MAX_QUEUE || (n > 0 && check.revisits(cur)) {
            return Err(format!("the sudog list loops at {cur:#x}"));
        }
        n += 1;
        t.mem
            .read_into(cur, &mut b)
            .map_err(|e| format!("cannot read the sudog at {cur:#x} ({e})"))?;
        found |= g.is_some_and(|g| t.word_in(&b, s.g) == Some(g));
        last = cur;
        cur = t.word_in(&b, s.next).unwrap_or(0);
    }
    Ok((n, found, last))
}

/// A channel's state (without the element type's name).
pub fn chan_state(
    l: &WaitLayout,
    t: &Target<'_>,
    c: u64,
) -> std::result::Result<ChanState, String> {
    let h = &l.hchan;
    let b = t
        .bytes(c, h.size as usize)
        .map_err(|e| format!("channel {c:#x}: cannot read its hchan ({e})"))?;
    let w = |o: u64| t.word_in(&b, o).unwrap_or(0);
    let (len, cap) = (w(h.qcount), w(h.dataqsiz));
    if len > cap {
        return Err(format!(
            "channel {c:#x}: {len} elements in a buffer of {cap}: not a channel"
        ));
    }
    let count = |q: u64| sudog_list(l, t, w(q), None).map(|(n, _, _)| n);
    let send_waiting = count(h.sendq).map_err(|e| format!("channel {c:#x} sendq: {e}"))?;
    let recv_waiting = count(h.recvq).map_err(|e| format!("channel {c:#x} recvq: {e}"))?;
    Ok(ChanState {
        elem_type: None,
        len,
        cap,
        closed: le_u32(&b, h.closed as usize).unwrap_or(0) != 0,
        send_waiting,
        recv_waiting,
    })
}

/// The heap object holding `addr` (its start and size), from the span index:
/// `mheap_.arenas[0][arena]` -> `heapArena.spans[page]` -> `mspan{startAddr, npages,
/// elemsize, state}`. None outside the heap or when a step is unreadable.
pub fn heap_object(l: &WaitLayout, t: &Target<'_>, mheap: u64, addr: u64) -> Option<(u64, u64)> {
    let h = &l.heap;
    let base_off = if t.arch == crate::binary::Arch::Amd64 {
        hg::AMD64_BASE_OFFSET
    } else {
        0
    };
    let ri = addr.wrapping_sub(base_off) / hg::ARENA_BYTES;
    if ri >= hg::L2_ENTRIES {
        return None;
    }
    let l2 = t
        .word(mheap.wrapping_add(h.mheap_arenas))
        .ok()
        .filter(|p| *p != 0)?;
    let arena = t.word(l2.wrapping_add(ri * 8)).ok().filter(|p| *p != 0)?;
    let page = (addr % hg::ARENA_BYTES) / hg::PAGE_SIZE;
    let span = t
        .word(arena.wrapping_add(h.arena_spans + page * 8))
        .ok()
        .filter(|p| *p != 0)?;
    let b = t.bytes(span, (h.span_elemsize + 8) as usize).ok()?;
    let start = t.word_in(&b, h.span_start)?;
    let npages = t.word_in(&b, h.span_npages)?;
    let elemsize = t.word_in(&b, h.span_elemsize)?;
    let state = *b.get(h.span_state as usize)?;
    let end = start.checked_add(npages.checked_mul(hg::PAGE_SIZE)?)?;
    if state != hg::SPAN_IN_USE || elemsize == 0 || addr < start || addr >= end {
        return None;
    }
    let base = start + (addr - start) / elemsize * elemsize;
    Some((base, elemsize))
}

/// Strongly connected components of two or more nodes of a directed graph given as edges
/// (petgraph's Tarjan), each sorted, the list sorted. Linear in the edges (a repeated edge
/// is kept twice, which changes no component).
pub fn cycles<N: Copy + Eq + Ord + std::hash::Hash>(edges: &[(N, N)]) -> Vec<Vec<N>> {
    let mut g: DiGraph<N, ()> = DiGraph::new();
    let mut ix: HashMap<N, NodeIndex> = HashMap::default();
    let mut node = |g: &mut DiGraph<N, ()>, v: N| *ix.entry(v).or_insert_with(|| g.add_node(v));
    for (a, b) in edges {
        let (na, nb) = (node(&mut g, *a), node(&mut g, *b));
        g.add_edge(na, nb, ());
    }
    let mut out: Vec<Vec<N>> = petgraph::algo::tarjan_scc(&g)
        .into_iter()
        .filter(|c| c.len() >= 2)
        .map(|c| {
            let mut v: Vec<N> = c.iter().map(|n| g[*n]).collect();
            v.sort_unstable();
            v
        })
        .collect();
    out.sort();
    out
}

/// The sync object a semaphore belongs to, from the waiter's wait reason and frames.
fn sema_object(l: &WaitLayout, g: &Goroutine, sema: u64) -> (Kind, u64, Op) {
    let s = &l.sync;
    let in_frames = |f: &str| g.frames.iter().any(|fr| &*fr.func == f);
    match &*g.wait_reason {
        "sync.Mutex.Lock" if in_frames("sync.(*RWMutex).Lock") => {
            // A writer queued on the RWMutex's inner Mutex `w` (its first field).
            (Kind::RwMutex, sema.wrapping_sub(s.mutex_sema), Op::Lock)
        }
        "sync.Mutex.Lock" => (Kind::Mutex, sema.wrapping_sub(s.mutex_sema), Op::Lock),
        "sync.RWMutex.RLock" => (Kind::RwMutex, sema.wrapping_sub(s.rw_reader_sem), Op::RLock),
        "sync.RWMutex.Lock" => (Kind::RwMutex, sema.wrapping_sub(s.rw_writer_sem), Op::Lock),
        r if r.starts_with("sync.WaitGroup.Wait") || in_frames("sync.(*WaitGroup).Wait") => {
            (Kind::WaitGroup, sema.wrapping_sub(s.wg_sema), Op::Wait)
        }
        _ => (Kind::Sema, sema, Op::Wait),
    }
}

/// Where the words a `sync.Cond` waiter's Cond is looked for lie (start, bytes): from its
/// sp to the end of its `sync.(*Cond).Wait` frame, at most [`MAX_COND_CANDIDATES`] words.
/// None without that frame.
fn cond_words(g: &Goroutine) -> Option<(u64, usize)> {
    let sps = g.frames.sps(g.sp);
    let i = g
        .frames
        .iter()
        .position(|f| &*f.func == "sync.(*Cond).Wait")?;
    // The Wait frame ends where its caller's begins.
    let end = sps
        .iter()
        .skip(i + 1)
        .copied()
        .find(|sp| *sp > *sps.get(i).unwrap_or(&g.sp))
        .unwrap_or(g.stack_hi)
        .min(g.stack_hi);
    let n = (end.saturating_sub(g.sp) / 8).min(MAX_COND_CANDIDATES as u64) as usize;
    Some((g.sp, n * 8))
}

/// The notify lists [`cond_of`] walked: per candidate Cond, its list's goroutines (None when
/// it is not a well-formed list), and per goroutine of those lists, the Cond (None when two
/// lists hold it).
#[derive(Default)]
struct Conds {
    lists: HashMap<u64, Option<HashSet<u64>>>,
    owner: HashMap<u64, Option<u64>>,
}

/// The `sync.Cond` a waiter parks on: the Cond of a notify list already walked that holds
/// it (16,000 waiters of one Cond: one list walked, one stack read), else a word of its
/// stack up to the end of its `sync.(*Cond).Wait` frame (read from `direct`) that is the
/// Cond (the receiver, tried first) or its notify list (the argument of
/// `runtime_notifyListWait`), whose notify list holds the waiter's sudog and ends at its
/// `tail`.
fn cond_of(
    l: &WaitLayout,
    t: &Target<'_>,
    direct: &Target<'_>,
    g: &Goroutine,
    conds: &mut Conds,
) -> Option<u64> {
    if let Some(Some(c)) = conds.owner.get(&g.addr.0) {
        return Some(*c);
    }
    let s = &l.sync;
    let (sp, len) = cond_words(g)?;
    let words = direct.bytes(sp, len).ok()?;
    let words: Vec<u64> = words
        .chunks_exact(8)
        .filter_map(|w| le_word(w, 0, 8))
        .filter(|w| *w >= 4096)
        .collect();
    let mut tried = HashSet::default();
    for shift in [0, s.cond_notify] {
        for w in &words {
            let cond = w.wrapping_sub(shift);
            if !tried.insert(cond) {
                continue;
            }
            let gs = conds.lists.entry(cond).or_insert_with(|| {
                let gs = notify_list(l, t, cond.wrapping_add(s.cond_notify));
                for x in gs.iter().flatten() {
                    conds
                        .owner
                        .entry(*x)
                        .and_modify(|c| *c = None)
                        .or_insert(Some(cond));
                }
                gs
            });
            if gs.as_ref().is_some_and(|gs| gs.contains(&g.addr.0)) {
                return Some(cond);
            }
        }
    }
    None
}

/// The goroutines (`g` addresses) of the notify list at `list`, when it reads as one: a
/// sudog list from `head` that ends at `tail`.
fn notify_list(l: &WaitLayout, t: &Target<'_>, list: u64) -> Option<HashSet<u64>> {
    let s = &l.sync;
    let head = t.word(list.wrapping_add(s.notify_head)).ok()?;
    let tail = t.word(list.wrapping_add(s.notify_tail)).ok()?;
    if head == 0 || tail == 0 {
        return None;
    }
    let mut gs = HashSet::default();
    let mut check = LoopCheck::new(head);
    let mut b = vec![0u8; l.sudog.size as usize];
    let mut cur = head;
    let mut last = 0;
    let mut n = 0;
    while cur != 0 {
        if n >= MAX_QUEUE || (n > 0 && check.revisits(cur)) {
            return None;
        }
        n += 1;
        t.mem.read_into(cur, &mut b).ok()?;
        gs.insert(t.word_in(&b, l.sudog.g)?);
        last = cur;
        cur = t.word_in(&b, l.sudog.next).unwrap_or(0);
    }
    (last == tail).then_some(gs)
}

fn is_chan_wait(reason: &str) -> Option<Op> {
    if reason.starts_with("chan send") {
        Some(Op::Send)
    } else if reason.starts_with("chan receive") {
        Some(Op::Recv)
    } else if reason.starts_with("select") && !reason.starts_with("select (no cases)") {
        Some(Op::Select)
    } else {
        None
    }
}

/// A node of the wait graph: a goroutine (id) or an object (address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Node {
    G(u64),
    O(u64),
}

/// The semaphore each semtable waiter parks on, by `g` address.
fn semaphores(
    l: &WaitLayout,
    globals: &Globals,
    t: &Target<'_>,
    errors: &mut Vec<String>,
) -> HashMap<u64, u64> {
    let mut sema: HashMap<u64, u64> = HashMap::default();
    if let Some((table, size)) = globals.semtable {
        let stride = size / SEM_TAB_SIZE;
        if stride < l.sema_treap + 8 || stride > 1024 {
            errors.push(format!(
                "semtable at {table:#x}: size {size} is not {SEM_TAB_SIZE} roots"
            ));
        } else {
            for sw in walk_semtable(l, t, table, stride, errors) {
                sema.insert(sw.g, sw.addr);
            }
        }
    } else {
        errors.push("runtime.semtable not found: mutex and WaitGroup waiters not read".into());
    }
    sema
}

/// What each of `blocked` waits on: (index in `blocked`, object), each pair once, in
/// order. `sema`: the semtable's semaphore per `g` address. `t` is the cached target the
/// walks read; what is read once per goroutine (its `g.waiting` sudogs, a Cond waiter's
/// stack words) is read from `direct`, the sudogs in a few batches (through the cache,
/// 100,000 of them cost more in copied pages than the reads).
fn blocked_on(
    l: &WaitLayout,
    t: &Target<'_>,
    direct: &Target<'_>,
    blocked: &[&Goroutine],
    sema: &HashMap<u64, u64>,
    errors: &mut Vec<String>,
) -> Vec<(usize, WaitsOn)> {
    // Channel waiters (not on a nil channel): every `g.waiting` chain, in batches.
    let in_chan = |g: &Goroutine| {
        is_chan_wait(&g.wait_reason).is_some() && !g.wait_reason.contains("(nil chan)")
    };
    let firsts: Vec<u64> = blocked
        .iter()
        .filter(|g| in_chan(g))
        .map(|g| g.waiting)
        .collect();
    let mut chains = waiting_chains(l, direct, &firsts).into_iter();
    let mut out = Vec::new();
    let mut conds = Conds::default();
    for (i, g) in blocked.iter().enumerate() {
        let reason = &*g.wait_reason;
        let mut push = |kind: Kind, addr: u64, op: Op| {
            out.push((i, WaitsOn { kind, addr, op }));
        };
        if let Some(op) = is_chan_wait(reason) {
            if !in_chan(g) {
                push(Kind::Chan, 0, op);
                continue;
            }
            let Some(chain) = chains.next() else {
                continue;
            };
            let chans = match chain {
                Ok(c) => c,
                Err((c, e)) => {
                    errors.push(format!("goroutine {}: {e}", g.goid));
                    c
                }
            };
            for c in chans {
                push(Kind::Chan, c, op);
            }
        } else if reason == "sync.Cond.Wait" {
            match cond_of(l, t, direct, g, &mut conds) {
                Some(c) => push(Kind::Cond, c, Op::Wait),
                None => errors.push(format!(
                    "goroutine {}: waits on a sync.Cond not found on its stack",
                    g.goid
                )),
            }
        } else if let Some(addr) = sema.get(&g.addr.0) {
            let (kind, obj, op) = sema_object(l, g, *addr);
            push(kind, obj, op);
        }
    }
    out
}

/// What each blocked goroutine of `gs` waits on, without the objects' state, places and
/// suspects (what the goroutine views show): (index in `gs`, object; by index), and one
/// line per unreadable part. `t` and `direct` as for [`analyze`].
pub fn waits_on<'g>(
    l: &WaitLayout,
    globals: &Globals,
    t: &Target<'_>,
    direct: &Target<'_>,
    gs: impl IntoIterator<Item = &'g Goroutine>,
    waiting: u32,
    scan: u32,
) -> (Vec<(usize, WaitsOn)>, Vec<String>) {
    let mut errors = Vec::new();
    let (idx, blocked): (Vec<usize>, Vec<&Goroutine>) = gs
        .into_iter()
        .enumerate()
        .filter(|(_, g)| g.error.is_none() && g.status & !scan == waiting)
        .unzip();
    let sema = semaphores(l, globals, t, &mut errors);
    let on = blocked_on(l, t, direct, &blocked, &sema, &mut errors)
        .into_iter()
        .map(|(i, w)| (idx[i], w))
        .collect();
    (on, errors)
}

/// The whole analysis over an enumeration (`t` should be a cached target: the walks read
/// small pieces; `stacks`, the same memory uncached, is what is read once per goroutine:
/// its stack, its `g.waiting` sudogs (in batches), a Cond waiter's words; caching 100,000
/// of them would only copy and hold their pages).
#[allow(clippy::too_many_arguments)] // two views of one memory, two status codes: all needed
pub fn analyze(
    l: &WaitLayout,
    vl: &values::Layout,
    globals: &Globals,
    t: &Target<'_>,
    stacks: &Target<'_>,
    scanner: &mut StackScanner<'_>,
    gs: &[Goroutine],
    waiting: u32,
    scan: u32,
) -> Waits {
    let mut w = Waits {
        states: gs
            .iter()
            .filter(|g| g.error.is_none())
            .map(|g| (g.goid.0, g.state.clone()))
            .collect(),
        ..Waits::default()
    };
    let blocked: Vec<&Goroutine> = gs
        .iter()
        .filter(|g| g.error.is_none() && g.status & !scan == waiting)
        .collect();
    let sema = semaphores(l, globals, t, &mut w.errors);
    let mut objects: BTreeMap<u64, Object> = BTreeMap::new();
    // (goid, object) pairs, each goroutine's together: `waits_on` is built from them in one
    // bulk build (1,000,000 inserts one by one cost a quarter of a second).
    let mut on_pairs: Vec<(u64, u64)> = Vec::new();
    for (i, on) in blocked_on(l, t, stacks, &blocked, &sema, &mut w.errors) {
        let goid = blocked[i].goid.0;
        let o = objects.entry(on.addr).or_insert_with(|| Object {
            kind: on.kind,
            addr: on.addr,
            type_name: on.kind.go_type().map(str::to_string),
            chan: None,
            place: Place::Unknown,
            waiters: Vec::new(),
            suspects: Vec::new(),
        });
        o.waiters.push(Waiter {
            goid,
            op: on.op,
            waitsince: blocked[i].waitsince,
        });
        on_pairs.push((goid, on.addr));
    }
    // Stable: a goroutine's objects stay in order (and two records with one id, in corrupt
    // memory, share an entry as before).
    on_pairs.sort_by_key(|p| p.0);
    w.waits_on = on_pairs
        .chunk_by(|a, b| a.0 == b.0)
        .filter_map(|c| Some((c.first()?.0, c.iter().map(|p| p.1).collect())))
        .collect();
    // Channel state, places.
    let mut renderer = globals
        .types
        .clone()
        .map(|r| render::Renderer::new(t.mem, vl, r, render::RenderOpts::default()));
    for o in objects.values_mut() {
        if o.kind == Kind::Chan && o.addr != 0 {
            match chan_state(l, t, o.addr) {
                Ok(mut st) => {
                    let typ = t.word(o.addr.wrapping_add(l.hchan.elemtype)).unwrap_or(0);
                    st.elem_type = renderer
                        .as_mut()
                        .filter(|_| typ != 0)
                        .and_then(|r| r.type_name(typ).ok());
                    o.type_name = st.elem_type.as_ref().map(|e| format!("chan {e}"));
                    o.chan = Some(st);
                }
                Err(e) => w.errors.push(e),
            }
        }
        if o.kind == Kind::Chan && o.addr == 0 {
            o.type_name = Some("nil chan".into());
        }
        o.place = place(l, t, globals, o.addr);
    }
    suspects(l, stacks, scanner, gs, &mut objects);
    // Cycles: goroutine -> the object it waits on -> its suspects (waiters x suspects
    // edges would be quadratic: 60,000 waiters of one channel are common).
    // A goroutine no object's suspects include has no edge into it: it is in no cycle,
    // and its edges (most of the 100,000 waiters') are left out.
    let suspected: HashSet<u64> = objects
        .values()
        .flat_map(|o| o.suspects.iter().map(|s| s.goid))
        .collect();
    let mut edges = Vec::new();
    for o in objects.values() {
        for wt in o.waiters.iter().filter(|x| suspected.contains(&x.goid)) {
            edges.push((Node::G(wt.goid), Node::O(o.addr)));
        }
        for s in &o.suspects {
            edges.push((Node::O(o.addr), Node::G(s.goid)));
        }
    }
    for comp in cycles(&edges) {
        let (mut goids, mut objs) = (Vec::new(), Vec::new());
        for n in comp {
            match n {
                Node::G(g) => goids.push(g),
                Node::O(a) => objs.push(a),
            }
        }
        if goids.len() >= 2 {
            w.cycles.push(Cycle {
                goids,
                objects: objs,
            });
        }
    }
    let mut objects: Vec<Object> = objects.into_values().collect();
    for o in &mut objects {
        o.waiters.sort_by_key(|x| x.goid);
        o.suspects.sort_by_key(|x| x.goid);
    }
    objects.sort_by(|a, b| {
        b.waiters
            .len()
            .cmp(&a.waiters.len())
            .then(a.addr.cmp(&b.addr))
    });
    w.objects = objects;
    w
}

fn place(l: &WaitLayout, t: &Target<'_>, globals: &Globals, addr: u64) -> Place {
    if addr == 0 {
        return Place::Unknown;
    }
    if let Some((_, _, bss)) = globals
        .data
        .iter()
        .find(|(a, b, _)| (*a..*b).contains(&addr))
    {
        return if *bss { Place::Bss } else { Place::Data };
    }
    match globals.mheap.and_then(|m| heap_object(l, t, m, addr)) {
        Some((base, size)) => Place::Heap { base, size },
        None => Place::Unknown,
    }
}

/// The size of an object of this kind, for the range a pointer must fall in.
fn object_size(l: &WaitLayout, kind: Kind) -> u64 {
    match kind {
        Kind::Chan => l.hchan.size,
        Kind::Mutex => l.sync.mutex_size,
        Kind::RwMutex => l.sync.rw_size,
        Kind::WaitGroup => l.sync.wg_size,
        Kind::Cond => l.sync.cond_size,
        Kind::Sema => 4,
    }
}

/// Scan every user goroutine's stack (its top [`MAX_STACK_SCAN`] bytes) for live words
/// (precisely, through the stack maps: see [`StackScanner`]) pointing into an object or its
/// (non-tiny) heap object; a waiter of the object is not its suspect. Each suspect keeps
/// its innermost slot.
fn suspects(
    l: &WaitLayout,
    t: &Target<'_>,
    scanner: &mut StackScanner<'_>,
    gs: &[Goroutine],
    objects: &mut BTreeMap<u64, Object>,
) {
    // (start, end, object address), by start.
    let mut ranges: Vec<(u64, u64, u64)> = Vec::new();
    for o in objects.values() {
        if o.addr == 0 {
            continue;
        }
        ranges.push((
            o.addr,
            o.addr.saturating_add(object_size(l, o.kind).max(1)),
            o.addr,
        ));
        if let Place::Heap { base, size } = o.place {
            if size > TINY_BLOCK {
                ranges.push((base, base.saturating_add(size), o.addr));
            }
        }
    }
    if ranges.is_empty() {
        return;
    }
    ranges.sort_unstable();
    let lo = ranges[0].0;
    let hi = ranges.iter().map(|r| r.1).max().unwrap_or(0);
    let waiters: HashMap<u64, HashSet<u64>> = objects
        .values()
        .map(|o| (o.addr, o.waiters.iter().map(|x| x.goid).collect()))
        .collect();
    // (object, goroutine) suspects found.
    let mut found: HashSet<(u64, u64)> = HashSet::default();
    for g in gs {
        // The runtime's own goroutines (GC workers, the sweeper, ...) unblock no user
        // object.
        if g.system || g.error.is_some() || g.sp == 0 || g.stack_hi <= g.sp {
            continue;
        }
        let mut hits: Vec<(u64, u64, Option<usize>)> = Vec::new();
        let _ = scanner.scan(t, g, MAX_STACK_SCAN, &mut |w| {
            if w.value >= lo && w.value < hi {
                hits.push((w.slot, w.value, w.frame));
            }
        });
        // Innermost slot first.
        hits.sort_unstable();
        for (slot, v, fi) in hits {
            let end = ranges.partition_point(|r| r.0 <= v);
            for r in ranges[..end].iter().rev().take(64) {
                if v >= r.1 {
                    continue;
                }
                let obj = r.2;
                if waiters.get(&obj).is_some_and(|s| s.contains(&g.goid.0)) {
                    continue;
                }
                if found.contains(&(obj, g.goid.0)) {
                    continue;
                }
                let Some(o) = objects.get_mut(&obj) else {
                    continue;
                };
                let f = fi.and_then(|i| g.frames.get(i));
                // A parked goroutine's runtime frames hold what it parks on, not what it
                // could unblock.
                if f.is_some_and(|f| f.is_runtime()) {
                    continue;
                }
                found.insert((obj, g.goid.0));
                o.suspects.push(Suspect {
                    goid: g.goid.0,
                    func: f.map_or_else(|| Arc::from("?"), |f| f.func.clone()),
                    file: f.map_or_else(|| Arc::from(""), |f| f.file.clone()),
                    line: f.map_or(0, |f| f.line),
                    slot,
                    var: None,
                });
            }
        }
    }
}

#[cfg(test)]
#[path = "waits_tests.rs"]
mod tests;
