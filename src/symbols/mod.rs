//! The symbol facade: one API over DWARF (when present), the pclntab (always in Go
//! binaries, and the source for functions DWARF lacks) and the ELF `.symtab`.
//!
//! [`Symbols`] is owned (`Arc<Binary>`), `Send + Sync`, and cheap to query: DWARF and the
//! pclntab parse lazily; the merged name index is built on the first name query.
//!
//! Name spellings accepted by [`Symbols::lookup`]: `runtime.breakpoint`, the old
//! `runtime·breakpoint`, `main.(*T).M`, `main.T.M` (also finds the pointer wrapper
//! `main.(*T).M`), generic functions and methods without type arguments or with `[...]`
//! (`pkg.F`, `pkg.(*S).M`, `pkg.F[...]`: every instance) or with them as the source spells
//! them (`pkg.F[int]`: that instance), closures `main.main.func1`, and the `.abi0` suffix
//! (with or without).

mod format;
mod removed;
mod symfile;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use object::{Object, ObjectSymbol};

use crate::binary::Binary;
use crate::dwarf::{Dwarf, LineMatch, StructLayout, Variable};
use crate::error::{Error, Result};
use crate::pclntab::Pclntab;

use format::FrameRef;
pub use format::{format_frames, FrameFormat};

/// What [`Symbols::symbolize_stream`] did with its input.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StreamReport {
    /// Addresses symbolized (one answer each on the output).
    pub symbolized: usize,
    /// Lines that are not a hex address, skipped: (1-based line number, message quoting it).
    pub bad_lines: Vec<(usize, String)>,
}

/// Parse an address the way addr2line does: hex, `0x`/`0X` optional, surrounding ASCII
/// whitespace ignored. The error message quotes the text.
pub fn parse_address(text: &[u8]) -> std::result::Result<u64, String> {
    let t = text.trim_ascii();
    let digits = match t {
        [b'0', b'x' | b'X', rest @ ..] => rest,
        _ => t,
    };
    let shown = || String::from_utf8_lossy(t).into_owned();
    let bad = || format!("bad address {:?}: expected hex like 0x4011c0", shown());
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(bad());
    }
    let mut v: u64 = 0;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            _ => c.to_ascii_lowercase().wrapping_sub(b'a').wrapping_add(10),
        };
        v = v
            .checked_mul(16)
            .and_then(|v| v.checked_add(u64::from(d)))
            .ok_or_else(|| format!("bad address {:?}: more than 64 bits", shown()))?;
    }
    Ok(v)
}

/// One frame at a pc, innermost first (the same type DWARF answers with).
pub use crate::dwarf::Frame;

/// A function found by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncSym {
    /// The function's name as the binary spells it.
    pub name: String,
    /// Entry pc.
    pub entry: u64,
    /// End pc (exclusive; equal to `entry` when the size is unknown).
    pub end: u64,
}

/// Where a symbol came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Dwarf,
    Pclntab,
    Elf,
}

/// Build info and debug-info state, with a one-line hint per problem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    /// Path of the binary.
    pub path: String,
    /// Go version (`go1.24.11`), empty if build info is missing.
    pub go_version: String,
    /// Main package path.
    pub main_path: String,
    /// Main module (path, version).
    pub main_module: Option<(String, String)>,
    /// Build settings (`-gcflags`, `-ldflags`, `GOARCH`, ...).
    pub settings: Vec<(String, String)>,
    /// GOARCH.
    pub arch: String,
    /// Position-independent executable.
    pub pie: bool,
    /// GNU build-id in hex.
    pub build_id: Option<String>,
    /// DWARF sections present.
    pub dwarf: bool,
    /// DWARF sections compressed.
    pub dwarf_compressed: bool,
    /// DWARF version (4 or 5), when it could be read.
    pub dwarf_version: Option<u16>,
    /// Why DWARF could not be read, if it is present but unreadable.
    pub dwarf_error: Option<String>,
    /// The pclntab was read.
    pub pclntab: bool,
    /// Why the pclntab could not be read.
    pub pclntab_error: Option<String>,
    /// Built with optimizations (no `-gcflags=all=-N -l`).
    pub optimized: bool,
    /// Inlining disabled (`-l`).
    pub inlining_disabled: bool,
    /// The ELF symbol table is missing (`-ldflags=-s`).
    pub stripped: bool,
    /// One line per problem, telling what is lost and how to rebuild.
    pub hints: Vec<String>,
}

struct NameIndex {
    /// Name -> (entry, end, source); several entries for duplicate names.
    funcs: HashMap<String, Vec<(u64, u64, Source)>>,
    /// Every name, sorted.
    sorted: Vec<String>,
    /// Names with `[...]` in place of each type-argument list -> the real names (those
    /// with concrete type arguments first).
    generic: HashMap<String, Vec<String>>,
    /// Names without their type-argument lists (`main.(*Stack).Push`) -> the real names,
    /// in the order of `generic`.
    bare: HashMap<String, Vec<String>>,
    /// ELF function symbols sorted by address: (start, end, name), for pc -> name fallback.
    elf_by_addr: Vec<(u64, u64, String)>,
}

/// Symbols of one Go binary.
pub struct Symbols {
    bin: Arc<Binary>,
    dwarf: OnceLock<Result<Arc<Dwarf>>>,
    pcln: OnceLock<Result<Arc<Pclntab>>>,
    names: OnceLock<NameIndex>,
}

impl std::fmt::Debug for Symbols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Symbols").field("bin", &self.bin).finish()
    }
}

impl Symbols {
    /// Open the Go binary at `path`. Errors: unreadable file, not ELF, not a Go binary.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::new(Arc::new(Binary::open(path)?))
    }

    /// Symbols over an already opened binary.
    pub fn new(bin: Arc<Binary>) -> Result<Self> {
        if !bin.is_go() {
            let what = bin
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "input".into());
            return Err(Error::NotGo(format!(
                "{what} has no .go.buildinfo or .gopclntab section"
            )));
        }
        Ok(Symbols {
            bin,
            dwarf: OnceLock::new(),
            pcln: OnceLock::new(),
            names: OnceLock::new(),
        })
    }

    /// The binary.
    pub fn binary(&self) -> &Arc<Binary> {
        &self.bin
    }

    /// The DWARF reader, opened on first use and shared (the goroutine engine and the value
    /// printers use the same one). The error is the one the first attempt gave, kind kept.
    pub fn dwarf(&self) -> Result<Arc<Dwarf>> {
        self.dwarf_result().cloned().map_err(Error::clone)
    }

    fn dwarf_result(&self) -> std::result::Result<&Arc<Dwarf>, &Error> {
        self.dwarf
            .get_or_init(|| Dwarf::new(self.bin.clone()).map(Arc::new))
            .as_ref()
    }

    /// The DWARF reader by reference, when readable.
    fn dw(&self) -> Option<&Dwarf> {
        self.dwarf_result().ok().map(|d| &**d)
    }

    /// The pclntab reader, opened on first use and shared; the error of the first attempt
    /// otherwise.
    pub fn pclntab(&self) -> Result<Arc<Pclntab>> {
        self.pcln_result().cloned().map_err(Error::clone)
    }

    fn pcln_result(&self) -> std::result::Result<&Arc<Pclntab>, &Error> {
        self.pcln
            .get_or_init(|| Pclntab::new(self.bin.clone()).map(Arc::new))
            .as_ref()
    }

    /// The pclntab by reference, when readable.
    fn pc(&self) -> Option<&Pclntab> {
        self.pcln_result().ok().map(|p| &**p)
    }

    /// A symbol file for gdb from the pclntab (function names, files and lines as ELF
    /// symbols and DWARF; see `symfile.rs`), for a 64-bit program without DWARF.
    pub fn symbol_file(&self) -> Result<Vec<u8>> {
        let machine = match self.bin.arch() {
            crate::binary::Arch::Amd64 => 62,
            crate::binary::Arch::Arm64 => 183,
            _ => {
                return Err(Error::NotFound(
                    "a symbol file for this architecture".into(),
                ))
            }
        };
        Ok(symfile::write(&*self.pclntab()?, machine))
    }

    /// Frames at `pc`, innermost (inlined) first. The pclntab first (every Go function is
    /// there, uncompressed and random access; [`Pclntab::frames`] gives each inlined call's
    /// call-site line); DWARF for pcs the pclntab does not cover (cgo/C code); the ELF symbol
    /// table last. `Error::NotFound` when no source knows the pc.
    pub fn frames(&self, pc: u64) -> Result<Vec<Frame>> {
        self.frames_at(pc)
    }

    /// [`Symbols::frames`] of many pcs (a backtrace): one list per pc, empty where unknown.
    pub fn frames_batch(&self, pcs: &[u64]) -> Vec<Vec<Frame>> {
        pcs.iter()
            .map(|pc| self.frames_at(*pc).unwrap_or_default())
            .collect()
    }

    fn frames_at(&self, pc: u64) -> Result<Vec<Frame>> {
        if let Some(frames) = self.pclntab_frames(pc) {
            return Ok(frames);
        }
        let mut dwarf_frames: Vec<Frame> = Vec::new();
        if let Some(d) = self.dw() {
            // A damaged unit is not the end: the symbol table still knows the pc.
            dwarf_frames = d.frames(pc).unwrap_or_default();
            if !dwarf_frames.is_empty() && dwarf_frames.iter().all(|f| f.function != "?") {
                return Ok(dwarf_frames);
            }
        }
        // Name a nameless DWARF frame (or a bare pc) from the ELF symbol table.
        if let Some(name) = self.elf_name_for_pc(pc) {
            if let Some(last) = dwarf_frames.last_mut() {
                last.function = name;
                return Ok(dwarf_frames);
            }
            return Ok(vec![Frame {
                function: name,
                file: String::new(),
                line: 0,
                inlined: false,
            }]);
        }
        if !dwarf_frames.is_empty() {
            return Ok(dwarf_frames);
        }
        Err(Error::NotFound(format!("no function contains {pc:#x}")))
    }

    /// The pclntab's frames at `pc`; `None` if no pclntab function (with a readable name)
    /// contains it.
    fn pclntab_frames(&self, pc: u64) -> Option<Vec<Frame>> {
        let p = self.pc()?;
        let f = p.func_for_pc(pc)?;
        let frames = p.frames(&f, pc);
        if frames.last().is_none_or(|fr| fr.name.is_empty()) {
            return None;
        }
        Some(
            frames
                .into_iter()
                .map(|fr| Frame {
                    function: fr.name.to_string(),
                    file: fr.file.unwrap_or_default().to_string(),
                    line: fr.line,
                    inlined: fr.inlined,
                })
                .collect(),
        )
    }

    /// Append the formatted lines of `pc` to `out` (each ended by `\n`). Go pcs are
    /// formatted straight from the pclntab, without building [`Frame`]s; without `inlines`
    /// the inline tree is not walked at all (the text names the physical function and the
    /// innermost position).
    pub fn write_symbolized(&self, pc: u64, fmt: FrameFormat, out: &mut String) {
        if let Some(p) = self.pc() {
            if let Some(f) = p.func_for_pc(pc) {
                if !fmt.inlines && !fmt.json {
                    let name = p.name(&f);
                    if !name.is_empty() {
                        if fmt.addresses {
                            let _ = writeln!(out, "{pc:#x}");
                        }
                        let (file, line) = p.file_line(&f, pc).unwrap_or(("", 0));
                        format::write_text(out, name, file, line);
                        return;
                    }
                } else {
                    let frames = p.frames(&f, pc);
                    if frames.last().is_some_and(|fr| !fr.name.is_empty()) {
                        let refs: Vec<FrameRef<'_>> = frames
                            .iter()
                            .map(|fr| FrameRef {
                                function: fr.name,
                                file: fr.file.unwrap_or(""),
                                line: fr.line,
                                inlined: fr.inlined,
                            })
                            .collect();
                        format::write_frames(pc, &refs, fmt, out);
                        return;
                    }
                }
            }
        }
        let frames = self.frames(pc).unwrap_or_default();
        let refs: Vec<FrameRef<'_>> = frames.iter().map(FrameRef::from).collect();
        format::write_frames(pc, &refs, fmt, out);
    }

    /// `wslgo symbolize` over a stream: one hex address per line of `input` (`0x` optional,
    /// blank lines skipped), the formatted lines written to `output` in chunks of ~64 KiB as
    /// they are made. No per-pc allocation on the pclntab path. A line that is not an
    /// address gets no answer and is listed in the report; the lines after it are still
    /// symbolized. Only a failing `output` stops the stream.
    pub fn symbolize_stream(
        &self,
        input: &[u8],
        output: &mut dyn std::io::Write,
        fmt: FrameFormat,
    ) -> std::io::Result<StreamReport> {
        const CHUNK: usize = 1 << 16;
        let mut report = StreamReport::default();
        let mut buf = String::with_capacity(CHUNK + 4096);
        for (i, line) in input.split(|&b| b == b'\n').enumerate() {
            if line.trim_ascii().is_empty() {
                continue;
            }
            match parse_address(line) {
                Ok(pc) => {
                    self.write_symbolized(pc, fmt, &mut buf);
                    report.symbolized += 1;
                }
                Err(m) => report.bad_lines.push((i + 1, m)),
            }
            if buf.len() >= CHUNK {
                output.write_all(buf.as_bytes())?;
                buf.clear();
            }
        }
        output.write_all(buf.as_bytes())?;
        Ok(report)
    }

    fn elf_name_for_pc(&self, pc: u64) -> Option<String> {
        let v = &self.names().elf_by_addr;
        let i = v.partition_point(|(s, _, _)| *s <= pc).checked_sub(1)?;
        let (s, e, n) = v.get(i)?;
        (pc >= *s && pc < *e).then(|| n.clone())
    }

    fn names(&self) -> &NameIndex {
        self.names.get_or_init(|| self.build_names())
    }

    fn build_names(&self) -> NameIndex {
        let mut funcs: HashMap<String, Vec<(u64, u64, Source)>> = HashMap::new();
        let mut add = |name: &str, entry: u64, end: u64, src: Source| {
            let v = funcs.entry(name.to_string()).or_default();
            if !v.iter().any(|(e, _, _)| *e == entry) {
                v.push((entry, end, src));
            }
        };
        // Every Go function is in the pclntab, and .symtab spells generic instances in full
        // (the pclntab says `F[...]`): the DWARF pass is only needed when one is missing.
        let need_dwarf = self.pc().is_none() || !self.bin.has_symtab();
        if let Some(d) = need_dwarf.then(|| self.dw()).flatten() {
            if let Ok(names) = d.function_names() {
                for n in names {
                    for r in d.function_ranges(n).unwrap_or_default() {
                        add(n, r.entry, r.end, Source::Dwarf);
                    }
                }
            }
        }
        if let Some(p) = self.pc() {
            for f in p.funcs() {
                if let Some(n) = p.try_name(&f) {
                    add(n, f.entry, f.end, Source::Pclntab);
                }
            }
        }
        let mut elf_by_addr = Vec::new();
        if let Ok(obj) = self.bin.object() {
            for sym in obj.symbols() {
                if sym.kind() != object::SymbolKind::Text || sym.is_undefined() {
                    continue;
                }
                let Ok(n) = sym.name() else { continue };
                if n.is_empty() {
                    continue;
                }
                let end = sym.address().saturating_add(sym.size());
                add(n, sym.address(), end, Source::Elf);
                // Zero-size markers (runtime.etext) name no code.
                if sym.size() > 0 {
                    elf_by_addr.push((sym.address(), end, n.to_string()));
                }
            }
        }
        elf_by_addr.sort();
        for v in funcs.values_mut() {
            v.sort_by_key(|(e, _, _)| *e);
        }
        let mut sorted: Vec<String> = funcs.keys().cloned().collect();
        sorted.sort();
        let mut generic: HashMap<String, Vec<String>> = HashMap::new();
        let mut bare: HashMap<String, Vec<String>> = HashMap::new();
        // Instances with concrete type arguments (from .symtab or DWARF) before the
        // pclntab's `F[...]`, so that lookups report the telling name for each entry.
        let mut instances: Vec<&String> = sorted.iter().filter(|n| n.contains('[')).collect();
        instances.sort_by_key(|n| n.contains("[...]"));
        for n in instances {
            let erased = erase_type_args(n);
            bare.entry(erased.replace("[...]", ""))
                .or_default()
                .push(n.clone());
            generic.entry(erased).or_default().push(n.clone());
        }
        NameIndex {
            funcs,
            sorted,
            generic,
            bare,
            elf_by_addr,
        }
    }

    /// Functions matching a Go name in any accepted spelling (see the module docs), sorted by
    /// entry. A generic function or method named without type arguments (`main.Sum`,
    /// `main.(*Stack).Push`) or with `[...]` matches every instance; with type arguments
    /// in source spelling (`main.Sum[int]`) the instance of that shape. `Error::NotFound`
    /// if none, naming the instances that exist when only the type arguments differ.
    pub fn lookup(&self, name: &str) -> Result<Vec<FuncSym>> {
        let ix = self.names();
        let mut out: Vec<FuncSym> = Vec::new();
        let push = |out: &mut Vec<FuncSym>, n: &str| {
            if let Some(v) = ix.funcs.get(n) {
                for (entry, end, _) in v {
                    if !out.iter().any(|f| f.entry == *entry) {
                        out.push(FuncSym {
                            name: n.to_string(),
                            entry: *entry,
                            end: *end,
                        });
                    }
                }
            }
        };
        let cands = candidates(name);
        for cand in &cands {
            if cand.contains("[...]") {
                for n in ix.generic.get(cand).into_iter().flatten() {
                    push(&mut out, n);
                }
            } else {
                push(&mut out, cand);
            }
        }
        if out.is_empty() && !name.contains('[') {
            for cand in &cands {
                for n in ix.bare.get(cand).into_iter().flatten() {
                    push(&mut out, n);
                }
            }
        }
        // `main.Sum[int]` (source spelling) names the instance `main.Sum[go.shape.int]`.
        if out.is_empty() && name.contains('[') {
            let mut known: Vec<String> = Vec::new();
            for cand in &cands {
                let wanted = source_spelling(cand);
                for n in ix.generic.get(&erase_type_args(cand)).into_iter().flatten() {
                    if n.contains("[...]") {
                        continue;
                    }
                    let spelled = source_spelling(n);
                    if spelled == wanted {
                        push(&mut out, n);
                    } else if !known.contains(&spelled) {
                        known.push(spelled);
                    }
                }
            }
            if out.is_empty() && !known.is_empty() {
                return Err(Error::NotFound(format!(
                    "no instance {name}; the binary has {}",
                    known.join(", ")
                )));
            }
            // Only `F[...]` (no .symtab, no DWARF): the type arguments are unknown, so
            // every instance may be the one.
            if out.is_empty() {
                for cand in &cands {
                    for n in ix.generic.get(&erase_type_args(cand)).into_iter().flatten() {
                        push(&mut out, n);
                    }
                }
            }
        }
        if out.is_empty() {
            return Err(Error::NotFound(format!("no function named {name}")));
        }
        out.sort_by_key(|f| f.entry);
        Ok(out)
    }

    /// Function names containing `pattern` (or matching it as a regex), sorted.
    pub fn search(&self, pattern: &str, regex: bool) -> Result<Vec<String>> {
        let ix = self.names();
        if regex {
            let re = regex::Regex::new(pattern)
                .map_err(|e| Error::NotFound(format!("bad regex {pattern:?}: {e}")))?;
            Ok(ix
                .sorted
                .iter()
                .filter(|n| re.is_match(n))
                .cloned()
                .collect())
        } else {
            let p = normalize(pattern);
            Ok(ix
                .sorted
                .iter()
                .filter(|n| n.contains(p.as_str()))
                .cloned()
                .collect())
        }
    }

    /// Statement addresses of `file:line` (file matched as a path suffix). Needs DWARF.
    /// A line without code: `Error::NotFound` "no code at F:L; nearest lines with code
    /// are A, B".
    /// Without DWARF the pclntab answers: the pcs where the line begins (no is_stmt there,
    /// so every change to the line counts), in functions whose entry lies in the file.
    pub fn line_addresses(&self, file: &str, line: u32) -> Result<LineMatch> {
        match self.dwarf_result() {
            Ok(d) => d.line_addresses(file, line),
            Err(e) => match self.pc() {
                Some(p) => pclntab_line_addresses(p, file, line),
                None => Err(Error::Unsupported(format!(
                    "file:line lookup needs DWARF or the pclntab ({e})"
                ))),
            },
        }
    }

    /// A global variable: from DWARF (with type), else the ELF symbol table (no type).
    pub fn variable(&self, name: &str) -> Result<Variable> {
        let name = normalize(name);
        if let Some(v) = self.dw().and_then(|d| d.variable(&name)) {
            return Ok(v);
        }
        if let Some(s) = self.bin.elf_symbol(&name) {
            if !s.is_func {
                return Ok(Variable {
                    name: name.clone(),
                    addr: s.addr,
                    size: s.size,
                    type_name: String::new(),
                });
            }
        }
        if let Some(l) = self.located(&name) {
            return Ok(Variable {
                name: name.clone(),
                addr: l.addr,
                size: l.size,
                type_name: String::new(),
            });
        }
        Err(Error::NotFound(format!("no variable named {name}")))
    }

    /// A runtime variable found from the code and data when neither DWARF nor the ELF
    /// symbol table names it (stripped binaries); see [`crate::disasm`].
    pub fn located(&self, name: &str) -> Option<crate::disasm::Located> {
        if !crate::disasm::LOCATABLE.contains(&name) {
            return None;
        }
        crate::disasm::locate(&self.bin, self.pc()?, name)
    }

    /// Struct layout from DWARF.
    pub fn struct_layout(&self, name: &str) -> Result<StructLayout> {
        match self.dwarf_result() {
            Ok(d) => d.struct_layout(&normalize(name)),
            Err(e) => Err(Error::NotFound(format!("no type {name}: {e}"))),
        }
    }

    /// The names of function `func`'s results, in order ([`Dwarf::result_names`]).
    pub fn result_names(&self, func: &str) -> Result<Vec<String>> {
        self.dwarf_result()
            .map_err(Error::clone)?
            .result_names(&normalize(func))
    }

    /// Where function `func`'s body starts, as an offset from its entry
    /// ([`Dwarf::body_offset`]): its results are not set before it.
    pub fn body_offset(&self, func: &str) -> Result<Option<u64>> {
        self.dwarf_result()
            .map_err(Error::clone)?
            .body_offset(&normalize(func))
    }

    /// A DWARF constant (`runtime._Grunning`).
    pub fn constant(&self, name: &str) -> Option<i64> {
        self.dw()?.constant(&normalize(name))
    }

    /// DWARF constants whose name starts with `prefix`.
    pub fn constants_with_prefix(&self, prefix: &str) -> Vec<(String, i64)> {
        self.dw()
            .map(|d| d.constants_with_prefix(prefix))
            .unwrap_or_default()
    }

    /// DWARF constants of the named type `type_name` (`main.Color`), in name order.
    pub fn constants_of_type(&self, type_name: &str) -> Vec<(String, i64)> {
        self.dw()
            .map(|d| d.constants_of_type(type_name))
            .unwrap_or_default()
    }

    /// Symbolize many pcs at once, formatted as text lines (addr2line style) or JSON lines.
    pub fn symbolize(&self, pcs: &[u64], fmt: FrameFormat) -> Vec<String> {
        let mut out = Vec::with_capacity(pcs.len() * 2);
        let mut s = String::new();
        for &pc in pcs {
            s.clear();
            self.write_symbolized(pc, fmt, &mut s);
            out.extend(s.lines().map(str::to_string));
        }
        out
    }

    /// Build info and debug-info state, with hints.
    pub fn info(&self) -> Info {
        let bin = &self.bin;
        let mut info = Info {
            path: bin
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            arch: bin.arch().goarch().to_string(),
            pie: bin.is_pie(),
            build_id: bin.build_id_hex(),
            dwarf: bin.has_dwarf(),
            dwarf_compressed: bin.dwarf_compressed(),
            stripped: !bin.has_symtab(),
            ..Default::default()
        };
        let mut hints = Vec::new();
        let mut ldflags: Option<String> = None;
        match bin.build_info() {
            Ok(bi) => {
                ldflags = Some(bi.setting("-ldflags").unwrap_or("").to_string());
                let gc = bi.setting("-gcflags").unwrap_or("");
                let flags: Vec<&str> = gc.split([' ', '=', '"', '\'']).collect();
                let no_opt = flags.contains(&"-N");
                info.inlining_disabled = flags.contains(&"-l");
                info.optimized = !no_opt;
                info.go_version = bi.go_version;
                info.main_path = bi.path;
                info.main_module = bi.main_module;
                info.settings = bi.settings;
            }
            Err(e) => {
                info.optimized = true;
                hints.push(format!("no Go build info ({e}): version and flags unknown"));
            }
        }
        if info.dwarf {
            match self.dwarf_result() {
                Ok(d) => info.dwarf_version = Some(d.version()),
                Err(e) => {
                    info.dwarf_error = Some(e.to_string());
                    hints.push(format!(
                        "DWARF present but unreadable ({e}): using the pclntab for names and lines"
                    ));
                }
            }
        } else {
            hints.push(removed::no_dwarf_hint(bin, ldflags.as_deref()));
        }
        match self.pcln_result() {
            Ok(_) => info.pclntab = true,
            Err(e) => info.pclntab_error = Some(e.to_string()),
        }
        if info.stripped {
            let found: Vec<&str> = crate::disasm::LOCATABLE
                .iter()
                .copied()
                .filter(|n| self.located(n).is_some())
                .collect();
            let works = if found.contains(&"runtime.allgs") {
                format!(
                    "goroutines, stacks, the Go breakpoint and traceback still work ({} found from the runtime's code)",
                    found.join(", ")
                )
            } else {
                "runtime.allgs not found from the runtime's code: no goroutine list".into()
            };
            let cause = removed::no_symtab_cause(ldflags.as_deref());
            hints.push(format!(
                "{cause}: no ELF symbol table, gdb cannot find globals by name; {works}; rebuild without -s or give the unstripped copy (--symbols)"
            ));
        }
        if info.optimized {
            hints.push(
                "optimized build: variables may be <optimized out>; build with -gcflags=all=-N -l"
                    .into(),
            );
        }
        info.hints = hints;
        info
    }
}

/// file:line -> pcs from the pclntab alone: scan, pc by pc, the functions whose entry is in
/// a matching file (inlined copies elsewhere are not found).
fn pclntab_line_addresses(p: &Pclntab, file: &str, line: u32) -> Result<LineMatch> {
    let query = crate::dwarf::normalize_query(file);
    let step = u64::from(p.quantum().max(1));
    let mut matched: Option<String> = None;
    let mut addrs = Vec::new();
    let (mut before, mut after): (Option<u32>, Option<u32>) = (None, None);
    let mut shown: Option<String> = None;
    for f in p.funcs() {
        let Some((entry_file, _)) = p.file_line(&f, f.entry) else {
            continue;
        };
        if !crate::dwarf::path_matches(entry_file, &query) {
            continue;
        }
        shown.get_or_insert_with(|| entry_file.to_string());
        let mut prev: Option<u32> = None;
        let mut pc = f.entry;
        while pc < f.end {
            if let Some((fname, l)) = p.file_line(&f, pc) {
                if fname == entry_file && l > 0 {
                    if l == line && prev != Some(l) {
                        addrs.push(pc);
                        matched.get_or_insert_with(|| fname.to_string());
                    } else if l < line {
                        before = Some(before.map_or(l, |b| b.max(l)));
                    } else if l > line {
                        after = Some(after.map_or(l, |a| a.min(l)));
                    }
                    prev = Some(l);
                } else {
                    prev = None;
                }
            }
            pc = match pc.checked_add(step) {
                Some(n) => n,
                None => break,
            };
        }
    }
    let Some(shown) = shown else {
        return Err(Error::NotFound(format!("no source file matches {file}")));
    };
    match matched {
        Some(path) => {
            addrs.sort_unstable();
            addrs.dedup();
            Ok(LineMatch {
                file: path,
                line,
                addrs,
            })
        }
        None => Err(crate::dwarf::no_code_error(&shown, line, before, after)),
    }
}

/// Fold the old middle-dot spelling and the Unicode division slash into Go's current names.
fn normalize(name: &str) -> String {
    name.trim().replace('·', ".").replace('∕', "/")
}

/// Replace every bracketed type-argument list with `[...]`, brackets balanced.
fn erase_type_args(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '[' => {
                if depth == 0 {
                    out.push_str("[...]");
                }
                depth += 1;
            }
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// A function name as Go source spells its type arguments: the compiler's shape prefix
/// removed (`main.Sum[go.shape.int]` -> `main.Sum[int]`), no spaces.
fn source_spelling(name: &str) -> String {
    name.replace("go.shape.", "").replace(' ', "")
}

/// Split at top-level dots (not inside brackets or parentheses), after the last `/`.
fn split_last_path_elem(name: &str) -> (&str, Vec<&str>) {
    let start = name.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (dir, tail) = name.split_at(start);
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut last = 0;
    for (i, c) in tail.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            '.' if depth == 0 => {
                parts.push(&tail[last..i]);
                last = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tail[last..]);
    (dir, parts)
}

/// Every exact name to try for a user's spelling.
fn candidates(name: &str) -> Vec<String> {
    let mut name = normalize(name);
    for suffix in [".abi0", ".abiinternal"] {
        if let Some(s) = name.strip_suffix(suffix) {
            name = s.to_string();
        }
    }
    // A query with concrete type arguments matches that instance; `[...]` matches all.
    let mut out = Vec::new();
    {
        let b = name;
        // Value receiver `pkg.T.M`: also the pointer wrapper `pkg.(*T).M`.
        let (dir, parts) = split_last_path_elem(&b);
        let wrapper = if parts.len() >= 3 && parts.get(1).is_some_and(|t| !t.starts_with('(')) {
            let pkg = parts.first().copied().unwrap_or("");
            let ty = parts.get(1).copied().unwrap_or("");
            let rest = parts.get(2..).unwrap_or(&[]).join(".");
            Some(format!("{dir}{pkg}.(*{ty}).{rest}"))
        } else {
            None
        };
        out.push(b.clone());
        out.push(format!("{b}.abi0"));
        out.extend(wrapper);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facade_and_dwarf_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Symbols>();
        check::<Dwarf>();
    }

    #[test]
    fn type_args_are_erased_with_nesting() {
        assert_eq!(
            erase_type_args("main.Map[go.shape.[]int,go.shape.string].func1"),
            "main.Map[...].func1"
        );
        assert_eq!(
            erase_type_args("main.(*List[go.shape.int]).Push"),
            "main.(*List[...]).Push"
        );
    }

    #[test]
    fn addresses_parse_like_addr2line() {
        assert_eq!(parse_address(b" 0x4011c0\r"), Ok(0x4011c0));
        assert_eq!(parse_address(b"4011C0"), Ok(0x4011c0));
        assert_eq!(parse_address(b"0XfFfFfFfFfFfFfFfF"), Ok(u64::MAX));
        assert_eq!(parse_address(b"00000000000000000001"), Ok(1));
        let e = parse_address(b"0x1_0").unwrap_err();
        assert!(e.contains("bad address \"0x1_0\""), "{e}");
        assert!(parse_address(b"0x").is_err() && parse_address(b"-1").is_err());
        let e = parse_address(b"0x10000000000000000").unwrap_err();
        assert!(e.contains("more than 64 bits"), "{e}");
        let e = parse_address(b"fffffffffffffffffz").unwrap_err();
        assert!(e.contains("expected hex"), "{e}");
    }

    #[test]
    fn candidates_cover_spellings() {
        let c = candidates("runtime·breakpoint.abi0");
        assert!(c.contains(&"runtime.breakpoint".to_string()), "{c:?}");
        assert!(c.contains(&"runtime.breakpoint.abi0".to_string()), "{c:?}");
        let c = candidates("example.com/x/pkg.T.M");
        assert!(c.contains(&"example.com/x/pkg.(*T).M".to_string()), "{c:?}");
        let c = candidates("main.(*T).M");
        assert!(!c.iter().any(|n| n.contains("(*(*")), "{c:?}");
    }
}
