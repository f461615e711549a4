//! The Go heap's allocated objects, for marking: every in-use span of every arena
//! (`mheap_.allArenas` / `heapArenas` -> `mheap_.arenas[0][i]` -> `heapArena.spans` ->
//! `mspan`), with its element size, whether it holds pointers (the span class's noscan
//! bit) and which of its slots are allocated (`n < freeindex` or bit n of `allocBits`).
//! Built once, sorted by address: finding the object an address points into is a binary
//! search.
//!
//! Every count read from the program is checked before it sizes a read; a span that
//! cannot be read makes the index [`SpanIndex::incomplete`] (what it points to is unknown),
//! never a smaller heap taken for the whole one.

use crate::binary::Arch;
use crate::dwarf::{Dwarf, StructLayout};
use crate::error::{Error, Result};
use crate::mem::{read_coalesced, Target};

use super::layout::LayoutSource;
use super::waits_layout::{heap_geometry as hg, mheap_pad_shift};

/// Arenas read at most (64 MiB each: 4 TiB of heap).
pub const MAX_ARENAS: u64 = 1 << 16;
/// Pages of one arena (`pagesPerArena`).
const PAGES_PER_ARENA: u64 = hg::ARENA_BYTES / hg::PAGE_SIZE;
/// A span's pages at most (a single 64 GiB object).
const MAX_SPAN_PAGES: u64 = 1 << 23;
/// Pages the page -> span table covers at most (128 GiB of address space, 64 MiB).
pub const MAX_PAGE_TABLE: u64 = 1 << 24;
/// Allocation-bit reads per batch.
const BATCH: usize = 1024;

/// `mspan` fields the index reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanOffsets {
    /// `startAddr`.
    pub start: u64,
    /// `npages`.
    pub npages: u64,
    /// `freeindex` (uintptr in Go 1.21, uint16 since 1.22).
    pub freeindex: u64,
    /// `nelems` (uintptr in Go 1.21, uint16 since 1.22).
    pub nelems: u64,
    /// Size in bytes of `freeindex` and `nelems` (8 or 2).
    pub count_size: u64,
    /// `allocBits` (`*gcBits`).
    pub alloc_bits: u64,
    /// `spanclass` (u8; the low bit is noscan).
    pub class: u64,
    /// `state` (its first byte).
    pub state: u64,
    /// `elemsize`.
    pub elemsize: u64,
}

impl SpanOffsets {
    /// Bytes of an `mspan` read to get every field.
    pub fn read_size(&self) -> u64 {
        [
            self.start + 8,
            self.npages + 8,
            self.freeindex + self.count_size,
            self.nelems + self.count_size,
            self.alloc_bits + 8,
            self.class + 1,
            self.state + 1,
            self.elemsize + 8,
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }
}

/// Where the heap's span index lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapLayout {
    /// `mheap.arenas` (`[1]*[1 << 22]*heapArena` on 64-bit Linux).
    pub arenas: u64,
    /// `mheap.allArenas` (`heapArenas` since Go 1.27): the `[]arenaIdx` of every arena.
    pub all_arenas: u64,
    /// `heapArena.spans` (`[pagesPerArena]*mspan`).
    pub arena_spans: u64,
    /// `mspan`.
    pub span: SpanOffsets,
    /// `p.pcache`, the page cache's three words (`base`, a uintptr holding a heap address,
    /// then the `cache` and `scav` bitmaps), which conservative marking must not take for
    /// pointers (Go's GC never follows them).
    pub p_pcache: WordRun,
    /// `p.wbBuf.buf`, the write barrier's buffer (`[wbBufEntries]uintptr`): the pointers
    /// written while the GC marks, left there after each flush. The GC never follows them;
    /// to conservative marking a stale entry would keep alive what the program dropped
    /// (a channel a goroutine blocks on forever, once its sudog was written to).
    pub p_wbbuf: WordRun,
    /// `p.gcw.spanq.ring` (Go 1.26+, the Green Tea GC): the P's local queue of objects
    /// whose spans are to be scanned, `objptr`s (uintptrs) left after each cycle, as stale as
    /// the write barrier's. Empty before 1.26.
    pub p_spanq: WordRun,
    /// `p.xRegs.scratch` (Go 1.26+): where an asynchronous preemption saves the vector
    /// registers, raw register contents that can hold any address. Empty before 1.26.
    pub p_xregs: WordRun,
    /// Where this layout came from.
    pub source: LayoutSource,
}

/// A run of words inside a struct: `words` words from byte `at` (none when `words` is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WordRun {
    /// Offset of the first word.
    pub at: u64,
    /// Words.
    pub words: u64,
}

impl WordRun {
    /// The run of a member found in DWARF (`(offset, size)`), at most [`MAX_RUN_WORDS`].
    fn of((at, size): (u64, u64)) -> Self {
        WordRun {
            at,
            words: (size / 8).min(MAX_RUN_WORDS),
        }
    }

    /// The addresses of the run's words in the struct at `base`.
    pub fn addrs(self, base: u64) -> impl Iterator<Item = u64> {
        let start = base.wrapping_add(self.at);
        (0..self.words).map(move |i| start.wrapping_add(i * 8))
    }
}

fn off(l: &StructLayout, name: &str) -> Result<u64> {
    l.field(name)
        .map(|f| f.offset)
        .ok_or_else(|| Error::NotFound(format!("field {}.{name} in DWARF", l.name)))
}

impl HeapLayout {
    /// From the binary's DWARF.
    pub fn from_dwarf(d: &Dwarf) -> Result<Self> {
        let mheap = d.struct_layout("runtime.mheap")?;
        let arena = d.struct_layout("runtime.heapArena")?;
        let s = d.struct_layout("runtime.mspan")?;
        let all_arenas = off(&mheap, "allArenas").or_else(|_| off(&mheap, "heapArenas"))?;
        let nelems = s
            .field("nelems")
            .ok_or_else(|| Error::NotFound("field runtime.mspan.nelems in DWARF".into()))?;
        let count_size = match (nelems.size, nelems.type_name.as_str()) {
            (2 | 8, _) => nelems.size,
            (_, "uint16") => 2,
            _ => 8,
        };
        let p = d.struct_layout("runtime.p")?;
        // The span queue and the vector register scratch space are Go 1.26+.
        let optional = |path: &[&str]| {
            d.member(&p, path)
                .map_or_else(|_| WordRun::default(), WordRun::of)
        };
        Ok(HeapLayout {
            p_pcache: WordRun::of(d.member(&p, &["pcache"])?),
            p_wbbuf: WordRun::of(d.member(&p, &["wbBuf", "buf"])?),
            p_spanq: optional(&["gcw", "spanq", "ring"]),
            p_xregs: optional(&["xRegs", "scratch"]),
            arenas: off(&mheap, "arenas")?,
            all_arenas,
            arena_spans: off(&arena, "spans")?,
            span: SpanOffsets {
                start: off(&s, "startAddr")?,
                npages: off(&s, "npages")?,
                freeindex: off(&s, "freeindex")?,
                nelems: nelems.offset,
                count_size,
                alloc_bits: off(&s, "allocBits")?,
                class: off(&s, "spanclass")?,
                state: off(&s, "state")?,
                elemsize: off(&s, "elemsize")?,
            },
            source: LayoutSource::Dwarf,
        })
    }

    /// The table of a Go release (Linux amd64 or arm64), or of the newest older pin.
    pub fn fallback(version: (u32, u32), arch: Arch) -> Option<Self> {
        if !matches!(arch, Arch::Amd64 | Arch::Arm64) || version.0 != 1 {
            return None;
        }
        let (minor, l) = TABLES.iter().rev().find(|(m, _)| *m <= version.1)?;
        let shift = mheap_pad_shift(version, arch);
        Some(HeapLayout {
            p_xregs: xregs_scratch(version, arch),
            arenas: l.arenas + shift,
            all_arenas: l.all_arenas + shift,
            source: LayoutSource::Fallback {
                release: format!("1.{minor}"),
                exact: *minor == version.1,
            },
            ..l.clone()
        })
    }

    /// From DWARF when the binary has usable DWARF, else from the table of `version`.
    pub fn new(d: Option<&Dwarf>, version: (u32, u32), arch: Arch) -> Result<Self> {
        let why = match d.map(Self::from_dwarf) {
            Some(Ok(l)) => return Ok(l),
            Some(Err(e)) => format!("DWARF heap layout unusable ({e})"),
            None => "no DWARF".into(),
        };
        Self::fallback(version, arch).ok_or_else(|| {
            Error::Unsupported(format!(
                "{why}, and no built-in heap layout for Go {}.{}",
                version.0, version.1
            ))
        })
    }
}

/// `pageCache`'s words (runtime/mpagecache.go: `base`, `cache`, `scav`).
const PCACHE_WORDS: u64 = 3;

/// `wbBufEntries` (runtime/mwbbuf.go), 512 in every pinned release.
const WB_BUF_ENTRIES: u64 = 512;

/// `p.xRegs.scratch` of a release: the vector registers an asynchronous preemption saves
/// (runtime/preempt_xreg.go; amd64 X0-X15 or Y/Z registers with the mask registers, arm64
/// V0-V31), 1.26+.
fn xregs_scratch(version: (u32, u32), arch: Arch) -> WordRun {
    let words = match (arch, version.1) {
        (Arch::Amd64, 26..) => 264,
        (Arch::Arm64, 26..) => 64,
        _ => return WordRun::default(),
    };
    WordRun { at: 13800, words }
}

/// `len(spanQueue.ring)` (runtime/mgcmark_greenteagc.go), 256 since Go 1.26.
const SPANQ_ENTRIES: u64 = 256;

/// The most words of a run read from DWARF (a bound on bad DWARF).
const MAX_RUN_WORDS: u64 = 4096;

const fn table(
    arenas: u64,
    all_arenas: u64,
    arena_spans: u64,
    span: SpanOffsets,
    p_pcache: u64,
    p_wbbuf: u64,
    p_spanq: u64,
) -> HeapLayout {
    HeapLayout {
        p_pcache: WordRun {
            at: p_pcache,
            words: PCACHE_WORDS,
        },
        p_wbbuf: WordRun {
            at: p_wbbuf,
            words: WB_BUF_ENTRIES,
        },
        p_spanq: WordRun {
            at: p_spanq,
            words: if p_spanq == 0 { 0 } else { SPANQ_ENTRIES },
        },
        p_xregs: WordRun { at: 0, words: 0 },
        arenas,
        all_arenas,
        arena_spans,
        span,
        source: LayoutSource::Dwarf,
    }
}

/// `mspan` of Go 1.21 (`freeindex`, `nelems` uintptrs).
const SPAN_121: SpanOffsets = SpanOffsets {
    start: 24,
    npages: 32,
    freeindex: 48,
    nelems: 56,
    count_size: 8,
    alloc_bits: 72,
    class: 106,
    state: 107,
    elemsize: 112,
};

/// `mspan` since Go 1.22 (`freeindex`, `nelems` uint16).
const SPAN_124: SpanOffsets = SpanOffsets {
    start: 24,
    npages: 32,
    freeindex: 48,
    nelems: 50,
    count_size: 2,
    alloc_bits: 64,
    class: 98,
    state: 99,
    elemsize: 104,
};

/// Per pin, oldest first, amd64 (read from the DWARF of each pin's fixture and checked
/// against it, amd64 and arm64, by tests/leaks_layout.rs); a newer release uses the newest
/// table.
static TABLES: &[(u32, HeapLayout)] = &[
    (21, table(65944, 66032, 1_064_960, SPAN_121, 72, 4728, 0)),
    (22, table(66008, 66096, 0, SPAN_124, 72, 4760, 0)),
    (23, table(66008, 66096, 0, SPAN_124, 64, 4736, 0)),
    (24, table(66008, 66096, 0, SPAN_124, 64, 4736, 0)),
    (25, table(66008, 66096, 0, SPAN_124, 64, 5288, 0)),
    (26, table(66008, 66096, 0, SPAN_124, 64, 9568, 4728)),
    (27, table(66008, 66096, 0, SPAN_124, 64, 9568, 4728)),
];

/// One in-use span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: u64,
    /// One past its last object (`start + nelems * elemsize`).
    pub end: u64,
    /// Object size.
    pub elemsize: u64,
    /// Objects.
    pub nelems: u32,
    /// Holds no pointers (not scanned).
    pub noscan: bool,
    /// Allocated slots, one bit each.
    pub alloc: Vec<u64>,
}

impl Span {
    /// Whether slot `i` is allocated.
    pub fn allocated(&self, i: u32) -> bool {
        self.alloc
            .get((i / 64) as usize)
            .is_some_and(|w| w >> (i % 64) & 1 == 1)
    }

    /// Allocated slots.
    pub fn allocated_count(&self) -> u64 {
        self.alloc.iter().map(|w| u64::from(w.count_ones())).sum()
    }
}

/// The heap's in-use spans, sorted by address.
#[derive(Debug, Clone, Default)]
pub struct SpanIndex {
    /// The spans, by start address, not overlapping.
    pub spans: Vec<Span>,
    starts: Vec<u64>,
    /// Per 8 KiB page from the first span's start: the span holding it (u32::MAX: none);
    /// empty when the spans cover more than [`MAX_PAGE_TABLE`] pages (binary search then).
    page_span: Vec<u32>,
    /// Per span, the runtime's `divMul` (`^u32(0) / elemsize + 1`): a slot is
    /// `(offset * divMul) >> 32`, a multiplication rather than a division (0: divide).
    div_mul: Vec<u32>,
    /// Arenas read.
    pub arenas: usize,
    /// Why the index is not the whole heap (unreadable arenas or spans), one line each.
    pub incomplete: Vec<String>,
}

/// What [`SpanIndex::find`] answers for an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjRef {
    /// The span's index.
    pub span: u32,
    /// The object's slot in it.
    pub slot: u32,
}

impl SpanIndex {
    /// An index of the given spans (sorted here; overlapping ones dropped and reported).
    pub fn from_spans(mut spans: Vec<Span>) -> Self {
        spans.sort_by_key(|s| s.start);
        let mut out: Vec<Span> = Vec::with_capacity(spans.len());
        let mut incomplete = Vec::new();
        for s in spans {
            if let Some(last) = out.last() {
                if s.start < last.end {
                    incomplete.push(format!(
                        "span {:#x} overlaps span {:#x}: dropped",
                        s.start, last.start
                    ));
                    continue;
                }
            }
            out.push(s);
        }
        let starts: Vec<u64> = out.iter().map(|s| s.start).collect();
        let mut page_span = Vec::new();
        if let (Some(first), Some(last)) = (out.first(), out.last()) {
            let n = (last.end - first.start).div_ceil(hg::PAGE_SIZE);
            if n <= MAX_PAGE_TABLE {
                page_span = vec![u32::MAX; n as usize];
                for (i, s) in out.iter().enumerate() {
                    let a = (s.start - first.start) / hg::PAGE_SIZE;
                    let b = (s.end - first.start).div_ceil(hg::PAGE_SIZE);
                    for p in page_span.iter_mut().take(b as usize).skip(a as usize) {
                        *p = i as u32;
                    }
                }
            }
        }
        let div_mul = out
            .iter()
            .map(|s| match u32::try_from(s.elemsize) {
                Ok(e) if e > 0 && s.end - s.start <= u64::from(u32::MAX) => u32::MAX / e + 1,
                _ => 0,
            })
            .collect();
        SpanIndex {
            spans: out,
            starts,
            page_span,
            div_mul,
            arenas: 0,
            incomplete,
        }
    }

    /// Read the index of the program's heap (`mheap` is `runtime.mheap_`'s address). An
    /// error when the arena list itself cannot be read.
    pub fn build(l: &HeapLayout, t: &Target<'_>, mheap: u64) -> Result<Self> {
        let hdr = t.slice_header(mheap.wrapping_add(l.all_arenas))?;
        if hdr.len > MAX_ARENAS || hdr.len > hdr.cap {
            return Err(Error::Corrupt {
                what: "heap",
                detail: format!("mheap_ lists {} arenas (capacity {})", hdr.len, hdr.cap),
            });
        }
        let idx_bytes = t.bytes(hdr.ptr, (hdr.len * 8) as usize)?;
        let l2 = t.word(mheap.wrapping_add(l.arenas))?;
        if l2 == 0 {
            return Err(Error::Corrupt {
                what: "heap",
                detail: "mheap_.arenas[0] is nil".into(),
            });
        }
        let mut incomplete = Vec::new();
        let mut span_ptrs: Vec<u64> = Vec::new();
        let mut arenas = 0;
        for k in 0..hdr.len as usize {
            let ai = t.word_in(&idx_bytes, (k * 8) as u64).unwrap_or(u64::MAX);
            if ai >= hg::L2_ENTRIES {
                incomplete.push(format!("arena index {ai} out of range"));
                continue;
            }
            let arena = match t.word(l2.wrapping_add(ai * 8)) {
                Ok(a) if a != 0 => a,
                Ok(_) => {
                    incomplete.push(format!("arena {ai}: no heapArena"));
                    continue;
                }
                Err(e) => {
                    incomplete.push(format!("arena {ai}: cannot read its heapArena ({e})"));
                    continue;
                }
            };
            let spans = match t.bytes(
                arena.wrapping_add(l.arena_spans),
                (PAGES_PER_ARENA * 8) as usize,
            ) {
                Ok(b) => b,
                Err(e) => {
                    incomplete.push(format!("arena {ai}: cannot read its span table ({e})"));
                    continue;
                }
            };
            arenas += 1;
            let mut prev = 0;
            for chunk in spans.chunks_exact(8) {
                let p = t.word_in(chunk, 0).unwrap_or(0);
                if p != 0 && p != prev {
                    span_ptrs.push(p);
                }
                prev = p;
            }
        }
        span_ptrs.sort_unstable();
        span_ptrs.dedup();
        let so = &l.span;
        let size = so.read_size() as usize;
        let got = read_coalesced(t.mem, &span_ptrs, size);
        // (span, allocBits pointer, freeindex)
        let mut pending: Vec<(Span, u64, u64)> = Vec::new();
        for (i, p) in span_ptrs.iter().enumerate() {
            let Some(b) = got.get(i) else {
                incomplete.push(format!("cannot read the mspan at {p:#x}"));
                continue;
            };
            let Some(state) = b.get(so.state as usize) else {
                continue;
            };
            if *state != hg::SPAN_IN_USE {
                continue;
            }
            let count = |o: u64| match so.count_size {
                2 => b
                    .get(o as usize..o as usize + 2)
                    .map(|x| u64::from(u16::from_le_bytes([x[0], x[1]]))),
                _ => t.word_in(b, o),
            };
            let (Some(start), Some(npages), Some(elemsize), Some(nelems), Some(free), Some(ab)) = (
                t.word_in(b, so.start),
                t.word_in(b, so.npages),
                t.word_in(b, so.elemsize),
                count(so.nelems),
                count(so.freeindex),
                t.word_in(b, so.alloc_bits),
            ) else {
                continue;
            };
            let class = b.get(so.class as usize).copied().unwrap_or(0);
            let bytes = npages.saturating_mul(hg::PAGE_SIZE);
            if !start.is_multiple_of(hg::PAGE_SIZE)
                || npages == 0
                || npages > MAX_SPAN_PAGES
                || elemsize == 0
                || nelems == 0
                || nelems > bytes / elemsize
                || free > nelems
                || start.checked_add(bytes).is_none()
            {
                incomplete.push(format!(
                    "the mspan at {p:#x} is inconsistent (start {start:#x}, {npages} pages, \
                     {nelems} objects of {elemsize} bytes)"
                ));
                continue;
            }
            let span = Span {
                start,
                end: start + nelems * elemsize,
                elemsize,
                nelems: nelems as u32,
                noscan: class & 1 == 1,
                alloc: Vec::new(),
            };
            pending.push((span, ab, free));
        }
        // Allocation bits, in batches.
        let mut spans = Vec::with_capacity(pending.len());
        for batch in pending.chunks_mut(BATCH) {
            let mut bufs: Vec<Vec<u8>> = batch
                .iter()
                .map(|(s, _, _)| vec![0u8; (s.nelems as usize).div_ceil(8)])
                .collect();
            let mut reqs: Vec<(u64, &mut [u8])> = batch
                .iter()
                .zip(bufs.iter_mut())
                .map(|((_, ab, _), b)| (*ab, b.as_mut_slice()))
                .collect();
            let res = t.mem.read_batch(&mut reqs);
            drop(reqs);
            for (((s, ab, free), bits), r) in batch.iter_mut().zip(bufs).zip(res) {
                let n = s.nelems as usize;
                let mut alloc = vec![0u64; n.div_ceil(64)];
                match r {
                    Ok(()) => {
                        for (i, byte) in bits.iter().enumerate() {
                            alloc[i / 8] |= u64::from(*byte) << ((i % 8) * 8);
                        }
                    }
                    Err(e) => {
                        // Every slot taken for allocated: more is marked, never less.
                        incomplete.push(format!(
                            "span {:#x}: cannot read its allocation bits at {ab:#x} ({e})",
                            s.start
                        ));
                        alloc.iter_mut().for_each(|w| *w = u64::MAX);
                    }
                }
                for i in 0..(*free as usize).min(n) {
                    alloc[i / 64] |= 1 << (i % 64);
                }
                if !n.is_multiple_of(64) {
                    if let Some(last) = alloc.last_mut() {
                        *last &= (1u64 << (n % 64)) - 1;
                    }
                }
                s.alloc = alloc;
                spans.push(std::mem::take(s));
            }
        }
        let mut idx = SpanIndex::from_spans(spans);
        idx.arenas = arenas;
        incomplete.append(&mut idx.incomplete);
        idx.incomplete = incomplete;
        Ok(idx)
    }

    /// The allocated object `addr` points into, if any.
    #[inline]
    pub fn find(&self, addr: u64) -> Option<ObjRef> {
        let i = if self.page_span.is_empty() {
            self.starts.partition_point(|s| *s <= addr).checked_sub(1)?
        } else {
            let p = addr.checked_sub(*self.starts.first()?)? / hg::PAGE_SIZE;
            match self.page_span.get(p as usize) {
                Some(i) if *i != u32::MAX => *i as usize,
                _ => return None,
            }
        };
        let s = self.spans.get(i)?;
        if addr >= s.end {
            return None;
        }
        let off = addr - s.start;
        let slot = match self.div_mul.get(i) {
            // Exact for Go's size classes; checked, as a core's spans can be anything.
            Some(&m) if m != 0 => {
                let q = (off * u64::from(m)) >> 32;
                if q * s.elemsize <= off && off < (q + 1) * s.elemsize {
                    q as u32
                } else {
                    (off / s.elemsize) as u32
                }
            }
            _ => (off / s.elemsize) as u32,
        };
        s.allocated(slot).then_some(ObjRef {
            span: i as u32,
            slot,
        })
    }

    /// Whether `addr` lies in a span of the index (allocated or not).
    pub fn in_heap(&self, addr: u64) -> bool {
        let i = self.starts.partition_point(|s| *s <= addr);
        i > 0 && self.spans.get(i - 1).is_some_and(|s| addr < s.end)
    }

    /// The start and size of an object.
    pub fn object(&self, o: ObjRef) -> (u64, u64) {
        match self.spans.get(o.span as usize) {
            Some(s) => (s.start + u64::from(o.slot) * s.elemsize, s.elemsize),
            None => (0, 0),
        }
    }

    /// The lowest and one past the highest address of the spans.
    pub fn bounds(&self) -> (u64, u64) {
        (
            self.spans.first().map_or(0, |s| s.start),
            self.spans.last().map_or(0, |s| s.end),
        )
    }

    /// Bytes of allocated objects.
    pub fn allocated_bytes(&self) -> u64 {
        self.spans
            .iter()
            .map(|s| s.allocated_count() * s.elemsize)
            .sum()
    }
}

impl Default for Span {
    fn default() -> Self {
        Span {
            start: 0,
            end: 0,
            elemsize: 1,
            nelems: 0,
            noscan: true,
            alloc: Vec::new(),
        }
    }
}
