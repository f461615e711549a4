//! The text of a fatal error (`fatal error: concurrent map writes`, `fatal error: all
//! goroutines are asleep - deadlock!`) in the memory of a program that died of it, read
//! from the runtime's own frames, never by running Go code.
//!
//! `runtime.throw(s)` and `runtime.fatal(s)` print `s` from a closure they hand to
//! `systemstack`; the closure's function value (`{fn, captured...}`, `fn` the entry of
//! `runtime.throw.func1` / `runtime.fatal.func1`) stays in their frame while the runtime
//! dies, with `s` among the captured words. A fatal error never returns, so such a value
//! on the dying thread's stack (or the stack of the goroutine it ran) is this error's.

use crate::mem::{read_vec, Memory};
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
