//! The enumeration's work split in chunks of allgs for a few threads: the plan they share,
//! each thread's reused buffers (g structs, stack windows) and interned state names, the
//! chunks' results joined in allgs order (a run of unreadable entries folded into one
//! record), and the census of goroutines counted without a record.

use std::sync::Arc;

use super::fxhash;
use super::*;

/// The status, state and wait-reason names of each (status, wait reason code) seen in one
/// enumeration, shared by every goroutine that has them.
pub(super) struct StateNames {
    pub(super) map: fxhash::FxHashMap<(u32, u8), Names>,
    /// The frames of a record before its unwind: one allocation per thread, so that
    /// threads building records do not contend on one reference count.
    pub(super) no_frames: Frames,
}

impl Default for StateNames {
    fn default() -> Self {
        StateNames {
            map: Default::default(),
            no_frames: Frames::from(Vec::new()),
        }
    }
}

impl StateNames {
    pub(super) fn get(
        &mut self,
        status: u32,
        code: u8,
        make: impl FnOnce() -> (String, String, String),
    ) -> Names {
        self.map
            .entry((status, code))
            .or_insert_with(|| {
                let (a, b, c) = make();
                (Arc::from(a), Arc::from(b), Arc::from(c))
            })
            .clone()
    }
}

/// The allgs pointers as read.
pub(super) struct AllGs {
    pub(super) ptrs: Vec<u64>,
    /// The length the slice header claims (more than `ptrs.len()` when it does not fit in
    /// the mapped memory).
    pub(super) claimed: u64,
    /// Where the pointers read end.
    pub(super) end: u64,
}

/// The bytes of the g read just before `k` (an index one past it) in a chunk's reads.
pub(super) fn chunk_buf(bufs: &crate::mem::Coalesced, k: usize) -> &[u8] {
    k.checked_sub(1).and_then(|i| bufs.get(i)).unwrap_or(&[])
}

/// How many allgs entries are read, parsed and unwound at a time (by one thread).
pub(super) const CHUNK: usize = 8_192;
/// A thread's buffer larger than this is not kept for the next enumeration.
pub(super) const SPARE_MAX: usize = 8 << 20;
/// At most this many threads read and unwind chunks.
pub(super) const MAX_THREADS: usize = 4;

/// What [`GoRuntime::chunks`] shares among the chunks of one enumeration.
pub(super) struct Plan<'a> {
    /// Wait reason names by code.
    pub(super) reasons: &'a [String],
    /// Bytes read per g.
    pub(super) gsize: usize,
    /// Index of the first entry of each g pointer that allgs lists more than once.
    pub(super) first_of: fxhash::FxHashMap<u64, usize>,
}

/// What one thread of an enumeration keeps from chunk to chunk.
#[derive(Default)]
pub(super) struct Worker {
    pub(super) syms: SymCache,
    pub(super) names: StateNames,
    /// The g structs of a chunk.
    pub(super) gbuf: Vec<u8>,
    /// The stack windows of a chunk.
    pub(super) sbuf: Vec<u8>,
}

/// The records of one chunk of allgs, and the runs of unreadable entries at its ends that
/// may continue in the neighbouring chunks.
pub(super) struct Chunk {
    pub(super) gs: Gs,
    /// A run that starts at the chunk's first entry (before every record of `gs`).
    pub(super) head: Option<BadRun>,
    /// `head` also ends the chunk (every entry was unreadable).
    pub(super) head_open: bool,
    /// A run that ends the chunk (after every record of `gs`).
    pub(super) tail: Option<BadRun>,
}

impl Chunk {
    /// A readable entry ends the current run of unreadable ones: a run that began the
    /// chunk (at `base`) becomes its head, any other one its own record.
    pub(super) fn end_run(&mut self, bad: &mut BadRun, base: usize) {
        if bad.first.is_none() {
            return;
        }
        if bad.starts_at(base) {
            self.head = Some(std::mem::take(bad));
        } else {
            bad.flush(&mut self.gs.out, &mut self.gs.words);
        }
    }
}

/// Consecutive chunks, in allgs order, as parts: a run of unreadable entries that spans
/// chunks becomes one record. The chunks' records stay where their threads built them:
/// joining them would copy every record into fresh memory.
pub(super) fn join(chunks: impl IntoIterator<Item = Chunk>) -> Vec<Gs> {
    let mut parts: Vec<Gs> = Vec::new();
    let lone = |run: Option<BadRun>, parts: &mut Vec<Gs>| {
        if let Some(mut r) = run {
            let mut g = Gs::default();
            r.flush(&mut g.out, &mut g.words);
            parts.push(g);
        }
    };
    let mut carry: Option<BadRun> = None;
    for ch in chunks {
        if let Some(h) = ch.head {
            carry = Some(match carry {
                Some(c) => c.merged(h),
                None => h,
            });
            if ch.head_open {
                parts.push(ch.gs); // no records: its census
                continue;
            }
        }
        lone(carry.take(), &mut parts);
        parts.push(ch.gs);
        carry = ch.tail;
    }
    lone(carry.take(), &mut parts);
    parts
}

/// The status, state and wait-reason names of a (status, wait reason) pair.
pub(super) type Names = (Arc<str>, Arc<str>, Arc<str>);

/// The g records of stage 1 and what later stages need from their raw bytes.
#[derive(Default)]
pub(super) struct Gs {
    pub(super) out: Vec<Goroutine>,
    /// Per record of `out`: words of its g (zero for records without bytes).
    pub(super) words: Vec<GWords>,
    /// Goroutines counted but not kept (`Options::only_current`).
    pub(super) census: Census,
}

/// Words of a g that later stages read.
#[derive(Default, Clone, Copy)]
pub(super) struct GWords {
    /// `g.m`.
    pub(super) m: u64,
    /// `g.gopc` (the `go` statement's return address).
    pub(super) gopc: u64,
    /// `g.labels`.
    pub(super) labels: u64,
}

/// The goroutines an enumeration for the stop context counted without keeping them
/// (`Options::only_current`): how many, and how many of them are system goroutines.
#[derive(Debug, Default, Clone)]
pub struct Census {
    /// Goroutines counted, not kept.
    pub others: usize,
    /// System goroutines among them.
    pub others_system: usize,
    /// Start pcs of those goroutines, with how many have each.
    pub(super) start_pcs: fxhash::FxHashMap<u64, usize>,
}

impl Census {
    pub(super) fn count(&mut self, start_pc: u64) {
        self.others += 1;
        *self.start_pcs.entry(start_pc).or_insert(0) += 1;
    }

    pub(super) fn merge(&mut self, other: Census) {
        self.others += other.others;
        self.others_system += other.others_system;
        for (pc, n) in other.start_pcs {
            *self.start_pcs.entry(pc).or_insert(0) += n;
        }
    }
}

/// Consecutive allgs entries that could not be read: one stays a record of its own, a run
/// of them becomes one record that counts them (a zeroed or garbage array in a corrupt core
/// would otherwise give millions of identical lines).
#[derive(Default)]
pub(super) struct BadRun {
    pub(super) first: Option<(usize, u64, String)>,
    pub(super) count: usize,
    pub(super) same_addr: bool,
}

impl BadRun {
    pub(super) fn add(&mut self, idx: usize, addr: u64, why: String) {
        match &self.first {
            None => {
                self.first = Some((idx, addr, why));
                self.count = 1;
                self.same_addr = true;
            }
            Some((_, a, _)) => {
                self.same_addr &= *a == addr;
                self.count += 1;
            }
        }
    }

    /// The run began at allgs index `idx`.
    pub(super) fn starts_at(&self, idx: usize) -> bool {
        self.first.as_ref().is_some_and(|(i, _, _)| *i == idx)
    }

    /// This run followed by `next`, which begins where this one ends.
    pub(super) fn merged(mut self, next: BadRun) -> BadRun {
        let first_addr = self.first.as_ref().map(|(_, a, _)| *a);
        let next_addr = next.first.as_ref().map(|(_, a, _)| *a);
        self.same_addr &= next.same_addr && first_addr == next_addr;
        self.count += next.count;
        self
    }

    pub(super) fn flush(&mut self, out: &mut Vec<Goroutine>, words: &mut Vec<GWords>) {
        let Some((idx, addr, why)) = self.first.take() else {
            return;
        };
        let msg = if self.count == 1 {
            why
        } else {
            format!(
                "{} unreadable records {} {addr:#x} (allgs[{idx}..{}]); runtime.allgs looks corrupt",
                thousands(self.count as u64),
                if self.same_addr { "at" } else { "from" },
                idx + self.count
            )
        };
        out.push(Goroutine::unreadable(addr, msg));
        words.push(GWords::default());
        self.count = 0;
    }
}

/// `4300000` -> `4,300,000`.
pub(super) fn thousands(n: u64) -> String {
    let d = n.to_string();
    let mut out = String::with_capacity(d.len() + d.len() / 3);
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
