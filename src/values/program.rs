//! What the value readers know of one program: the runtime layout and map implementation of
//! its Go release, its types section, the run-time addresses of the AES key schedule its maps
//! hash with, and the DWARF spelling of the types the runtime names. Built once per program
//! (the binding's `Values`), it reads through whatever [`Memory`] each call is given.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use super::lookup::{self, MapKey};
use super::render::{self, RenderOpts, Renderer};
use super::{layout, DynType, Geometry, Layout, MapKind, StrRead};
use crate::binary::Arch;
use crate::error::{Error, Result};
use crate::mem::Memory;
use crate::symbols::Symbols;

impl MapKind {
    /// The implementation a name says: `hash` or `swiss`.
    pub fn parse(name: &str) -> Option<MapKind> {
        match name {
            "hash" => Some(MapKind::Hash),
            "swiss" => Some(MapKind::Swiss),
            _ => None,
        }
    }

    /// Its name: `hash` or `swiss`.
    pub fn name(self) -> &'static str {
        match self {
            MapKind::Hash => "hash",
            MapKind::Swiss => "swiss",
        }
    }
}

/// One program's value-reading facts (see the module).
pub struct Program {
    /// The runtime structures' offsets for its Go release.
    pub layout: Layout,
    /// Its Go release's map implementation.
    pub kind: MapKind,
    /// Its Go version (`go1.24.11`; empty when unknown).
    pub go_version: String,
    /// The types section (`runtime.types` .. `runtime.etypes`, relocated).
    types: Option<Range<u64>>,
    syms: Arc<Symbols>,
    /// Runtime type name (package names) -> DWARF type name (package paths), built on first
    /// use from the DWARF's named types.
    dwarf_names: OnceLock<HashMap<String, String>>,
    /// amd64 only: run-time addresses of the runtime's AES key schedule for map hashing and
    /// of its "hash with AES" flag (`m[key]`'s fast path).
    aes: Option<(u64, u64)>,
}

impl Program {
    /// The facts of the program of `syms`, loaded at `load_bias`; `types` is the types
    /// section's start when the caller knows it better than `.symtab`.
    pub fn new(syms: Arc<Symbols>, load_bias: u64, types: Option<u64>) -> Program {
        let bin = syms.binary();
        let go_version = bin.build_info().map(|b| b.go_version).unwrap_or_default();
        let minor = layout::minor_of(&go_version).unwrap_or(u32::MAX);
        let (layout, kind) = layout::for_version(minor);
        let sym = |name: &str| bin.elf_symbol(name).map(|s| s.addr.wrapping_add(load_bias));
        let types = types.or_else(|| sym("runtime.types")).map(|start| {
            start
                ..sym("runtime.etypes")
                    .filter(|e| *e > start)
                    .unwrap_or(u64::MAX)
        });
        let aes = if bin.arch() == Arch::Amd64 {
            sym("runtime.aeskeysched")
                .zip(sym("runtime.useAeshash"))
                .or_else(|| {
                    sym("internal/runtime/maps.aeskeysched")
                        .zip(sym("internal/runtime/maps.UseAeshash"))
                })
        } else {
            None
        };
        Program {
            layout,
            kind,
            go_version,
            types,
            syms,
            dwarf_names: OnceLock::new(),
            aes,
        }
    }

    /// The map implementation `name` says, else the release's.
    pub fn map_kind(&self, name: Option<&str>) -> MapKind {
        name.and_then(MapKind::parse).unwrap_or(self.kind)
    }

    /// The types section; NotFound in a binary without `runtime.types` (stripped).
    pub fn types(&self) -> Result<Range<u64>> {
        self.types
            .clone()
            .ok_or_else(|| Error::NotFound("no runtime.types symbol (stripped binary)".into()))
    }

    /// `m[key]` without calling the program: the address of the element stored under `key`
    /// in the map at `addr`, or None when it has no such key (hashed with the runtime's own
    /// AES key schedule where it uses one, else by a walk). BadInput when the map cannot be
    /// read within `max_bytes`.
    pub fn map_find(
        &self,
        mem: &dyn Memory,
        kind: MapKind,
        addr: u64,
        geo: &Geometry,
        key: &MapKey,
        max_bytes: u64,
    ) -> Result<Option<u64>> {
        let sched = self.aes.and_then(|(sched, flag)| {
            let mut on = [0u8; 1];
            let mut bytes = [0u8; 48];
            mem.read_into(flag, &mut on).ok()?;
            mem.read_into(sched, &mut bytes).ok()?;
            (on[0] != 0).then_some(bytes)
        });
        lookup::map_find_hashed(
            mem,
            &self.layout,
            kind,
            addr,
            geo,
            key,
            max_bytes,
            sched.as_ref(),
        )
        .map_err(Error::BadInput)
    }

    /// The dynamic type at an `*abi.Type`.
    pub fn dyn_type(&self, mem: &dyn Memory, typ: u64) -> Result<DynType> {
        super::dyn_type(mem, &self.layout, self.types()?, typ)
    }

    /// The text of an interface's dynamic value decoded from its type descriptor alone (no
    /// DWARF): `T value`, at most `max_elems` elements per slice or array and `max_string`
    /// bytes per string.
    pub fn dynamic_text(
        &self,
        mem: &dyn Memory,
        typ: u64,
        data: u64,
        max_elems: u64,
        max_string: u64,
    ) -> Result<String> {
        let opts = RenderOpts {
            max_elems,
            max_string,
            ..RenderOpts::default()
        };
        Ok(Renderer::new(mem, &self.layout, self.types()?, opts).dynamic(typ, data))
    }

    /// The DWARF name of a type the runtime names `name` (`y.T` for `github.com/x/y.T`), or
    /// None when the DWARF has no such type or several candidates.
    pub fn dwarf_type_name(&self, name: &str) -> Option<String> {
        let names = self.dwarf_names.get_or_init(|| {
            let mut map: HashMap<String, Option<String>> = HashMap::new();
            if let Ok(d) = self.syms.dwarf() {
                for full in d.type_names().unwrap_or_default() {
                    let short = super::runtime_spelling(full);
                    if short != full {
                        map.entry(short)
                            .and_modify(|v| *v = None)
                            .or_insert_with(|| Some(full.to_string()));
                    }
                }
            }
            map.into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect()
        });
        names.get(name).cloned()
    }
}

/// Go strings whose headers sit at `addrs`: `(text, full length)` each (at most `max_len`
/// bytes decoded, `max_bytes` for all together; invalid UTF-8 replaced), None where
/// unreadable or past the budget.
pub fn lossy_strings(
    mem: &dyn Memory,
    addrs: &[u64],
    max_len: u64,
    max_bytes: u64,
) -> Vec<Option<(String, u64)>> {
    super::read_strings(mem, addrs, max_len, max_bytes)
        .into_iter()
        .map(|r| match r {
            StrRead::Bytes(b, n) => Some((String::from_utf8_lossy(&b).into_owned(), n)),
            _ => None,
        })
        .collect()
}

/// Go strings whose headers sit at `addrs`, quoted as the printers show them (`"..."` after a
/// cut one; `<unreadable string>` where unreadable, `<string: read limit reached>` past the
/// budget).
pub fn quoted_strings(
    mem: &dyn Memory,
    addrs: &[u64],
    max_len: u64,
    max_bytes: u64,
) -> Vec<String> {
    super::read_strings(mem, addrs, max_len, max_bytes)
        .into_iter()
        .map(|r| match r {
            StrRead::Bytes(b, n) => render::quote(&b, n > b.len() as u64),
            StrRead::Unreadable => "<unreadable string>".to_string(),
            StrRead::OverBudget => "<string: read limit reached>".to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::FakeMemory;

    #[test]
    fn map_kinds_by_name() {
        for k in [MapKind::Hash, MapKind::Swiss] {
            assert_eq!(MapKind::parse(k.name()), Some(k));
        }
        assert_eq!(MapKind::parse("tree"), None);
    }

    #[test]
    fn strings_quoted_and_lossy() {
        // a header at 0x1000 -> 5 bytes at 0x2000; a header at 0x1010 pointing nowhere
        let mut m = FakeMemory::new();
        let hdr: Vec<u8> = [0x2000u64, 5, 0x9000, 3]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        m.map(0x1000, hdr);
        m.map(0x2000, b"hi\xffyo".to_vec());
        let addrs = [0x1000, 0x1010, 0x5000];
        assert_eq!(
            quoted_strings(&m, &addrs, 100, 1 << 20),
            [
                "\"hi\u{fffd}yo\"",
                "<unreadable string>",
                "<unreadable string>"
            ]
        );
        assert_eq!(quoted_strings(&m, &addrs[..1], 2, 1 << 20), ["\"hi\"..."]);
        assert_eq!(
            lossy_strings(&m, &addrs, 100, 1 << 20),
            [Some(("hi\u{fffd}yo".to_string(), 5)), None, None]
        );
    }
}
