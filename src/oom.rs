//! Out of memory in the `wslgo` CLI ends with one line and exit status 1, never an abort,
//! panic text or a hang.
//!
//! Rust's stable alloc-error handler prints "memory allocation of N bytes failed" and
//! aborts, and with RUST_BACKTRACE=1 a panic hook that runs out of memory while printing a
//! backtrace can deadlock on the backtrace lock. So: the native module's panic hook prints
//! nothing (every entry point turns a panic into a Python exception with its message), and
//! the global allocator of the extension (declared in `py`), once the CLI asked for it, ends the process with
//! one line when an allocation fails. Inside gdb nothing changes (ending gdb's process is
//! not ours to decide): there an allocation failure still aborts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static EXIT_ON_OOM: AtomicBool = AtomicBool::new(false);
/// Set by the first thread that runs out of memory: it alone writes the line and exits.
static EXITING: AtomicBool = AtomicBool::new(false);
static PREFIX: OnceLock<Vec<u8>> = OnceLock::new();

/// The extension's allocator: the system allocator, plus the CLI's out-of-memory exit.
pub(crate) struct Allocator;

// SAFETY: every call is forwarded to `System` unchanged; `out_of_memory` only returns or
// ends the process.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }
}

/// Called with the size of a failed allocation. Allocates nothing.
fn out_of_memory(size: usize) {
    if !EXIT_ON_OOM.load(Ordering::Relaxed) {
        return; // the caller sees null: Rust's handler (or try_reserve's Err) takes over
    }
    if EXITING.swap(true, Ordering::SeqCst) {
        // Another thread (the engine unwinds on several) is writing the line and ending
        // the process: wait for it, so the line is written once.
        loop {
            // SAFETY: blocks this thread until a signal; the process exits meanwhile.
            unsafe { libc::pause() };
        }
    }
    let prefix = PREFIX.get().map(Vec::as_slice).unwrap_or(b"wslgo");
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = size;
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    let parts: [&[u8]; 5] = [
        prefix,
        b": out of memory (allocating ",
        &digits[i..],
        b" bytes failed; is `ulimit -v` too small for this core?)\n",
        b"",
    ];
    for part in parts {
        // SAFETY: writing a valid buffer to fd 2.
        let _ = unsafe { libc::write(2, part.as_ptr().cast(), part.len()) };
    }
    // SAFETY: ends the process without running destructors or atexit handlers (which may
    // allocate); status 1 like every other CLI error.
    unsafe { libc::_exit(1) }
}

/// Ask for the one-line exit on allocation failure, with `prefix` ("wslgo goroutines").
pub(crate) fn exit_on_oom(prefix: &str) {
    let _ = PREFIX.set(prefix.as_bytes().to_vec());
    EXIT_ON_OOM.store(true, Ordering::Relaxed);
}

/// Install the silent panic hook (once, at module import): panics are reported by the
/// exception each entry point raises, not by text on stderr; and no backtrace is taken,
/// which under memory pressure could deadlock with the allocator's error path.
pub(crate) fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
