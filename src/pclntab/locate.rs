//! Finding the pclntab and runtime.firstmoduledata inside an ELF file, with or without
//! section headers and symbols.

use crate::binary::Binary;
use crate::error::{Error, Result};

use super::goversion::{moduledata_layouts, ModuledataLayout};
use super::pcvalue::Bytes;

/// Go 1.2-1.15 magic.
pub(crate) const MAGIC_12: u32 = 0xffff_fffb;
/// Go 1.16-1.17 magic.
pub(crate) const MAGIC_116: u32 = 0xffff_fffa;
/// Go 1.18-1.19 magic.
pub(crate) const MAGIC_118: u32 = 0xffff_fff0;
/// Go 1.20+ magic.
pub(crate) const MAGIC_120: u32 = 0xffff_fff1;

/// Where the table was found: a byte range of the file and its virtual address.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Located {
    pub off: usize,
    pub len: usize,
    pub vaddr: Option<u64>,
}

/// File offset of an unrelocated virtual address (PT_LOAD file-backed part), and how many
/// file bytes follow it in that segment.
pub(crate) fn vaddr_to_off(bin: &Binary, addr: u64) -> Option<(usize, usize)> {
    for seg in bin.segments() {
        let (off, fsize) = seg.file_range;
        if addr >= seg.addr && addr < seg.addr.checked_add(fsize)? {
            let delta = addr - seg.addr;
            let o = usize::try_from(off.checked_add(delta)?).ok()?;
            let left = usize::try_from(fsize - delta).ok()?;
            return Some((o, left));
        }
    }
    None
}

/// Explain an old or unknown magic; `Ok(())` for the formats we read.
pub(crate) fn check_magic(magic: u32) -> Result<()> {
    match magic {
        MAGIC_118 | MAGIC_120 => Ok(()),
        MAGIC_12 => Err(Error::Unsupported(
            "pclntab of Go 1.2-1.15 (magic 0xfffffffb); wslgo reads Go 1.18 and later".into(),
        )),
        MAGIC_116 => Err(Error::Unsupported(
            "pclntab of Go 1.16-1.17 (magic 0xfffffffa); wslgo reads Go 1.18 and later".into(),
        )),
        m => Err(Error::corrupt(
            "pclntab",
            format!("unknown magic {m:#010x} (expected 0xfffffff0 or 0xfffffff1)"),
        )),
    }
}

/// Read the magic at the start of `data` in either byte order: (magic, little-endian).
pub(crate) fn read_magic(data: &[u8]) -> Option<(u32, bool)> {
    let b: [u8; 4] = data.get(..4)?.try_into().ok()?;
    let le = u32::from_le_bytes(b);
    if le >> 4 == 0x0fff_ffff {
        return Some((le, true));
    }
    let be = u32::from_be_bytes(b);
    if be >> 4 == 0x0fff_ffff {
        return Some((be, false));
    }
    Some((le, true))
}

/// True if `data` starts with something shaped like a pcHeader of any version we know.
fn plausible_header(data: &[u8]) -> bool {
    let Some((magic, _)) = read_magic(data) else {
        return false;
    };
    matches!(magic, MAGIC_12 | MAGIC_116 | MAGIC_118 | MAGIC_120)
        && data.get(4..6) == Some(&[0, 0])
        && matches!(data.get(6), Some(1 | 2 | 4))
        && matches!(data.get(7), Some(4 | 8))
}

/// Find the pclntab: the `.gopclntab` section (`.data.rel.ro.gopclntab` in some PIE links),
/// the `runtime.pclntab` symbol, or a pcHeader found by magic in `.data.rel.ro`, `.rodata`
/// and finally every loadable segment (for files without section headers).
pub(crate) fn locate_table(bin: &Binary) -> Result<Located> {
    for name in [".gopclntab", ".data.rel.ro.gopclntab"] {
        if let Some(sec) = bin.section(name) {
            if let Some((off, len)) = sec.file_range {
                let off = usize::try_from(off).map_err(|_| bad_range(name))?;
                let len = usize::try_from(len).map_err(|_| bad_range(name))?;
                if off
                    .checked_add(len)
                    .is_none_or(|end| end > bin.data().len())
                {
                    return Err(bad_range(name));
                }
                return Ok(Located {
                    off,
                    len,
                    vaddr: (sec.addr != 0).then_some(sec.addr),
                });
            }
        }
    }
    if let (Some(start), Some(end)) = (
        bin.elf_symbol("runtime.pclntab"),
        bin.elf_symbol("runtime.epclntab"),
    ) {
        if let Some((off, left)) = vaddr_to_off(bin, start.addr) {
            let len = usize::try_from(end.addr.saturating_sub(start.addr))
                .unwrap_or(usize::MAX)
                .min(left);
            if len > 0 {
                return Ok(Located {
                    off,
                    len,
                    vaddr: Some(start.addr),
                });
            }
        }
    }
    // Scan by magic. Sections first (cheap, precise), then segments.
    let mut regions: Vec<(usize, usize, u64)> = Vec::new();
    for name in [".data.rel.ro", ".rodata", ".noptrdata"] {
        if let Some(sec) = bin.section(name) {
            if let Some((off, len)) = sec.file_range {
                if let (Ok(o), Ok(l)) = (usize::try_from(off), usize::try_from(len)) {
                    regions.push((o, l, sec.addr));
                }
            }
        }
    }
    for seg in bin.segments() {
        let (off, len) = seg.file_range;
        if let (Ok(o), Ok(l)) = (usize::try_from(off), usize::try_from(len)) {
            regions.push((o, l, seg.addr));
        }
    }
    let data = bin.data();
    for (off, len, addr) in regions {
        let Some(region) = off.checked_add(len).and_then(|end| data.get(off..end)) else {
            continue;
        };
        let mut pos = 0usize;
        while pos + 8 <= region.len() {
            let here = region.get(pos..).unwrap_or(&[]);
            if plausible_header(here) {
                let (magic, _) = read_magic(here).unwrap_or((0, true));
                check_magic(magic)?;
                return Ok(Located {
                    off: off + pos,
                    len: len - pos,
                    vaddr: addr.checked_add(pos as u64).filter(|_| addr != 0),
                });
            }
            pos += 8;
        }
    }
    Err(Error::NotGo(
        "no Go pclntab (.gopclntab section, runtime.pclntab symbol or pcHeader magic)".into(),
    ))
}

fn bad_range(name: &str) -> Error {
    Error::corrupt("pclntab", format!("section {name} lies outside the file"))
}

/// What the reader takes from runtime.firstmoduledata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ModuleInfo {
    /// Address of the moduledata.
    pub addr: u64,
    /// `moduledata.text`.
    pub text: u64,
    /// `moduledata.gofunc`.
    pub gofunc: u64,
    /// `moduledata.types` .. `moduledata.etypes`, when they read as a range in the file.
    pub types: Option<(u64, u64)>,
}

/// Find runtime.firstmoduledata: by symbol, else by scanning the data sections for a
/// pointer to the pcHeader followed by a pointer to funcnametab. `tab_vaddr` is the
/// pcHeader's address; `funcname_off` its funcnameOffset.
pub(crate) fn find_moduledata(
    bin: &Binary,
    tab_vaddr: u64,
    funcname_off: u64,
    minor: Option<u32>,
    le: bool,
) -> Option<ModuleInfo> {
    let ps = bin.ptr_size();
    let funcname_ptr = tab_vaddr.checked_add(funcname_off)?;
    let rodata = bin.section(".rodata").map(|s| s.addr);
    // The symbol, when present, is the answer: no need to scan the data sections.
    if let Some(sym) = bin.elf_symbol("runtime.firstmoduledata") {
        if let Some(info) = pick_moduledata(bin, &[sym.addr], tab_vaddr, minor, le, rodata) {
            return Some(info);
        }
    }
    let mut candidates: Vec<u64> = Vec::new();
    let mut names: Vec<&str> = vec![".go.module", ".noptrdata", ".data"];
    for s in bin.sections() {
        if s.addr != 0 && !names.contains(&s.name.as_str()) && !s.name.starts_with(".debug") {
            names.push(s.name.as_str());
        }
    }
    'outer: for name in names {
        let Some(sec) = bin.section(name) else {
            continue;
        };
        let Some(raw) = bin.section_raw(name) else {
            continue;
        };
        let b = Bytes { data: raw, le };
        let mut pos = 0usize;
        while pos + 2 * ps <= raw.len() {
            if b.word_at(pos, ps) == Some(tab_vaddr)
                && b.word_at(pos + ps, ps) == Some(funcname_ptr)
            {
                candidates.extend(sec.addr.checked_add(pos as u64));
                if candidates.len() > 4 {
                    break 'outer;
                }
            }
            pos += ps;
        }
    }
    if candidates.is_empty() {
        // No section headers: scan the writable file-backed part of every segment.
        for seg in bin.segments() {
            let (off, len) = seg.file_range;
            let (Ok(o), Ok(l)) = (usize::try_from(off), usize::try_from(len)) else {
                continue;
            };
            let Some(raw) = o.checked_add(l).and_then(|e| bin.data().get(o..e)) else {
                continue;
            };
            let b = Bytes { data: raw, le };
            let mut pos = 0usize;
            while pos + 2 * ps <= raw.len() && candidates.len() <= 4 {
                if b.word_at(pos, ps) == Some(tab_vaddr)
                    && b.word_at(pos + ps, ps) == Some(funcname_ptr)
                {
                    candidates.extend(seg.addr.checked_add(pos as u64));
                }
                pos += ps;
            }
        }
    }
    pick_moduledata(bin, &candidates, tab_vaddr, minor, le, rodata)
}

/// The first candidate address whose words fit one of the moduledata layouts.
fn pick_moduledata(
    bin: &Binary,
    candidates: &[u64],
    tab_vaddr: u64,
    minor: Option<u32>,
    le: bool,
    rodata: Option<u64>,
) -> Option<ModuleInfo> {
    let ps = bin.ptr_size();
    for &addr in candidates {
        let word = |i: usize| -> Option<u64> {
            let raw = bin.read_vaddr(addr.checked_add((i * ps) as u64)?, ps)?;
            Bytes { data: raw, le }.word_at(0, ps)
        };
        if word(0) != Some(tab_vaddr) {
            continue;
        }
        for l in moduledata_layouts(minor) {
            if let Some(info) = check_layout(bin, addr, &word, l, rodata) {
                return Some(info);
            }
        }
    }
    None
}

fn check_layout(
    bin: &Binary,
    addr: u64,
    word: &dyn Fn(usize) -> Option<u64>,
    l: ModuledataLayout,
    rodata: Option<u64>,
) -> Option<ModuleInfo> {
    let text = word(l.text)?;
    let ro = word(l.rodata)?;
    let gofunc = word(l.gofunc)?;
    let ok_rodata = match rodata {
        Some(r) => r == ro,
        None => bin.read_vaddr(ro, 1).is_some(),
    };
    if !ok_rodata || gofunc < ro || bin.read_vaddr(gofunc, 1).is_none() || text == 0 {
        return None;
    }
    let types = match (word(l.types), word(l.etypes)) {
        (Some(a), Some(b)) if ro <= a && a <= b && bin.read_vaddr(a, 1).is_some() => Some((a, b)),
        _ => None,
    };
    Some(ModuleInfo {
        addr,
        text,
        gofunc,
        types,
    })
}
