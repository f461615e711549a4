//! Offsets of the runtime and `sync` structures the wait view reads (sudogs, channels,
//! semaphore roots, notify lists, heap spans, the sync types), from DWARF when the binary
//! has it, else from the per-release table below. `tests/waits_layout.rs` checks every
//! table against the DWARF of a fixture built by that release.

use crate::binary::Arch;
use crate::dwarf::{Dwarf, StructLayout};
use crate::error::{Error, Result};

use super::layout::LayoutSource;

/// `runtime.sudog` offsets. For Go 1.26+ `elem` and `c` point at the `vu` word of their
/// `maybeTraceablePtr` (the source of truth), so every field here is one plain word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SudogOffsets {
    /// `g`.
    pub g: u64,
    /// `next`.
    pub next: u64,
    /// `prev`.
    pub prev: u64,
    /// `elem` (the semaphore's address in semtable sudogs).
    pub elem: u64,
    /// `ticket` (u32).
    pub ticket: u64,
    /// `isSelect` (bool).
    pub is_select: u64,
    /// `parent`.
    pub parent: u64,
    /// `waitlink`.
    pub waitlink: u64,
    /// `c` (the channel).
    pub c: u64,
    /// Size of the struct.
    pub size: u64,
}

/// `runtime.hchan` offsets (a `waitq` is `{first, last *sudog}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HchanOffsets {
    /// `qcount`.
    pub qcount: u64,
    /// `dataqsiz`.
    pub dataqsiz: u64,
    /// `closed` (u32).
    pub closed: u64,
    /// `elemtype` (*abi.Type).
    pub elemtype: u64,
    /// `recvq`.
    pub recvq: u64,
    /// `sendq`.
    pub sendq: u64,
    /// Size of the struct.
    pub size: u64,
}

/// Offsets of the heap's span index: `mheap_.arenas`, `heapArena.spans`, and `mspan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapOffsets {
    /// `mheap.arenas` (`[1 << arenaL1Bits]*[1 << arenaL2Bits]*heapArena`).
    pub mheap_arenas: u64,
    /// `heapArena.spans` (`[pagesPerArena]*mspan`).
    pub arena_spans: u64,
    /// `mspan.startAddr`.
    pub span_start: u64,
    /// `mspan.npages`.
    pub span_npages: u64,
    /// `mspan.elemsize`.
    pub span_elemsize: u64,
    /// `mspan.spanclass` (u8; the low bit is noscan).
    pub span_class: u64,
    /// `mspan.state` (an `mSpanStateBox`, its first byte is the state).
    pub span_state: u64,
}

/// `cpu.CacheLinePadSize`: 64 bytes on amd64, 128 on arm64.
pub fn cache_line_pad(arch: Arch) -> u64 {
    if arch == Arch::Arm64 {
        128
    } else {
        64
    }
}

/// Bytes the `mheap` fields from `arenas` on lie further on `arch` than in the tables
/// (amd64's): since Go 1.22 a `cpu.CacheLinePad` precedes `arenas`.
pub fn mheap_pad_shift(version: (u32, u32), arch: Arch) -> u64 {
    if version >= (1, 22) {
        cache_line_pad(arch) - cache_line_pad(Arch::Amd64)
    } else {
        0
    }
}

/// Where the semaphores and sizes of the user-visible sync types sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOffsets {
    /// `sync.Mutex`: its semaphore (inside `internal/sync.Mutex` since Go 1.24).
    pub mutex_sema: u64,
    /// Size of `sync.Mutex`.
    pub mutex_size: u64,
    /// `sync.RWMutex.writerSem`.
    pub rw_writer_sem: u64,
    /// `sync.RWMutex.readerSem`.
    pub rw_reader_sem: u64,
    /// Size of `sync.RWMutex`.
    pub rw_size: u64,
    /// `sync.WaitGroup.sema`.
    pub wg_sema: u64,
    /// Size of `sync.WaitGroup`.
    pub wg_size: u64,
    /// `sync.Cond.notify` (a `runtime.notifyList`).
    pub cond_notify: u64,
    /// Size of `sync.Cond`.
    pub cond_size: u64,
    /// `notifyList.head` (sudogs linked by `next`).
    pub notify_head: u64,
    /// `notifyList.tail`.
    pub notify_tail: u64,
}

/// Everything the wait view reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitLayout {
    /// `runtime.sudog`.
    pub sudog: SudogOffsets,
    /// `runtime.hchan`.
    pub hchan: HchanOffsets,
    /// `semaRoot.treap`.
    pub sema_treap: u64,
    /// The heap's span index.
    pub heap: HeapOffsets,
    /// The sync types.
    pub sync: SyncOffsets,
    /// Where this layout came from.
    pub source: LayoutSource,
}

/// Number of `runtime.semtable` roots (`semTabSize`, every release 1.21-1.27).
pub const SEM_TAB_SIZE: u64 = 251;

/// The index of an address's semaphore root: `(addr >> 3) % semTabSize`.
pub fn sema_root_index(addr: u64) -> u64 {
    (addr >> 3) % SEM_TAB_SIZE
}

/// Linux 64-bit heap geometry: `heapArenaBytes` (64 MiB), the page size (8 KiB), the number
/// of L2 entries (`1 << arenaL2Bits`, L1 has one entry off Windows) and `arenaBaseOffset`.
pub mod heap_geometry {
    /// `heapArenaBytes`.
    pub const ARENA_BYTES: u64 = 64 << 20;
    /// `pageSize`.
    pub const PAGE_SIZE: u64 = 8192;
    /// `1 << arenaL2Bits` (48 address bits - 26).
    pub const L2_ENTRIES: u64 = 1 << 22;
    /// `arenaBaseOffset` for amd64 (`0xffff800000000000`); 0 elsewhere on Linux.
    pub const AMD64_BASE_OFFSET: u64 = 0xffff_8000_0000_0000;
    /// `mSpanInUse`.
    pub const SPAN_IN_USE: u8 = 1;
}

fn off(l: &StructLayout, name: &str) -> Result<u64> {
    l.field(name)
        .map(|f| f.offset)
        .ok_or_else(|| Error::NotFound(format!("field {}.{name} in DWARF", l.name)))
}

/// The offset of a pointer field, and of its `vu` word when it is a `maybeTraceablePtr`
/// (or a struct embedding one) as in Go 1.26+.
fn ptr_field(d: &Dwarf, l: &StructLayout, name: &str) -> Result<u64> {
    let f = l
        .field(name)
        .ok_or_else(|| Error::NotFound(format!("field {}.{name} in DWARF", l.name)))?;
    if !f.type_name.starts_with("runtime.maybeTraceable") {
        return Ok(f.offset);
    }
    let mut inner = d.struct_layout(&f.type_name)?;
    let mut base = f.offset;
    for _ in 0..4 {
        if let Some(vu) = inner.field("vu") {
            return Ok(base + vu.offset);
        }
        let Some(first) = inner.fields.first().cloned() else {
            break;
        };
        base += first.offset;
        inner = d.struct_layout(&first.type_name)?;
    }
    Err(Error::NotFound(format!(
        "the address word of {}.{name} in DWARF",
        l.name
    )))
}

impl WaitLayout {
    /// Read the layout from DWARF. The sync types come from DWARF when the program uses
    /// them (a program that never locks a Mutex has no `sync.Mutex` type), else from the
    /// table for `version`.
    pub fn from_dwarf(d: &Dwarf, version: (u32, u32)) -> Result<Self> {
        let s = d.struct_layout("runtime.sudog")?;
        let h = d.struct_layout("runtime.hchan")?;
        let root = d.struct_layout("runtime.semaRoot")?;
        let mheap = d.struct_layout("runtime.mheap")?;
        let arena = d.struct_layout("runtime.heapArena")?;
        let span = d.struct_layout("runtime.mspan")?;
        let sudog = SudogOffsets {
            g: off(&s, "g")?,
            next: off(&s, "next")?,
            prev: off(&s, "prev")?,
            elem: ptr_field(d, &s, "elem")?,
            ticket: off(&s, "ticket")?,
            is_select: off(&s, "isSelect")?,
            parent: off(&s, "parent")?,
            waitlink: off(&s, "waitlink")?,
            c: ptr_field(d, &s, "c")?,
            size: s.size,
        };
        let hchan = HchanOffsets {
            qcount: off(&h, "qcount")?,
            dataqsiz: off(&h, "dataqsiz")?,
            closed: off(&h, "closed")?,
            elemtype: off(&h, "elemtype")?,
            recvq: off(&h, "recvq")?,
            sendq: off(&h, "sendq")?,
            size: h.size,
        };
        let heap = HeapOffsets {
            mheap_arenas: off(&mheap, "arenas")?,
            arena_spans: off(&arena, "spans")?,
            span_start: off(&span, "startAddr")?,
            span_npages: off(&span, "npages")?,
            span_elemsize: off(&span, "elemsize")?,
            span_class: off(&span, "spanclass")?,
            span_state: off(&span, "state")?,
        };
        let table = table(version);
        let mut sync = table.map_or(SYNC, |t| t.sync);
        let nl = d.struct_layout("runtime.notifyList")?;
        sync.notify_head = off(&nl, "head")?;
        sync.notify_tail = off(&nl, "tail")?;
        sync_from_dwarf(d, &mut sync);
        Ok(WaitLayout {
            sudog,
            hchan,
            sema_treap: off(&root, "treap")?,
            heap,
            sync,
            source: LayoutSource::Dwarf,
        })
    }

    /// The table for a Go release (amd64 or arm64), or the newest older one (`exact`
    /// false).
    pub fn fallback(version: (u32, u32), arch: Arch) -> Option<Self> {
        if !matches!(arch, Arch::Amd64 | Arch::Arm64) || version.0 != 1 {
            return None;
        }
        let t = table(version)?;
        Some(WaitLayout {
            sudog: t.sudog,
            hchan: t.hchan,
            sema_treap: 8,
            heap: HeapOffsets {
                mheap_arenas: t.heap.mheap_arenas + mheap_pad_shift(version, arch),
                ..t.heap
            },
            sync: t.sync,
            source: LayoutSource::Fallback {
                release: format!("1.{}", t.minor),
                exact: t.minor == version.1,
            },
        })
    }
}

/// The sync types' fields from DWARF, where the program has the types.
fn sync_from_dwarf(d: &Dwarf, s: &mut SyncOffsets) {
    if let Ok(m) = d.struct_layout("sync.Mutex") {
        s.mutex_size = m.size;
        // Since Go 1.24 sync.Mutex{_ noCopy; mu internal/sync.Mutex{state, sema}}.
        let inner = m
            .field("mu")
            .and_then(|mu| Some((mu.offset, d.struct_layout(&mu.type_name).ok()?)));
        match inner {
            Some((base, im)) => {
                if let Ok(o) = off(&im, "sema") {
                    s.mutex_sema = base + o;
                }
            }
            None => {
                if let Ok(o) = off(&m, "sema") {
                    s.mutex_sema = o;
                }
            }
        }
    }
    if let Ok(rw) = d.struct_layout("sync.RWMutex") {
        s.rw_size = rw.size;
        if let (Ok(w), Ok(r)) = (off(&rw, "writerSem"), off(&rw, "readerSem")) {
            s.rw_writer_sem = w;
            s.rw_reader_sem = r;
        }
    }
    if let Ok(wg) = d.struct_layout("sync.WaitGroup") {
        s.wg_size = wg.size;
        if let Ok(o) = off(&wg, "sema") {
            s.wg_sema = o;
        }
    }
    if let Ok(c) = d.struct_layout("sync.Cond") {
        s.cond_size = c.size;
        if let Ok(o) = off(&c, "notify") {
            s.cond_notify = o;
        }
    }
}

/// The sync types of every release 1.21-1.27 (64-bit): `sync.Mutex` is `{state int32; sema
/// uint32}` (wrapped in `internal/sync.Mutex` since 1.24, same offsets); RWMutex `{w Mutex;
/// writerSem, readerSem uint32; readerCount, readerWait atomic.Int32}`; WaitGroup `{noCopy;
/// state atomic.Uint64; sema uint32}`; Cond `{noCopy; L Locker; notify notifyList;
/// checker}`; notifyList `{wait atomic.Uint32; notify uint32; lock mutex; head, tail}`.
const SYNC: SyncOffsets = SyncOffsets {
    mutex_sema: 4,
    mutex_size: 8,
    rw_writer_sem: 8,
    rw_reader_sem: 12,
    rw_size: 24,
    wg_sema: 8,
    wg_size: 16,
    cond_notify: 16,
    cond_size: 56,
    notify_head: 16,
    notify_tail: 24,
};

/// One release's table.
struct Release {
    minor: u32,
    sudog: SudogOffsets,
    hchan: HchanOffsets,
    heap: HeapOffsets,
    sync: SyncOffsets,
}

/// sudog before Go 1.26 (`elem` and `c` plain pointers).
const SUDOG_121: SudogOffsets = SudogOffsets {
    g: 0,
    next: 8,
    prev: 16,
    elem: 24,
    ticket: 48,
    is_select: 52,
    parent: 56,
    waitlink: 64,
    c: 80,
    size: 88,
};

/// sudog since Go 1.26: `elem` and `c` are `maybeTraceablePtr{vp, vu}`; the offsets are
/// those of `vu`.
const SUDOG_126: SudogOffsets = SudogOffsets {
    g: 0,
    next: 8,
    prev: 16,
    elem: 32,
    ticket: 56,
    is_select: 60,
    parent: 64,
    waitlink: 72,
    c: 96,
    size: 104,
};

/// hchan before Go 1.23 (no `timer`).
const HCHAN_121: HchanOffsets = HchanOffsets {
    qcount: 0,
    dataqsiz: 8,
    closed: 28,
    elemtype: 32,
    recvq: 56,
    sendq: 72,
    size: 96,
};

/// hchan from Go 1.23 (`timer` before `elemtype`).
const HCHAN_124: HchanOffsets = HchanOffsets {
    elemtype: 40,
    recvq: 64,
    sendq: 80,
    size: 104,
    ..HCHAN_121
};

/// Heap geometry of Go 1.21, amd64 (`heapArena` starts with the pointer bitmap; mspan's freeindex
/// and nelems are uintptrs).
const HEAP_121: HeapOffsets = HeapOffsets {
    mheap_arenas: 65944,
    arena_spans: 1_064_960,
    span_start: 24,
    span_npages: 32,
    span_elemsize: 112,
    span_class: 106,
    span_state: 107,
};

/// Heap geometry of Go 1.22-1.27, amd64 (`heapArena.spans` first; mspan's freeindex and nelems
/// u16).
const HEAP_124: HeapOffsets = HeapOffsets {
    mheap_arenas: 66008,
    arena_spans: 0,
    span_start: 24,
    span_npages: 32,
    span_elemsize: 104,
    span_class: 98,
    span_state: 99,
};

/// hchan from Go 1.25 (`bubble *synctestBubble` after sendq).
const HCHAN_125: HchanOffsets = HchanOffsets {
    size: 112,
    ..HCHAN_124
};

/// Per-release tables, oldest first, one per pinned release (read from the DWARF of each
/// one's fixture, and checked against it by tests/waits_layout.rs). A newer release uses
/// the newest table (`exact` false).
const TABLES: &[Release] = &[
    Release {
        minor: 21,
        sudog: SUDOG_121,
        hchan: HCHAN_121,
        heap: HEAP_121,
        sync: SYNC,
    },
    Release {
        minor: 22,
        sudog: SUDOG_121,
        hchan: HCHAN_121,
        heap: HEAP_124,
        sync: SYNC,
    },
    Release {
        minor: 23,
        sudog: SUDOG_121,
        hchan: HCHAN_124,
        heap: HEAP_124,
        sync: SYNC,
    },
    Release {
        minor: 24,
        sudog: SUDOG_121,
        hchan: HCHAN_124,
        heap: HEAP_124,
        sync: SYNC,
    },
    Release {
        minor: 25,
        sudog: SUDOG_121,
        hchan: HCHAN_125,
        heap: HEAP_124,
        sync: SYNC,
    },
    Release {
        minor: 26,
        sudog: SUDOG_126,
        hchan: HCHAN_125,
        heap: HEAP_124,
        sync: SYNC,
    },
    Release {
        minor: 27,
        sudog: SUDOG_126,
        hchan: HCHAN_125,
        heap: HEAP_124,
        sync: SYNC,
    },
];

fn table(version: (u32, u32)) -> Option<&'static Release> {
    if version.0 != 1 {
        return None;
    }
    TABLES.iter().rev().find(|r| r.minor <= version.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_index_is_addr_shift_3_mod_251() {
        assert_eq!(sema_root_index(0), 0);
        assert_eq!(sema_root_index(8 * 251), 0);
        assert_eq!(sema_root_index(8 * 252 + 4), 1);
    }

    #[test]
    fn newer_release_uses_newest_table_inexactly() {
        let l = WaitLayout::fallback((1, 99), Arch::Amd64).unwrap();
        assert!(matches!(
            l.source,
            LayoutSource::Fallback { exact: false, .. }
        ));
        assert!(WaitLayout::fallback((1, 20), Arch::Amd64).is_none());
        assert!(WaitLayout::fallback((1, 24), Arch::I386).is_none());
        let arm = WaitLayout::fallback((1, 24), Arch::Arm64).unwrap();
        assert_eq!(arm.heap.mheap_arenas, HEAP_124.mheap_arenas + 64);
    }
}
