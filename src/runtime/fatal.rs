//! The text of a fatal error (`fatal error: concurrent map writes`, `fatal error: all
//! goroutines are asleep - deadlock!`) in the memory of a program that died of it, read
//! from the runtime's own frames, never by running Go code.
//!
//! `runtime.throw(s)` and `runtime.fatal(s)` print `s` from a closure they hand to
//! `systemstack`; the closure's function value (`{fn, captured...}`, `fn` the entry of
//! `runtime.throw.func1` / `runtime.fatal.func1`) stays in their frame while the runtime
//! dies, with `s` among the captured words. A fatal error never returns, so such a value
//! on the dying thread's stack (or the stack of the goroutine it ran) is this error's.

use super::{GoRuntime, Goroutines, UnwindOptions, UnwindStart};
use crate::mem::{read_vec, CoreThread, Memory};
use crate::pclntab::Pclntab;

/// The closures that print a fatal error's text (Go 1.21 to 1.27).
const CLOSURES: [&str; 2] = ["runtime.throw.func1", "runtime.fatal.func1"];
/// The functions whose frame holds that closure.
pub const THROWERS: [&str; 2] = ["runtime.throw", "runtime.fatal"];
/// Bytes of a stack searched from its stack pointer.
const SCAN_BYTES: u64 = 64 << 10;
/// Captured words looked at after the function word (Go 1.27's `fatal` captures the
/// goroutine's `_panic` before the string).
const CAPTURED_WORDS: usize = 4;
/// Longest text accepted.
const MAX_TEXT: u64 = 4096;

/// A core's fatal error (`runtime.throw` / `runtime.fatal`): given as `panic` lines to
/// every goroutine on a thread whose stack is in one of them, and found on the stack of
/// the thread that received the fatal signal (`signalled`, the first in the core) or of
/// the goroutine it ran: given to that goroutine when it has none, else (a system stack,
/// like a deadlock's) returned.
pub fn core_fatal_error(
    rt: &GoRuntime,
    mem: &dyn Memory,
    bias: u64,
    signalled: &CoreThread,
    gs: &mut Goroutines,
) -> Option<String> {
    let t = signalled;
    let entries = closure_entries(rt.pclntab(), bias);
    // Every goroutine on a thread that is in runtime.throw / runtime.fatal threw: when
    // several did at once (concurrent map writes), each is named, not only the one whose
    // thread took the fatal signal.
    let mut first_named = false;
    for g in gs
        .iter_mut()
        .filter(|g| g.error.is_none() && g.thread_id.is_some())
    {
        let Some(i) = g.frames.iter().position(|f| THROWERS.contains(&&*f.func)) else {
            continue;
        };
        let Some(&sp) = g.frames.sps(g.sp).get(i) else {
            continue;
        };
        if let Some(text) = scan(mem, &entries, sp, g.stack_hi) {
            g.panic.get_or_insert_with(|| vec![text]);
            first_named |= g.thread_id == Some(t.tid);
        }
    }
    if first_named {
        return None;
    }
    if let Some(g) = gs
        .iter_mut()
        .find(|g| g.error.is_none() && g.thread_id == Some(t.tid))
    {
        let lo = if (g.stack_lo..g.stack_hi).contains(&g.sp) {
            g.sp
        } else {
            g.stack_lo
        };
        if let Some(text) = scan(mem, &entries, lo, g.stack_hi) {
            if g.panic.is_none() {
                g.panic = Some(vec![text]);
                return None;
            }
        }
    }
    // the thread's own stack: from the frame of runtime.throw / runtime.fatal (the
    // thread may be in a signal handler on another stack), else from its sp
    let st = rt.unwind(
        mem,
        bias,
        UnwindStart {
            pc: t.pc,
            sp: t.sp,
            bp: t.bp,
            lr: t.lr,
            exact: true,
        },
        &UnwindOptions {
            max_depth: 64,
            stop_at_user: false,
            main_module: None,
        },
    );
    st.frames
        .iter()
        .zip(&st.sps)
        .filter(|(f, _)| THROWERS.contains(&&*f.func))
        .map(|(_, sp)| *sp)
        .chain([t.sp])
        .find_map(|sp| scan(mem, &entries, sp, sp.saturating_add(1 << 20)))
}

/// Entry addresses (relocated by `bias`) of the closures that print a fatal error.
pub fn closure_entries(pcln: &Pclntab, bias: u64) -> Vec<u64> {
    CLOSURES
        .iter()
        .filter_map(|n| pcln.func_by_name(n))
        .map(|f| f.entry.wrapping_add(bias))
        .collect()
}

/// `fatal error: TEXT` when the stack memory `[lo, hi)` (at most [`SCAN_BYTES`] of it)
/// holds the function value of one of `entries` followed by a readable string.
pub fn scan(mem: &dyn Memory, entries: &[u64], lo: u64, hi: u64) -> Option<String> {
    if entries.is_empty() || hi <= lo {
        return None;
    }
    let mut len = (hi - lo).min(SCAN_BYTES);
    if let Some(ext) = mem.mapped_extent(lo) {
        len = len.min(ext);
    }
    let buf = read_vec(mem, lo, len as usize).ok()?;
    let words: Vec<u64> = buf
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect();
    for (i, w) in words.iter().enumerate() {
        if !entries.contains(w) {
            continue;
        }
        for k in 1..=CAPTURED_WORDS {
            let (Some(&ptr), Some(&n)) = (words.get(i + k), words.get(i + k + 1)) else {
                break;
            };
            if let Some(text) = text_at(mem, ptr, n) {
                return Some(format!("fatal error: {text}"));
            }
        }
    }
    None
}

/// The string `(ptr, n)` when it is short, readable, valid UTF-8 text.
fn text_at(mem: &dyn Memory, ptr: u64, n: u64) -> Option<String> {
    if ptr == 0 || n == 0 || n > MAX_TEXT {
        return None;
    }
    let bytes = read_vec(mem, ptr, n as usize).ok()?;
    let s = String::from_utf8(bytes).ok()?;
    s.chars()
        .all(|c| !c.is_control() || c == '\n' || c == '\t')
        .then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::FakeMemory;

    #[test]
    fn finds_the_text_after_the_closure_word() {
        let entry = 0x40_1000u64;
        let text = b"concurrent map writes";
        let mut stack = Vec::new();
        for w in [7u64, entry, 0, 0x50_0000, text.len() as u64, 9] {
            stack.extend_from_slice(&w.to_le_bytes());
        }
        let mut mem = FakeMemory::new();
        mem.map(0xc000_0000, stack);
        mem.map(0x50_0000, text.to_vec());
        let got = scan(&mem, &[entry], 0xc000_0000, 0xc000_0030);
        assert_eq!(got.as_deref(), Some("fatal error: concurrent map writes"));
        assert_eq!(scan(&mem, &[entry + 1], 0xc000_0000, 0xc000_0030), None);
        assert_eq!(scan(&mem, &[entry], 0xc000_0000, 0xc000_0008), None);
    }
}
