//! The words of a goroutine's stack that hold live pointers, found the way Go's garbage
//! collector finds them (`runtime.scanstack` / `scanframeworker`): frame by frame, through
//! the compiler's pointer maps at the frame's safe point ([`Pclntab::frame_maps`]), with
//! stack objects scanned only when a live pointer reaches them.
//!
//! A dead slot of a frame — a variable no longer used, or the leftovers of an earlier,
//! deeper call — keeps whatever it held last; a scan of every word would take those for
//! references (a goroutine "holding" a channel it dropped long ago). This scan does not.
//!
//! Where the maps cannot tell, the frame is scanned conservatively (every word), as the
//! runtime itself does: the frame of an asynchronous preemption or an injected call and its
//! caller, the innermost frame of a goroutine running on a thread (its registers are not at
//! a safe point), frames whose maps cannot be read (no `go:func.*` data, a corrupt table),
//! and the part of the stack beyond the last frame the unwind reached.
//!
//! Layout (amd64 and arm64, the runtime's `stkframe`): with `d` the frame size at the pc
//! (pcsp), `varp = sp + d` less the saved frame pointer word when `d > 0`, and `argp = sp +
//! d + 8` (amd64: past the return address; arm64: past the caller's saved-LR slot).

use std::sync::Arc;

use super::fxhash::FxHashMap;
use super::records::{Goroutine, RegsSource};
use crate::binary::Arch;
use crate::mem::Target;
use crate::pclntab::{FuncKind, Pclntab, FUNC_FLAG_TOPFRAME};

/// One word of the stack that may hold a pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackWord {
    /// Its address.
    pub slot: u64,
    /// Its value.
    pub value: u64,
    /// Index in the goroutine's frames of the (physical) frame it belongs to; `None` for
    /// the part of the stack no frame covers.
    pub frame: Option<usize>,
}

/// What one scan did: frames read through their maps, frames and bytes taken word by word.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Frames scanned through their pointer maps.
    pub precise_frames: u32,
    /// Frames scanned word by word (see the module documentation for when).
    pub conservative_frames: u32,
    /// Bytes beyond the last frame the unwind reached, scanned word by word.
    pub tail_bytes: u64,
}

/// How one frame is scanned, relative to its sp.
#[derive(Debug)]
struct FrameScan {
    /// Size of the frame up to the caller's sp.
    fp_off: u64,
    /// Bytes of stack arguments and results (in the caller's frame, from `argp`).
    args: u64,
    kind: ScanKind,
}

#[derive(Debug)]
enum ScanKind {
    /// Through the maps.
    Precise {
        /// Live pointer slots (offsets from sp).
        slots: Vec<u64>,
        /// Stack objects: (offset from sp, size, bytes that can hold pointers).
        objects: Vec<(u64, u64, u64)>,
    },
    /// Every word of the frame and of its arguments.
    Conservative {
        /// The caller is scanned conservatively too (an injected call, or arguments of
        /// unknown size).
        caller_too: bool,
    },
}

/// Precise stack scans over one program, caching each pc's frame layout (goroutines
/// parked at the same places share them).
pub struct StackScanner<'a> {
    tab: Option<&'a Pclntab>,
    lr: bool,
    cache: FxHashMap<u64, Option<Arc<FrameScan>>>,
}

impl<'a> StackScanner<'a> {
    /// A scanner of stacks of the program whose pclntab is `tab`, on `arch` (without a
    /// table, every stack is scanned conservatively).
    pub fn new(tab: Option<&'a Pclntab>, arch: Arch) -> Self {
        StackScanner {
            tab,
            lr: arch == Arch::Arm64,
            cache: FxHashMap::default(),
        }
    }

    /// The live pointer words of `g`'s stack, within its top `max` bytes (from its sp, or
    /// its `stack.lo` when sp is outside the stack). `Err` when the stack cannot be read
    /// (one line).
    pub fn scan(
        &mut self,
        t: &Target<'_>,
        g: &Goroutine,
        max: u64,
        emit: &mut dyn FnMut(StackWord),
    ) -> Result<ScanStats, String> {
        let mut stats = ScanStats::default();
        let (lo, hi) = (g.stack_lo, g.stack_hi);
        if hi <= lo {
            return Ok(stats);
        }
        let start = if (lo..hi).contains(&g.sp) { g.sp } else { lo };
        let from = start.max(hi.saturating_sub(max)) & !7;
        let words = t
            .bytes(from, (hi - from) as usize)
            .map_err(|e| format!("goroutine {}: cannot read its stack ({e})", g.goid))?;
        let word = |slot: u64| -> Option<u64> {
            let off = usize::try_from(slot.checked_sub(from)?).ok()?;
            let b: [u8; 8] = words.get(off..off.checked_add(8)?)?.try_into().ok()?;
            Some(u64::from_le_bytes(b))
        };
        let mut stack_ptrs: Vec<u64> = Vec::new();
        let mut out = |slot: u64, frame: Option<usize>, ptrs: &mut Vec<u64>| {
            if let Some(value) = word(slot) {
                if (lo..hi).contains(&value) {
                    ptrs.push(value);
                }
                emit(StackWord { slot, value, frame });
            }
        };
        let range = |a: u64, b: u64| (a.max(from) & !7..b.min(hi)).step_by(8);

        let frames = &g.frames;
        let sps = frames.sps(g.sp);
        let phys: Vec<usize> = (0..frames.len()).filter(|&i| !frames[i].inlined).collect();
        // (slot, size, ptrdata, frame) of each stack object, and whether it was scanned.
        let mut objects: Vec<(u64, u64, u64, usize, bool)> = Vec::new();
        let mut conservative = g.regs == RegsSource::Thread;
        let mut reached = from;
        let mut complete = false;
        // A sp outside the stack: no frame to trust, every word.
        let walk = if start == g.sp { phys.as_slice() } else { &[] };
        for (k, &i) in walk.iter().enumerate() {
            let sp = sps[i];
            let next_sp = walk.get(k + 1).map(|&j| sps[j]);
            let f = &frames[i];
            let scan = self.frame(t.bias, f.pc.0, f.entry.0);
            complete = self.is_top(t.bias, f.entry.0);
            let fp = scan
                .as_ref()
                .map_or(next_sp.unwrap_or(hi), |s| sp.wrapping_add(s.fp_off));
            // The unwind and the maps disagree on where the frame ends: every word.
            if next_sp.is_some_and(|n| n != fp) || sp < reached {
                let end = next_sp.unwrap_or(hi).max(sp);
                for s in range(sp, end) {
                    out(s, Some(i), &mut stack_ptrs);
                }
                conservative = false;
                reached = reached.max(end);
                stats.conservative_frames += 1;
                continue;
            }
            match scan.as_ref().map(|s| (s, &s.kind)) {
                Some((
                    _,
                    ScanKind::Precise {
                        slots,
                        objects: objs,
                    },
                )) if !conservative => {
                    for off in slots {
                        out(sp.wrapping_add(*off), Some(i), &mut stack_ptrs);
                    }
                    for (off, size, ptrdata) in objs {
                        objects.push((sp.wrapping_add(*off), *size, *ptrdata, i, false));
                    }
                    stats.precise_frames += 1;
                }
                Some((s, kind)) => {
                    // Every word of the frame and of its arguments (in the caller's frame).
                    for w in range(sp, fp) {
                        out(w, Some(i), &mut stack_ptrs);
                    }
                    let argp = fp.wrapping_add(if self.lr { 8 } else { 0 });
                    for w in range(argp, argp.saturating_add(s.args)) {
                        out(w, Some(i), &mut stack_ptrs);
                    }
                    conservative = matches!(kind, ScanKind::Conservative { caller_too: true });
                    stats.conservative_frames += 1;
                }
                None => {
                    for w in range(sp, fp) {
                        out(w, Some(i), &mut stack_ptrs);
                    }
                    conservative = false;
                    stats.conservative_frames += 1;
                }
            }
            reached = reached.max(fp);
        }
        // An unwind that stopped before the goroutine's top frame: the rest, every word.
        if !complete {
            stats.tail_bytes = hi.saturating_sub(reached);
            for s in range(reached, hi) {
                out(s, None, &mut stack_ptrs);
            }
        }
        // Stack objects reached by a live pointer (to a fixed point: objects can point to
        // each other), each scanned once over its pointer-holding bytes.
        loop {
            stack_ptrs.sort_unstable();
            let mut more = false;
            for o in objects.iter_mut().filter(|o| !o.4) {
                let (at, size) = (o.0, o.1);
                let k = stack_ptrs.partition_point(|p| *p < at);
                if stack_ptrs
                    .get(k)
                    .is_some_and(|p| *p < at.saturating_add(size))
                {
                    o.4 = true;
                    more = true;
                    let mut found = Vec::new();
                    for s in range(at, at.saturating_add(o.2)) {
                        out(s, Some(o.3), &mut found);
                    }
                    stack_ptrs.extend(found);
                }
            }
            if !more {
                break;
            }
        }
        Ok(stats)
    }

    /// Whether the function at `entry` (relocated) is a goroutine's top frame.
    fn is_top(&self, bias: u64, entry: u64) -> bool {
        self.tab
            .and_then(|t| t.func_for_pc(entry.wrapping_sub(bias)))
            .is_some_and(|f| f.flag & FUNC_FLAG_TOPFRAME != 0)
    }

    /// The layout of the frame at relocated `pc` (entry `entry`, 0 if unknown), cached.
    fn frame(&mut self, bias: u64, pc: u64, entry: u64) -> Option<Arc<FrameScan>> {
        if let Some(s) = self.cache.get(&pc) {
            return s.clone();
        }
        let s = self.compute(bias, pc, entry).map(Arc::new);
        self.cache.insert(pc, s.clone());
        s
    }

    fn compute(&self, bias: u64, pc: u64, entry: u64) -> Option<FrameScan> {
        let tab = self.tab?;
        let upc = pc.wrapping_sub(bias);
        let f = if entry != 0 {
            tab.func_for_pc(entry.wrapping_sub(bias))?
        } else {
            tab.func_for_pc(upc)?
        };
        let delta = u64::from(tab.sp_delta(&f, upc)?);
        let fp_off = delta + if self.lr { 0 } else { 8 };
        let varp = if delta > 0 { delta - 8 } else { delta };
        let argp = delta + 8;
        let maps = tab.frame_maps(&f, upc);
        let args = maps.args_size.map_or(0, u64::from);
        let conservative = |caller_too: bool| FrameScan {
            fp_off,
            args,
            kind: ScanKind::Conservative { caller_too },
        };
        if matches!(
            tab.func_kind(&f),
            FuncKind::AsyncPreempt | FuncKind::DebugCallV2 | FuncKind::Sigpanic
        ) {
            return Some(conservative(true));
        }
        if maps.args_size.is_none() {
            return Some(conservative(true));
        }
        let mut slots = Vec::new();
        let min_locals = if self.lr { 16 } else { 0 };
        if varp > min_locals {
            let Some(locals) = maps.locals else {
                return Some(conservative(false));
            };
            let size = u64::from(locals.nbit) * 8;
            if size > varp {
                return Some(conservative(false));
            }
            slots.extend(locals.ones().map(|j| varp - size + u64::from(j) * 8));
        }
        if args >= 8 {
            let Some(bits) = maps.args else {
                return Some(conservative(false));
            };
            slots.extend(
                bits.ones()
                    .filter(|j| u64::from(*j) < args / 8)
                    .map(|j| argp + u64::from(j) * 8),
            );
        }
        let Some(objs) = maps.objects else {
            return Some(conservative(false));
        };
        let objects = objs
            .iter()
            .filter_map(|o| {
                let base = if o.off < 0 { varp } else { argp };
                let at = base.checked_add_signed(i64::from(o.off))?;
                Some((at, u64::from(o.size), u64::from(o.ptrdata.min(o.size))))
            })
            .collect();
        Some(FrameScan {
            fp_off,
            args,
            kind: ScanKind::Precise { slots, objects },
        })
    }
}
