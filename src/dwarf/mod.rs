//! DWARF, read lazily with gimli/addr2line: compressed sections (SHF_COMPRESSED zlib,
//! `.zdebug_*`), DWARF 4 and 5 (Go 1.25+).
//!
//! CONTRACT (filled in by the symbol-engine work; the goroutine engine codes against it):
//! type layouts, constants and variables for the runtime model.

use std::sync::Arc;

use crate::binary::Binary;
use crate::error::{Error, Result};

/// One member of a struct type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Member name, e.g. `goid`.
    pub name: String,
    /// Byte offset in the struct.
    pub offset: u64,
    /// Size in bytes (0 if unknown).
    pub size: u64,
    /// Type name as DWARF spells it, e.g. `uint64`, `*runtime.m`, `runtime.gobuf`.
    pub type_name: String,
}

/// Layout of a struct type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructLayout {
    /// Type name, e.g. `runtime.g`.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Members in declaration order.
    pub fields: Vec<Field>,
}

impl StructLayout {
    /// The member with this name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A global variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// Full Go name, e.g. `runtime.allgs`.
    pub name: String,
    /// Address (unrelocated).
    pub addr: u64,
    /// Size in bytes (0 if unknown).
    pub size: u64,
    /// Type name.
    pub type_name: String,
}

/// Lazily parsed DWARF of one binary.
pub struct Dwarf {
    _bin: Arc<Binary>,
}

impl Dwarf {
    /// Load DWARF from `bin`; `Error::NotFound` if it has none.
    pub fn new(bin: Arc<Binary>) -> Result<Self> {
        let _ = bin;
        Err(Error::Unsupported("DWARF reader not built yet".into()))
    }

    /// Layout of the named struct type (`runtime.g`, `runtime.gobuf`, `runtime.m`).
    pub fn struct_layout(&self, name: &str) -> Result<StructLayout> {
        Err(Error::NotFound(format!("type {name}")))
    }

    /// Value of a named constant (`runtime._Grunning`), from DW_TAG_constant.
    pub fn constant(&self, name: &str) -> Option<i64> {
        let _ = name;
        None
    }

    /// Every constant whose name starts with `prefix` (e.g. `runtime._G`), as (name, value).
    pub fn constants_with_prefix(&self, prefix: &str) -> Vec<(String, i64)> {
        let _ = prefix;
        Vec::new()
    }

    /// A global variable by full name (`runtime.allgs`, `runtime.traceback_cache`).
    pub fn variable(&self, name: &str) -> Option<Variable> {
        let _ = name;
        None
    }
}
