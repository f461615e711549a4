//! Go's `.gopclntab`: function table, names, file:line, pcsp and the inline tree.
//! Works without DWARF (`-ldflags=-w`, `-s -w`). Formats: Go 1.18 (magic 0xfffffff0) and
//! Go 1.20+ (0xfffffff1); PIE binaries keep the table in `.data.rel.ro`.
//!
//! CONTRACT (filled in by the symbol-engine work; the goroutine engine codes against it):
//! the signatures below are the public API. Owned (holds an `Arc<Binary>`), no lifetimes,
//! lookups allocate nothing where they can.

use std::sync::Arc;

use crate::binary::Binary;
use crate::error::{Error, Result};

/// Go's funcID: marks runtime functions that need special treatment when unwinding.
pub type FuncId = u8;

/// One inlined call site active at a pc, innermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinedFrame {
    /// Name of the inlined function, e.g. `main.add`.
    pub name: String,
    /// File of the pc inside the inlined function.
    pub file: String,
    /// Line of the pc inside the inlined function.
    pub line: u32,
}

/// A function of the pclntab.
#[derive(Debug, Clone, Copy)]
pub struct Func {
    /// Entry pc (unrelocated).
    pub entry: u64,
    /// End pc (exclusive).
    pub end: u64,
    /// Index into the function table.
    pub index: u32,
    /// Go funcID (0 = normal).
    pub func_id: FuncId,
    /// funcFlag bits (TOPFRAME = 1, SPWRITE = 2, ASM = 4).
    pub flag: u8,
}

/// The parsed pclntab of one binary.
pub struct Pclntab {
    _bin: Arc<Binary>,
}

impl Pclntab {
    /// Find and parse the pclntab of `bin` (section `.gopclntab`, or by magic in
    /// `.data.rel.ro` for PIE). Clear error for a non-Go binary or a corrupt table.
    pub fn new(bin: Arc<Binary>) -> Result<Self> {
        let _ = bin;
        Err(Error::Unsupported("pclntab reader not built yet".into()))
    }

    /// Number of functions.
    pub fn func_count(&self) -> usize {
        0
    }

    /// The i-th function (in pc order).
    pub fn func(&self, index: usize) -> Option<Func> {
        let _ = index;
        None
    }

    /// The function containing `pc`.
    pub fn func_for_pc(&self, pc: u64) -> Option<Func> {
        let _ = pc;
        None
    }

    /// Function by exact Go symbol name (`runtime.breakpoint`, `main.(*T).M`).
    pub fn func_by_name(&self, name: &str) -> Option<Func> {
        let _ = name;
        None
    }

    /// The function's name.
    pub fn name(&self, f: &Func) -> &str {
        let _ = f;
        ""
    }

    /// File and line of `pc` in `f` (the outermost, non-inlined function).
    pub fn file_line(&self, f: &Func, pc: u64) -> Option<(&str, u32)> {
        let _ = (f, pc);
        None
    }

    /// The pcsp value at `pc`: bytes the function has pushed on its frame at that pc
    /// (0 at entry). The caller's return address is at `sp + sp_delta` on amd64.
    pub fn sp_delta(&self, f: &Func, pc: u64) -> Option<u32> {
        let _ = (f, pc);
        None
    }

    /// Inlined frames active at `pc`, innermost first (empty if none).
    pub fn inlined_at(&self, f: &Func, pc: u64) -> Vec<InlinedFrame> {
        let _ = (f, pc);
        Vec::new()
    }
}
