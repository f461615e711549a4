//! Opening a Go binary: the ELF file mapped with memmap2 and read with `object`.
//!
//! [`Binary`] owns the bytes (a read-only mmap, or a `Vec` for tests and fuzzing) and a small
//! owned table of sections, so other modules can borrow section data without re-parsing the
//! ELF header. Decompression (SHF_COMPRESSED zlib, legacy `.zdebug_*`) is done by `object`.

mod buildinfo;

pub use buildinfo::BuildInfo;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::OnceLock;

use object::{Object, ObjectKind, ObjectSection, ObjectSegment, ObjectSymbol};

use crate::error::{Error, Result};

/// CPU architecture of a binary, as far as wslgo cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// x86-64 (amd64).
    Amd64,
    /// AArch64 (arm64).
    Arm64,
    /// 32-bit x86 (386).
    I386,
    /// Anything else: symbol lookups work, goroutine unwinding does not.
    Other,
}

impl Arch {
    /// Go's GOARCH spelling.
    pub fn goarch(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
            Arch::I386 => "386",
            Arch::Other => "unknown",
        }
    }
}

/// One ELF section, copied out of the section header table.
#[derive(Debug, Clone)]
pub struct Section {
    /// Section name, e.g. `.gopclntab` or `.zdebug_info`.
    pub name: String,
    /// Virtual address (0 for non-allocated sections such as DWARF).
    pub addr: u64,
    /// Size in memory (uncompressed size for compressed sections).
    pub size: u64,
    /// File offset and size of the bytes as stored, if the section has file data.
    pub file_range: Option<(u64, u64)>,
    /// True when the stored bytes are compressed (SHF_COMPRESSED or `.zdebug_*`).
    pub compressed: bool,
}

/// A loadable segment (PT_LOAD), used to serve file-backed memory for core files.
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    /// Virtual address of the segment (unrelocated).
    pub addr: u64,
    /// Size in memory.
    pub size: u64,
    /// File offset and size of the bytes in the file.
    pub file_range: (u64, u64),
}

/// The most a compressed section can expand (deflate's limit is 1032:1; zstd's is similar).
const MAX_EXPANSION: u64 = 1100;

enum Backing {
    Mmap(memmap2::Mmap),
    Owned(Vec<u8>),
}

/// What kind of file `meta` describes, as a noun phrase ("a FIFO"); `None` for a regular file.
fn odd_file_kind(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    Some(if t.is_file() {
        return None;
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    })
}

/// Open `path` for reading only if it is a regular file; anything else (directory, FIFO,
/// device, socket) is refused at once with a message naming what it is and what was
/// expected (`what`, e.g. "an ELF file"). The type is checked before opening, and the
/// open itself does not block (O_NONBLOCK, re-checked with fstat), so a FIFO never hangs.
pub fn open_regular(path: &Path, what: &str) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| Error::io(path, source);
    let refuse = |kind: &str| Error::NotAFile(format!("{} is {kind}, not {what}", path.display()));
    if let Some(kind) = odd_file_kind(&std::fs::metadata(path).map_err(io)?) {
        return Err(refuse(kind));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(io)?;
    if let Some(kind) = odd_file_kind(&file.metadata().map_err(io)?) {
        return Err(refuse(kind));
    }
    Ok(file)
}

/// How long an ELF file must be, from its own headers: the end of the program and section
/// header tables and of every segment and section with file data. `None` when the ELF
/// header itself is unreadable (then `object` names the problem).
fn elf_extent(data: &[u8]) -> Option<u64> {
    match data.get(4) {
        Some(&1) => extent_of::<object::elf::FileHeader32<object::Endianness>>(data),
        Some(&2) => extent_of::<object::elf::FileHeader64<object::Endianness>>(data),
        _ => None,
    }
}

fn extent_of<H: object::read::elf::FileHeader<Endian = object::Endianness>>(
    data: &[u8],
) -> Option<u64> {
    use object::read::elf::{ProgramHeader, SectionHeader};
    let hdr = H::parse(data).ok()?;
    let e = hdr.endian().ok()?;
    let table = |off: u64, n: u16, size: u16| off.saturating_add(u64::from(n) * u64::from(size));
    let mut end = table(hdr.e_phoff(e).into(), hdr.e_phnum(e), hdr.e_phentsize(e));
    if hdr.e_shoff(e).into() != 0 {
        end = end.max(table(
            hdr.e_shoff(e).into(),
            hdr.e_shnum(e),
            hdr.e_shentsize(e),
        ));
    }
    if let Ok(phs) = hdr.program_headers(e, data) {
        for ph in phs {
            let (off, size): (u64, u64) = (ph.p_offset(e).into(), ph.p_filesz(e).into());
            end = end.max(off.saturating_add(size));
        }
    }
    if let Ok(shs) = hdr.section_headers(e, data) {
        for sh in shs {
            if sh.sh_type(e) != object::elf::SHT_NOBITS {
                let (off, size): (u64, u64) = (sh.sh_offset(e).into(), sh.sh_size(e).into());
                end = end.max(off.saturating_add(size));
            }
        }
    }
    Some(end)
}

/// An opened ELF binary.
pub struct Binary {
    path: Option<PathBuf>,
    backing: Backing,
    arch: Arch,
    pie: bool,
    little_endian: bool,
    is_64: bool,
    entry: u64,
    build_id: Option<Vec<u8>>,
    sections: Vec<Section>,
    segments: Vec<Segment>,
    symtab: OnceLock<HashMap<String, ElfSymbol>>,
    symtab_lookups: AtomicU32,
}

/// An ELF symbol-table entry (from .symtab; absent in `-ldflags=-s` builds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElfSymbol {
    /// Address (unrelocated).
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// True for functions (STT_FUNC), false for data.
    pub is_func: bool,
}

impl std::fmt::Debug for Binary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binary")
            .field("path", &self.path)
            .field("arch", &self.arch)
            .field("pie", &self.pie)
            .field("sections", &self.sections.len())
            .finish()
    }
}

/// How many [`Binary`] values this process has parsed (files and byte buffers).
static PARSED: AtomicUsize = AtomicUsize::new(0);

/// How many binaries this process has parsed so far: the gdb layer's tests use it to check
/// that one program is opened once per session.
pub fn binaries_opened() -> usize {
    PARSED.load(Ordering::Relaxed)
}

impl Binary {
    /// Map and parse the ELF file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let io = |source| Error::io(path, source);
        let file = open_regular(path, "an ELF file")?;
        // SAFETY: the map is read-only; a file truncated under us can raise SIGBUS, which is
        // the accepted risk of every mmap-based debugger (addr2line, gdb, delve do the same).
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        Self::parse(Some(path.to_path_buf()), Backing::Mmap(map))
    }

    /// Parse an ELF image held in memory (tests, fuzzing, binaries read from elsewhere).
    pub fn from_bytes(data: Vec<u8>) -> Result<Self> {
        Self::parse(None, Backing::Owned(data))
    }

    fn parse(path: Option<PathBuf>, backing: Backing) -> Result<Self> {
        PARSED.fetch_add(1, Ordering::Relaxed);
        let data: &[u8] = match &backing {
            Backing::Mmap(m) => m,
            Backing::Owned(v) => v,
        };
        if let Some(needed) = elf_extent(data).filter(|&n| n > data.len() as u64) {
            let name = path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "the ELF image".into());
            return Err(Error::corrupt(
                "ELF file",
                format!("{name} is truncated at byte {} of {needed}", data.len()),
            ));
        }
        let obj = object::File::parse(data).map_err(|e| Error::BadElf(e.to_string()))?;
        if obj.format() != object::BinaryFormat::Elf {
            return Err(Error::BadElf(format!(
                "{:?} files are not supported",
                obj.format()
            )));
        }
        let arch = match obj.architecture() {
            object::Architecture::X86_64 => Arch::Amd64,
            object::Architecture::Aarch64 => Arch::Arm64,
            object::Architecture::I386 => Arch::I386,
            _ => Arch::Other,
        };
        let mut sections = Vec::new();
        for s in obj.sections() {
            let name = s.name().unwrap_or("").to_string();
            let file_range = s.file_range();
            let compressed = s
                .compressed_file_range()
                .map(|c| c.format != object::CompressionFormat::None)
                .unwrap_or(false);
            // The uncompressed size only for compressed sections: for the others it is
            // their size in the file, 0 for a NOBITS section such as .bss.
            let size = match s.compressed_file_range() {
                Ok(c) if compressed => c.uncompressed_size,
                _ => s.size(),
            };
            sections.push(Section {
                name,
                addr: s.address(),
                size,
                file_range,
                compressed,
            });
        }
        let segments = obj
            .segments()
            .map(|s| Segment {
                addr: s.address(),
                size: s.size(),
                file_range: s.file_range(),
            })
            .collect();
        let build_id = obj.build_id().ok().flatten().map(<[u8]>::to_vec);
        let pie = obj.kind() == ObjectKind::Dynamic;
        let little_endian = obj.is_little_endian();
        let is_64 = obj.is_64();
        let entry = obj.entry();
        Ok(Binary {
            path,
            backing,
            arch,
            pie,
            little_endian,
            is_64,
            entry,
            build_id,
            sections,
            segments,
            symtab: OnceLock::new(),
            symtab_lookups: AtomicU32::new(0),
        })
    }

    /// The whole file's bytes.
    pub fn data(&self) -> &[u8] {
        match &self.backing {
            Backing::Mmap(m) => m,
            Backing::Owned(v) => v,
        }
    }

    /// Re-parse the ELF with `object` (cheap: headers only) for callers that need its API.
    pub fn object(&self) -> Result<object::File<'_>> {
        object::File::parse(self.data()).map_err(|e| Error::BadElf(e.to_string()))
    }

    /// The path the binary was opened from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// CPU architecture.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// True for position-independent executables (ET_DYN): addresses move by a load bias.
    pub fn is_pie(&self) -> bool {
        self.pie
    }

    /// True for little-endian files.
    pub fn is_little_endian(&self) -> bool {
        self.little_endian
    }

    /// Pointer size in bytes (8 or 4).
    pub fn ptr_size(&self) -> usize {
        if self.is_64 {
            8
        } else {
            4
        }
    }

    /// ELF entry point (unrelocated).
    pub fn entry(&self) -> u64 {
        self.entry
    }

    /// The GNU build-id note, if present.
    pub fn build_id(&self) -> Option<&[u8]> {
        self.build_id.as_deref()
    }

    /// The build-id as lowercase hex, if present.
    pub fn build_id_hex(&self) -> Option<String> {
        self.build_id
            .as_ref()
            .map(|b| b.iter().map(|x| format!("{x:02x}")).collect())
    }

    /// The Go build id (`actionID/.../contentID`) from the `.note.go.buildid` note (name
    /// `Go`, type 4), which the Go linker writes into every ELF binary and `strip` keeps.
    pub fn go_build_id(&self) -> Option<String> {
        let data = self.section_data(".note.go.buildid").ok()??;
        let u32_at = |at: usize| -> Option<u32> {
            let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
            Some(if self.little_endian {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            })
        };
        let namesz = usize::try_from(u32_at(0)?).ok()?;
        let descsz = usize::try_from(u32_at(4)?).ok()?;
        let name = data.get(12..12usize.checked_add(namesz)?)?;
        if u32_at(8)? != 4 || !name.starts_with(b"Go\0") {
            return None;
        }
        let start = 12 + namesz.div_ceil(4) * 4;
        let desc = data.get(start..start.checked_add(descsz)?)?;
        let text = std::str::from_utf8(desc).ok()?.trim_end_matches('\0');
        (!text.is_empty()).then(|| text.to_string())
    }

    /// Every section, in header order.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// Loadable segments (PT_LOAD).
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The first section with this exact name.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The bytes of a section as stored in the file (possibly compressed), if it has any.
    pub fn section_raw(&self, name: &str) -> Option<&[u8]> {
        let (off, len) = self.section(name)?.file_range?;
        let start = usize::try_from(off).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.data().get(start..end)
    }

    /// The (decompressed) bytes of a section; `Ok(None)` if there is no such section.
    /// `.debug_*` names also find the legacy `.zdebug_*` spelling.
    pub fn section_data(&self, name: &str) -> Result<Option<Cow<'_, [u8]>>> {
        let obj = self.object()?;
        let Some(sec) = obj.section_by_name(name) else {
            return Ok(None);
        };
        // A corrupt header can claim any uncompressed size; `object` would try to reserve
        // it before inflating. zlib and zstd cannot expand more than ~1032x, so a larger
        // claim is a lie (found by fuzzing elf_open: a 576 PB claim).
        if let Ok(c) = sec.compressed_file_range() {
            if c.format != object::CompressionFormat::None
                && c.uncompressed_size > c.compressed_size.saturating_mul(MAX_EXPANSION).max(4096)
            {
                return Err(Error::corrupt(
                    "section",
                    format!(
                        "{name}: claims {} bytes uncompressed from {} compressed",
                        c.uncompressed_size, c.compressed_size
                    ),
                ));
            }
        }
        sec.uncompressed_data()
            .map(Some)
            .map_err(|e| Error::corrupt("section", format!("{name}: {e}")))
    }

    /// True if the file carries DWARF line or info sections (compressed or not).
    pub fn has_dwarf(&self) -> bool {
        self.sections.iter().any(|s| {
            matches!(
                s.name.as_str(),
                ".debug_info" | ".zdebug_info" | ".debug_line" | ".zdebug_line"
            )
        })
    }

    /// True if any DWARF section is compressed.
    pub fn dwarf_compressed(&self) -> bool {
        self.sections.iter().any(|s| {
            (s.name.starts_with(".debug_") || s.name.starts_with(".zdebug_")) && s.compressed
        })
    }

    /// The Python script files the binary asks gdb to auto-load: the `.debug_gdb_scripts`
    /// entries of kind [`GDB_SCRIPT_PYTHON_FILE`] (a Go binary names its toolchain's
    /// `GOROOT/src/runtime/runtime-gdb.py`). Empty without the section.
    pub fn gdb_python_scripts(&self) -> Result<Vec<String>> {
        Ok(self
            .section_data(".debug_gdb_scripts")?
            .map(|data| gdb_python_scripts(&data))
            .unwrap_or_default())
    }

    /// True if the ELF symbol table (.symtab) is present.
    pub fn has_symtab(&self) -> bool {
        self.section(".symtab").is_some()
    }

    /// Bytes of file-backed memory at an unrelocated virtual address, from the PT_LOAD
    /// segments; `None` if the range is not entirely file-backed.
    pub fn read_vaddr(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let end = addr.checked_add(len as u64)?;
        for seg in &self.segments {
            let (off, fsize) = seg.file_range;
            if addr >= seg.addr && end <= seg.addr.checked_add(fsize)? {
                let start = usize::try_from(off.checked_add(addr - seg.addr)?).ok()?;
                return self.data().get(start..start.checked_add(len)?);
            }
        }
        None
    }

    /// Go build info from `.go.buildinfo` (Go version, main module, build settings).
    pub fn build_info(&self) -> Result<BuildInfo> {
        let raw = self
            .section_raw(".go.buildinfo")
            .or_else(|| self.find_buildinfo_magic())
            .ok_or_else(|| Error::NotGo("no .go.buildinfo section".into()))?;
        BuildInfo::parse(raw)
    }

    fn find_buildinfo_magic(&self) -> Option<&[u8]> {
        // Some linkers merge .go.buildinfo into .data; search the data sections for the magic.
        for name in [".data", ".noptrdata"] {
            if let Some(raw) = self.section_raw(name) {
                if let Some(pos) = find(raw, buildinfo::MAGIC) {
                    return raw.get(pos..);
                }
            }
        }
        None
    }

    /// Look up an ELF symbol by exact name (`runtime.allgs`); the first definition wins.
    /// The first few lookups scan .symtab without allocating (a CLI run or a pclntab open
    /// needs only a handful); after that the table is indexed once. `None` when the symbol
    /// or the whole .symtab is absent.
    pub fn elf_symbol(&self, name: &str) -> Option<ElfSymbol> {
        if let Some(map) = self.symtab.get() {
            return map.get(name).copied();
        }
        if self.symtab_lookups.fetch_add(1, Ordering::Relaxed) < SYMTAB_SCANS_BEFORE_INDEX {
            return self.scan_elf_symbol(name);
        }
        self.symtab
            .get_or_init(|| {
                let mut map = HashMap::new();
                if let Ok(obj) = self.object() {
                    for sym in obj.symbols() {
                        if let Ok(n) = sym.name() {
                            if n.is_empty() || sym.is_undefined() {
                                continue;
                            }
                            map.entry(n.to_string()).or_insert_with(|| elf_sym(&sym));
                        }
                    }
                }
                map
            })
            .get(name)
            .copied()
    }

    fn scan_elf_symbol(&self, name: &str) -> Option<ElfSymbol> {
        let obj = self.object().ok()?;
        let want = name.as_bytes();
        obj.symbols()
            .find(|sym| !sym.is_undefined() && sym.name_bytes().ok() == Some(want))
            .map(|sym| elf_sym(&sym))
    }

    /// True if this looks like a Go binary (build info or a Go pclntab section).
    pub fn is_go(&self) -> bool {
        self.section(".go.buildinfo").is_some() || self.section(".gopclntab").is_some()
    }
}

/// How many `elf_symbol` calls scan .symtab before it is indexed in a HashMap.
const SYMTAB_SCANS_BEFORE_INDEX: u32 = 12;

/// gdb's `SECTION_SCRIPT_ID_PYTHON_FILE`: a `.debug_gdb_scripts` entry naming a Python file.
pub const GDB_SCRIPT_PYTHON_FILE: u8 = 1;

/// The Python file names of a `.debug_gdb_scripts` section: entries of one kind byte and a
/// NUL-terminated name (text entries hold a name line and the script); zero bytes between
/// entries are padding, an unterminated last entry runs to the end.
fn gdb_python_scripts(data: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some((&kind, tail)) = rest.split_first() {
        if kind == 0 {
            rest = tail;
            continue;
        }
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        if kind == GDB_SCRIPT_PYTHON_FILE && end > 0 {
            out.push(String::from_utf8_lossy(&tail[..end]).into_owned());
        }
        rest = tail.get(end + 1..).unwrap_or_default();
    }
    out
}

fn elf_sym<'d, S: ObjectSymbol<'d>>(sym: &S) -> ElfSymbol {
    ElfSymbol {
        addr: sym.address(),
        size: sym.size(),
        is_func: sym.kind() == object::SymbolKind::Text,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdb_script_entries() {
        let data = b"\x01/go/src/runtime/runtime-gdb.py\0\0\x04inline\nprint(1)\0\x01/b.py";
        assert_eq!(
            gdb_python_scripts(data),
            vec![
                "/go/src/runtime/runtime-gdb.py".to_string(),
                "/b.py".to_string()
            ]
        );
        assert!(gdb_python_scripts(b"").is_empty());
        assert!(gdb_python_scripts(b"\x01").is_empty());
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = Binary::from_bytes(b"not an elf at all".to_vec()).unwrap_err();
        assert!(err.to_string().contains("not a readable ELF"), "{err}");
    }

    #[test]
    fn truncated_elf_header_is_an_error() {
        let mut bytes = b"\x7fELF\x02\x01\x01".to_vec();
        bytes.resize(20, 0);
        assert!(Binary::from_bytes(bytes).is_err());
    }

    #[test]
    fn truncated_binary_says_where() {
        let me = std::fs::read("/proc/self/exe").expect("read the test binary");
        assert!(
            Binary::from_bytes(me.clone()).is_ok(),
            "the whole file is not truncated"
        );
        let cut = me.len() / 2;
        let err = Binary::from_bytes(me[..cut].to_vec()).unwrap_err();
        let want = format!("is truncated at byte {cut} of {}", me.len());
        assert!(err.to_string().contains(&want), "{err}");
    }

    #[test]
    fn odd_files_are_refused_at_once_by_name() {
        let dir = std::env::temp_dir().join(format!("wslgo-odd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().expect("utf-8 path")).expect("no NUL");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
        for (path, kind) in [
            (fifo.as_path(), "a FIFO"),
            (dir.as_path(), "a directory"),
            (Path::new("/dev/null"), "a character device"),
        ] {
            let err = Binary::open(path).unwrap_err();
            let want = format!("{} is {kind}, not an ELF file", path.display());
            assert_eq!(err.to_string(), want);
        }
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = Binary::open("/nonexistent/wslgo-test").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/wslgo-test"), "{err}");
    }
}
