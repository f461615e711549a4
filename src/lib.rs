//! wslgo: the native core of a gdb companion for Go programs.
//!
//! The core is sans-IO where it can be: parsers borrow bytes, goroutine readers take a
//! [`mem::Memory`] implementation, and nothing here calls gdb or Python. The pyo3 binding
//! layer lives in `py` and is compiled only with the `python` feature (maturin turns it on).
//!
//! Module map (see ARCHITECTURE.md):
//! - [`binary`]: ELF open (memmap2 + object), sections, build-id, Go build info.
//! - [`error`]: one error type for the core; mapped to Python exceptions in `py`.
//! - [`ids`]: `GoId`, `Pc`, `Addr`: the numbers that cross modules, typed.
//! - [`pclntab`]: Go's pc-line table: funcs, file:line, pcsp, inline tree (no DWARF needed).
//! - [`pprof`]: pprof profiles (profile.proto, gzipped): the goroutine profile.
//! - [`disasm`]: runtime variables of stripped binaries, found from the code that uses them.
//! - [`dwarf`]: lazy DWARF: frames with inlines, names, lines, type layouts, constants.
//! - [`symbols`]: one symbol API over DWARF and pclntab.
//! - [`mem`]: the memory trait and its backings (live process, core file, callback, fake).
//! - [`runtime`]: the Go runtime model: goroutines, states, wait reasons, unwinding.
//! - [`diagnose`]: known failures in gdb, delve and VS Code logs (`diagnose-log`).
//! - [`values`]: Go values in memory: interfaces' dynamic types, strings, maps, chans.
//! - [`views`]: every goroutine view of a snapshot (list, stacks, groups, JSON) and its filters.

pub mod binary;
pub mod diagnose;
pub mod disasm;
pub mod dwarf;
pub mod error;
pub mod ids;
pub mod mem;
pub mod pathmap;
pub mod pclntab;
pub mod pprof;
pub mod runtime;
pub mod sources;
pub mod symbols;
pub mod text;
pub mod values;
pub mod views;

// The extension's allocator and its out-of-memory exit (the binding declares it).
#[cfg(feature = "python")]
mod oom;
#[cfg(feature = "python")]
mod py;

pub use error::{Error, Result};

/// The crate version, as built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
