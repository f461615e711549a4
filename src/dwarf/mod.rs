//! DWARF, read lazily with gimli/addr2line: compressed sections (SHF_COMPRESSED zlib or
//! zstd, `.zdebug_*`), DWARF 4 and 5 (Go 1.25+).
//!
//! CONTRACT (the goroutine engine codes against it): [`Dwarf::struct_layout`],
//! [`Dwarf::constant`], [`Dwarf::constants_with_prefix`], [`Dwarf::variable`].
//!
//! Only what is needed eagerly is parsed at [`Dwarf::new`]: the section bytes (decompressed
//! once) and addr2line's unit-range index. Everything else is built on first use and cached
//! in a `OnceLock`: the global index (functions, variables, constants, types: one pass over
//! every DIE) and the line index (file:line -> statement addresses).
//!
//! Go's DWARF quirks handled here: types live in their own compilation unit and are
//! referenced with `DW_FORM_ref_addr`; names are fully qualified (`runtime.g`); assembly
//! functions have DWARF only since Go 1.25 (older binaries fall back on the pclntab in the
//! symbol facade); a named type can appear both as a typedef and as the struct itself.

mod lines;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use gimli::{AttributeValue, EndianArcSlice, Reader as _, RunTimeEndian, UnitSectionOffset};

use crate::binary::Binary;
use crate::error::{Error, Result};

pub use lines::LineMatch;
pub(crate) use lines::{no_code_error, normalize_query, path_matches};

/// The gimli reader used everywhere: owned, cheap to clone, `Send + Sync`.
pub(crate) type R = EndianArcSlice<RunTimeEndian>;

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

/// One frame at a pc: the function and the source position inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Function name (`main.main`), or `?` when DWARF has none.
    pub function: String,
    /// Source file (absolute path as the compiler recorded it), empty if unknown.
    pub file: String,
    /// Line number (0 if unknown).
    pub line: u32,
    /// True for an inlined call (every frame but the last of a pc).
    pub inlined: bool,
}

/// A function's code range from `DW_TAG_subprogram`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuncRange {
    /// Entry pc (`DW_AT_low_pc`).
    pub entry: u64,
    /// End pc, exclusive (`DW_AT_high_pc`).
    pub end: u64,
}

#[derive(Debug, Clone, Copy)]
struct VarRef {
    addr: u64,
    ty: Option<UnitSectionOffset>,
}

/// The global index: one pass over every DIE, built on first use.
#[derive(Default)]
struct Index {
    funcs: HashMap<String, Vec<FuncRange>>,
    /// Each function's `DW_TAG_subprogram` (the first one of that name).
    subprograms: HashMap<String, UnitSectionOffset>,
    vars: HashMap<String, VarRef>,
    /// Constants by name: their value and their type's DIE.
    consts: BTreeMap<String, (i64, Option<UnitSectionOffset>)>,
    /// Named types; a struct/base type wins over a typedef of the same name.
    types: HashMap<String, UnitSectionOffset>,
}

/// Lazily parsed DWARF of one binary.
pub struct Dwarf {
    bin: Arc<Binary>,
    dwarf: Arc<gimli::Dwarf<R>>,
    version: u16,
    units: Vec<gimli::Unit<R>>,
    ctx: Mutex<addr2line::Context<R>>,
    index: OnceLock<Result<Index>>,
    lines: OnceLock<Result<lines::LineIndex>>,
}

impl std::fmt::Debug for Dwarf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dwarf")
            .field("version", &self.version)
            .field("units", &self.units.len())
            .finish()
    }
}

fn gerr(e: gimli::Error) -> Error {
    Error::Dwarf(e.to_string())
}

impl Dwarf {
    /// Load DWARF from `bin`; `Error::NotFound` if it has none, `Error::Unsupported` for a
    /// compression format the reader cannot decompress, `Error::Dwarf` for a malformed one.
    pub fn new(bin: Arc<Binary>) -> Result<Self> {
        if !bin.has_dwarf() {
            return Err(Error::NotFound(
                "no DWARF in this binary (built with -ldflags=-w or stripped)".into(),
            ));
        }
        let endian = if bin.is_little_endian() {
            RunTimeEndian::Little
        } else {
            RunTimeEndian::Big
        };
        let load = |id: gimli::SectionId| -> Result<R> {
            let data = match bin.section_data(id.name()) {
                Ok(Some(d)) => Arc::<[u8]>::from(d.as_ref()),
                Ok(None) => Arc::<[u8]>::from(&[][..]),
                Err(e) => {
                    let msg = e.to_string();
                    let lower = msg.to_ascii_lowercase();
                    if lower.contains("unsupported") || lower.contains("compression") {
                        return Err(Error::Unsupported(format!(
                            "cannot decompress DWARF section {}: {msg}",
                            id.name()
                        )));
                    }
                    return Err(e);
                }
            };
            Ok(EndianArcSlice::new(data, endian))
        };
        let dwarf = gimli::Dwarf::load(load)?;
        let dwarf = Arc::new(dwarf);
        // Parse every unit header (cheap: abbreviations are shared, DIEs stay unparsed).
        let mut units = Vec::new();
        let mut headers = dwarf.units();
        while let Some(header) = headers.next().map_err(gerr)? {
            units.push(dwarf.unit(header).map_err(gerr)?);
        }
        let version = units.first().map(|u| u.header.version()).unwrap_or(0);
        let ctx = addr2line::Context::from_arc_dwarf(dwarf.clone()).map_err(gerr)?;
        Ok(Dwarf {
            bin,
            dwarf,
            version,
            units,
            ctx: Mutex::new(ctx),
            index: OnceLock::new(),
            lines: OnceLock::new(),
        })
    }

    /// The binary this DWARF was read from.
    pub fn binary(&self) -> &Arc<Binary> {
        &self.bin
    }

    /// DWARF version of the first compilation unit (4 before Go 1.25, 5 after).
    pub fn version(&self) -> u16 {
        self.version
    }

    /// Number of compilation units (Go: one per package, plus one for types).
    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// Frames at `pc`, innermost (inlined) first; empty if no unit covers `pc`.
    pub fn frames(&self, pc: u64) -> Result<Vec<Frame>> {
        let ctx = self
            .ctx
            .lock()
            .map_err(|_| Error::Dwarf("frame cache poisoned by an earlier panic".into()))?;
        let mut iter = ctx.find_frames(pc).skip_all_loads().map_err(gerr)?;
        let mut out: Vec<Frame> = Vec::new();
        while let Some(f) = iter.next().map_err(gerr)? {
            let function = match &f.function {
                // Raw: as `go tool addr2line` prints it (some releases keep `·`).
                Some(n) => n.raw_name().map_err(gerr)?.into_owned(),
                None => "?".to_string(),
            };
            let (file, line) = match &f.location {
                Some(l) => (
                    l.file.map(clean_path).unwrap_or_default(),
                    l.line.unwrap_or(0),
                ),
                None => (String::new(), 0),
            };
            out.push(Frame {
                function,
                file,
                line,
                inlined: true,
            });
        }
        if let Some(last) = out.last_mut() {
            last.inlined = false;
        }
        // Go sometimes opens a function's line sequence a few bytes after its entry
        // (wrappers and init functions, Go 1.22+): the first pcs then have no row. They
        // hold the sequence's initial state, file 1 and line 1, which is what the pclntab
        // (and `go tool addr2line`) report there.
        if let [only] = out.as_mut_slice() {
            if only.file.is_empty() && only.function != "?" {
                if let Some(unit) = ctx.find_dwarf_and_unit(pc).skip_all_loads() {
                    if let Some(lp) = &unit.line_program {
                        let header = lp.header();
                        if let Some(f) = header.file(1) {
                            only.file = lines::file_path(&self.dwarf, &unit, header, f)
                                .map(|p| clean_path(&p))
                                .unwrap_or_default();
                            only.line = 1;
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    fn index(&self) -> Result<&Index> {
        self.index
            .get_or_init(|| self.build_index())
            .as_ref()
            .map_err(Error::clone)
    }

    fn build_index(&self) -> Result<Index> {
        let mut ix = Index::default();
        for unit in &self.units {
            let mut cursor = unit.entries();
            while let Some(entry) = cursor.next_dfs().map_err(gerr)? {
                let tag = entry.tag();
                let interesting = matches!(
                    tag,
                    gimli::DW_TAG_subprogram
                        | gimli::DW_TAG_variable
                        | gimli::DW_TAG_constant
                        | gimli::DW_TAG_structure_type
                        | gimli::DW_TAG_base_type
                        | gimli::DW_TAG_typedef
                        | gimli::DW_TAG_pointer_type
                        | gimli::DW_TAG_array_type
                        | gimli::DW_TAG_subroutine_type
                        | gimli::DW_TAG_union_type
                        | gimli::DW_TAG_interface_type
                );
                if !interesting {
                    continue;
                }
                let Some(name) = self.attr_string(unit, entry, gimli::DW_AT_name) else {
                    continue;
                };
                match tag {
                    gimli::DW_TAG_subprogram => {
                        if let Some(r) = self.pc_range(unit, entry)? {
                            let off = entry.offset().to_unit_section_offset(&unit.header);
                            let name = go_name(name);
                            ix.subprograms.entry(name.clone()).or_insert(off);
                            ix.funcs.entry(name).or_default().push(r);
                        }
                    }
                    gimli::DW_TAG_variable => {
                        if let Some(addr) = self.static_addr(unit, entry) {
                            let ty = type_ref(unit, entry);
                            ix.vars.entry(name).or_insert(VarRef { addr, ty });
                        }
                    }
                    gimli::DW_TAG_constant => {
                        if let Some(v) = entry.attr_value(gimli::DW_AT_const_value) {
                            if let Some(v) = v.sdata_value().or_else(|| {
                                v.udata_value().map(|u| i64::from_ne_bytes(u.to_ne_bytes()))
                            }) {
                                ix.consts.entry(name).or_insert((v, type_ref(unit, entry)));
                            }
                        }
                    }
                    _ => {
                        let off = entry.offset().to_unit_section_offset(&unit.header);
                        let strong = tag != gimli::DW_TAG_typedef;
                        match ix.types.get(&name) {
                            Some(_) if !strong => {}
                            Some(prev) if self.is_strong(*prev) => {}
                            _ => {
                                ix.types.insert(name, off);
                            }
                        }
                    }
                }
            }
        }
        for v in ix.funcs.values_mut() {
            v.sort_by_key(|r| r.entry);
            v.dedup();
        }
        Ok(ix)
    }

    fn is_strong(&self, off: UnitSectionOffset) -> bool {
        self.with_entry(off, |_, e| Ok(e.tag() != gimli::DW_TAG_typedef))
            .unwrap_or(false)
    }

    fn attr_string(
        &self,
        unit: &gimli::Unit<R>,
        entry: &gimli::DebuggingInformationEntry<R>,
        at: gimli::DwAt,
    ) -> Option<String> {
        let v = entry.attr_value(at)?;
        let s = self.dwarf.attr_string(unit, v).ok()?;
        Some(s.to_string_lossy().ok()?.into_owned())
    }

    fn pc_range(
        &self,
        unit: &gimli::Unit<R>,
        entry: &gimli::DebuggingInformationEntry<R>,
    ) -> Result<Option<FuncRange>> {
        let Some(low) = entry.attr_value(gimli::DW_AT_low_pc) else {
            return Ok(None);
        };
        let Some(entry_pc) = self.dwarf.attr_address(unit, low).map_err(gerr)? else {
            return Ok(None);
        };
        let end = match entry.attr_value(gimli::DW_AT_high_pc) {
            Some(AttributeValue::Udata(n)) => entry_pc.checked_add(n),
            Some(AttributeValue::Data1(n)) => entry_pc.checked_add(u64::from(n)),
            Some(AttributeValue::Data2(n)) => entry_pc.checked_add(u64::from(n)),
            Some(AttributeValue::Data4(n)) => entry_pc.checked_add(u64::from(n)),
            Some(AttributeValue::Data8(n)) => entry_pc.checked_add(n),
            Some(v) => self.dwarf.attr_address(unit, v).map_err(gerr)?,
            None => None,
        };
        Ok(end.map(|end| FuncRange {
            entry: entry_pc,
            end,
        }))
    }

    fn static_addr(
        &self,
        unit: &gimli::Unit<R>,
        entry: &gimli::DebuggingInformationEntry<R>,
    ) -> Option<u64> {
        let AttributeValue::Exprloc(expr) = entry.attr_value(gimli::DW_AT_location)? else {
            return None;
        };
        let mut ops = expr.operations(unit.encoding());
        match ops.next().ok()?? {
            gimli::Operation::Address { address } => Some(address),
            gimli::Operation::AddressIndex { index } => self.dwarf.address(unit, index).ok(),
            _ => None,
        }
    }

    /// Run `f` on the DIE at a `.debug_info` offset.
    fn with_entry<T>(
        &self,
        off: UnitSectionOffset,
        f: impl FnOnce(&gimli::Unit<R>, &gimli::DebuggingInformationEntry<R>) -> Result<T>,
    ) -> Result<T> {
        let goff = off;
        // Units are in section order: the last one starting at or before `goff`.
        let pos = self
            .units
            .partition_point(|u| u.header.offset().0 <= goff.0);
        let unit = pos
            .checked_sub(1)
            .and_then(|i| self.units.get(i))
            .ok_or_else(|| Error::Dwarf(format!("no unit holds offset {:#x}", goff.0)))?;
        let uoff = off
            .to_unit_offset(&unit.header)
            .ok_or_else(|| Error::Dwarf(format!("offset {:#x} outside its unit", goff.0)))?;
        let entry = unit.entry(uoff).map_err(gerr)?;
        f(unit, &entry)
    }

    /// Name and byte size of the type at `off`, following typedefs for the size.
    fn type_info(&self, off: UnitSectionOffset) -> Result<(String, u64)> {
        let mut name: Option<String> = None;
        let mut cur = Some(off);
        // Go's typedef chains are short; the bound guards against a reference cycle.
        for _ in 0..16 {
            let Some(o) = cur else { break };
            let (n, size, next) = self.with_entry(o, |unit, e| {
                let n = self.attr_string(unit, e, gimli::DW_AT_name);
                let size = e
                    .attr_value(gimli::DW_AT_byte_size)
                    .and_then(|v| v.udata_value());
                let next = if e.tag() == gimli::DW_TAG_typedef {
                    type_ref(unit, e)
                } else {
                    None
                };
                Ok((n, size, next))
            })?;
            if name.is_none() {
                name = n;
            }
            if let Some(s) = size {
                return Ok((name.unwrap_or_default(), s));
            }
            cur = next;
        }
        Ok((name.unwrap_or_default(), 0))
    }

    /// Address ranges of every function with this exact DWARF name (`main.(*T).M`).
    pub fn function_ranges(&self, name: &str) -> Result<Vec<FuncRange>> {
        Ok(self.index()?.funcs.get(name).cloned().unwrap_or_default())
    }

    /// The names of a function's results, in order: its formal parameters with
    /// `DW_AT_variable_parameter` set, which is how Go's DWARF marks results (`~r0`, or the
    /// names the source gives them). `NotFound` for a function DWARF lacks.
    pub fn result_names(&self, func: &str) -> Result<Vec<String>> {
        let off = *self
            .index()?
            .subprograms
            .get(func)
            .ok_or_else(|| Error::NotFound(format!("no function {func} in DWARF")))?;
        self.with_entry(off, |unit, e| {
            let mut names = Vec::new();
            let mut tree = unit.entries_tree(Some(e.offset())).map_err(gerr)?;
            let root = tree.root().map_err(gerr)?;
            let mut children = root.children();
            while let Some(child) = children.next().map_err(gerr)? {
                let c = child.entry();
                let result = matches!(
                    c.attr_value(gimli::DW_AT_variable_parameter),
                    Some(AttributeValue::Flag(true))
                );
                if c.tag() == gimli::DW_TAG_formal_parameter && result {
                    names.push(
                        self.attr_string(unit, c, gimli::DW_AT_name)
                            .unwrap_or_default(),
                    );
                }
            }
            Ok(names)
        })
    }

    /// Where function `func`'s body starts, as an offset from its entry: before it, its
    /// results are not set yet ([`lines::body_offset`]). `NotFound` for a function DWARF
    /// lacks; None when its line rows do not say.
    pub fn body_offset(&self, func: &str) -> Result<Option<u64>> {
        let missing = || Error::NotFound(format!("no function {func} in DWARF"));
        let ix = self.index()?;
        let off = *ix.subprograms.get(func).ok_or_else(missing)?;
        let range = *ix
            .funcs
            .get(func)
            .and_then(|r| r.first())
            .ok_or_else(missing)?;
        let pos = self.units.partition_point(|u| u.header.offset().0 <= off.0);
        let unit = pos
            .checked_sub(1)
            .and_then(|i| self.units.get(i))
            .ok_or_else(|| Error::Dwarf(format!("no unit holds offset {:#x}", off.0)))?;
        lines::body_offset(unit, range.entry, range.end)
    }

    /// Every function name with a code range in DWARF.
    pub fn function_names(&self) -> Result<Vec<&str>> {
        Ok(self.index()?.funcs.keys().map(String::as_str).collect())
    }

    /// Layout of the named struct type (`runtime.g`, `runtime.gobuf`, `runtime.m`).
    pub fn struct_layout(&self, name: &str) -> Result<StructLayout> {
        let off = *self
            .index()?
            .types
            .get(name)
            .ok_or_else(|| Error::NotFound(format!("no type {name} in DWARF")))?;
        // Follow typedefs to the struct.
        let mut cur = off;
        for _ in 0..16 {
            let (tag, next) = self.with_entry(cur, |unit, e| Ok((e.tag(), type_ref(unit, e))))?;
            if tag == gimli::DW_TAG_structure_type {
                return self.read_struct(name, cur);
            }
            match (tag, next) {
                (gimli::DW_TAG_typedef, Some(n)) => cur = n,
                _ => break,
            }
        }
        Err(Error::NotFound(format!("type {name} is not a struct")))
    }

    /// The member at `path` inside struct `s` (`["wbBuf", "buf"]` in `runtime.p`): its
    /// offset from the start of `s` and its size, each step through the member's struct
    /// type. `NotFound` names the missing step.
    pub fn member(&self, s: &StructLayout, path: &[&str]) -> Result<(u64, u64)> {
        let (mut at, mut size) = (0, s.size);
        let mut inner: Option<StructLayout> = None;
        for (k, name) in path.iter().enumerate() {
            let cur = inner.as_ref().unwrap_or(s);
            let f = cur
                .field(name)
                .ok_or_else(|| Error::NotFound(format!("field {}.{name} in DWARF", cur.name)))?;
            (at, size) = (at + f.offset, f.size);
            if k + 1 < path.len() {
                inner = Some(self.struct_layout(&f.type_name)?);
            }
        }
        Ok((at, size))
    }

    fn read_struct(&self, name: &str, off: UnitSectionOffset) -> Result<StructLayout> {
        let (size, members) = self.with_entry(off, |unit, e| {
            let size = e
                .attr_value(gimli::DW_AT_byte_size)
                .and_then(|v| v.udata_value())
                .unwrap_or(0);
            let mut members = Vec::new();
            let mut tree = unit.entries_tree(Some(e.offset())).map_err(gerr)?;
            let root = tree.root().map_err(gerr)?;
            let mut children = root.children();
            while let Some(child) = children.next().map_err(gerr)? {
                let c = child.entry();
                if c.tag() != gimli::DW_TAG_member {
                    continue;
                }
                let fname = self
                    .attr_string(unit, c, gimli::DW_AT_name)
                    .unwrap_or_default();
                let offset = match c.attr_value(gimli::DW_AT_data_member_location) {
                    Some(AttributeValue::Exprloc(expr)) => {
                        let mut ops = expr.operations(unit.encoding());
                        match ops.next() {
                            Ok(Some(gimli::Operation::PlusConstant { value })) => value,
                            _ => 0,
                        }
                    }
                    Some(v) => v.udata_value().unwrap_or(0),
                    None => 0,
                };
                members.push((fname, offset, type_ref(unit, c)));
            }
            Ok((size, members))
        })?;
        let mut fields = Vec::with_capacity(members.len());
        for (fname, offset, ty) in members {
            let (type_name, size) = match ty {
                Some(t) => self.type_info(t)?,
                None => (String::new(), 0),
            };
            fields.push(Field {
                name: fname,
                offset,
                size,
                type_name,
            });
        }
        Ok(StructLayout {
            name: name.to_string(),
            size,
            fields,
        })
    }

    /// Names of the named types (structs, typedefs, base types), in no particular order.
    pub fn type_names(&self) -> Result<Vec<&str>> {
        Ok(self.index()?.types.keys().map(String::as_str).collect())
    }

    /// Size in bytes of a named type (`runtime.g`, `uint32`), following typedefs.
    pub fn type_size(&self, name: &str) -> Option<u64> {
        let off = *self.index().ok()?.types.get(name)?;
        self.type_info(off).ok().map(|(_, s)| s)
    }

    /// Value of a named constant (`runtime._Grunning`), from DW_TAG_constant.
    pub fn constant(&self, name: &str) -> Option<i64> {
        self.index().ok()?.consts.get(name).map(|c| c.0)
    }

    /// Every constant whose name starts with `prefix` (e.g. `runtime._G`), as (name, value).
    pub fn constants_with_prefix(&self, prefix: &str) -> Vec<(String, i64)> {
        let Ok(ix) = self.index() else {
            return Vec::new();
        };
        ix.consts
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.0))
            .collect()
    }

    /// The constants of the named type `type_name` (`main.Color`): those of its package
    /// (`main.Blue`, not `main.sub.X`) whose DWARF type is that type, as (name, value) in
    /// name order.
    pub fn constants_of_type(&self, type_name: &str) -> Vec<(String, i64)> {
        let Ok(ix) = self.index() else {
            return Vec::new();
        };
        let Some((pkg, _)) = type_name.rsplit_once('.') else {
            return Vec::new();
        };
        let prefix = format!("{pkg}.");
        // Each constant's type DIE is read once per distinct offset (a package's constants
        // share a few types).
        let mut named: HashMap<UnitSectionOffset, bool> = HashMap::new();
        let mut out = Vec::new();
        for (name, (value, ty)) in ix
            .consts
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
        {
            let Some(ty) = ty else { continue };
            if name[prefix.len()..].contains('.') {
                continue; // another package under this prefix
            }
            let same = *named.entry(*ty).or_insert_with(|| {
                self.with_entry(*ty, |unit, e| {
                    Ok(self.attr_string(unit, e, gimli::DW_AT_name).as_deref() == Some(type_name))
                })
                .unwrap_or(false)
            });
            if same {
                out.push((name.clone(), *value));
            }
        }
        out
    }

    /// A global variable by full name (`runtime.allgs`, `runtime.traceback_cache`).
    pub fn variable(&self, name: &str) -> Option<Variable> {
        let v = *self.index().ok()?.vars.get(name)?;
        let (type_name, size) =
            v.ty.and_then(|t| self.type_info(t).ok())
                .unwrap_or_default();
        Some(Variable {
            name: name.to_string(),
            addr: v.addr,
            size,
            type_name,
        })
    }

    /// Every global variable name.
    pub fn variable_names(&self) -> Vec<&str> {
        self.index()
            .map(|ix| ix.vars.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    fn lines(&self) -> Result<&lines::LineIndex> {
        self.lines
            .get_or_init(|| lines::LineIndex::build(&self.dwarf, &self.units))
            .as_ref()
            .map_err(Error::clone)
    }

    /// Statement addresses of `file:line`, `file` matched as a path suffix on `/` boundaries
    /// (`main.go`, `hello/main.go` or the full path). A line without code gives
    /// `Error::NotFound` naming the nearest lines that have code.
    pub fn line_addresses(&self, file: &str, line: u32) -> Result<LineMatch> {
        self.lines()?.lookup(file, line)
    }

    /// Every source file named in the line tables.
    pub fn files(&self) -> Result<Vec<&str>> {
        Ok(self.lines()?.files())
    }
}

/// A `DW_AT_type` reference as a section offset (Go uses `DW_FORM_ref_addr` across units).
fn type_ref(
    unit: &gimli::Unit<R>,
    e: &gimli::DebuggingInformationEntry<R>,
) -> Option<UnitSectionOffset> {
    match e.attr_value(gimli::DW_AT_type)? {
        AttributeValue::UnitRef(o) => Some(o.to_unit_section_offset(&unit.header)),
        AttributeValue::DebugInfoRef(o) => Some(UnitSectionOffset(o.0)),
        _ => None,
    }
}

/// Go's current spelling of a symbol: DWARF of some releases keeps the old middle dot
/// (`type:.eq.runtime.untracedG·4`) where the symbol table has `.`.
fn go_name(name: String) -> String {
    if name.contains('·') {
        name.replace('·', ".")
    } else {
        name
    }
}

/// Tidy a path from the line table: Go records `./x` for relative comp dirs.
fn clean_path(p: &str) -> String {
    p.strip_prefix("./").unwrap_or(p).to_string()
}
