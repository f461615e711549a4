//! A symbol file for gdb written from the pclntab, for programs without DWARF (`-s -w`,
//! objcopy'd): an ELF64 file whose `.symtab` names every function (gdb's minimal symbols)
//! and whose DWARF 4 (`.debug_info` with one compile unit of `DW_TAG_subprogram`s and
//! `.debug_line` with each function's pcfile/pcln rows) gives gdb's own `frame`, `finish`,
//! `bt`, `list` and `info line` the names, files and lines the unstripped program has.
//! No types, no variables, no CFI: gdb unwinds such a program with wslgo's unwinder.
//! Each line row is the innermost (inlined) function's position, as the runtime reports it.

use std::collections::HashMap;

use crate::pclntab::Pclntab;

/// Sections of the file, in order (index 0 is the null section).
const SECTIONS: [&str; 8] = [
    "",
    ".text",
    ".symtab",
    ".strtab",
    ".debug_abbrev",
    ".debug_info",
    ".debug_line",
    ".shstrtab",
];
const DW_LANG_GO: u8 = 0x16;

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn cstr(out: &mut Vec<u8>, s: &str) {
    out.extend(s.bytes().filter(|&b| b != 0));
    out.push(0);
}

/// The function rows: (name, entry, end, line rows).
type Funcs<'a> = Vec<(&'a str, u64, u64, Vec<(u64, u64, &'a str, u32)>)>;

/// `f`'s line rows at the physical function's position (an inlined call's row says where
/// it was called, as gdb's frame for the function does with DWARF), equal rows merged.
fn outer_rows<'a>(p: &'a Pclntab, f: &crate::pclntab::Func) -> Vec<(u64, u64, &'a str, u32)> {
    let mut out: Vec<(u64, u64, &str, u32)> = Vec::new();
    for (start, end, file, line) in p.line_table(f) {
        let frames = p.frames(f, start);
        let (file, line) = match frames.last() {
            Some(fr) if fr.inlined || frames.len() > 1 => (fr.file.unwrap_or(file), fr.line),
            _ => (file, line),
        };
        match out.last_mut() {
            Some(last) if last.1 == start && last.2 == file && last.3 == line => last.1 = end,
            _ => out.push((start, end, file, line)),
        }
    }
    out
}

fn funcs(p: &Pclntab) -> Funcs<'_> {
    let mut out: Funcs<'_> = p
        .funcs()
        .filter(|f| f.end > f.entry)
        .filter_map(|f| Some((p.try_name(&f)?, f.entry, f.end, outer_rows(p, &f))))
        .collect();
    out.sort_by_key(|f| f.1);
    out
}

fn abbrev() -> Vec<u8> {
    let mut a = Vec::new();
    // 1: compile unit with children: producer, language, name, stmt_list, low_pc, high_pc
    a.extend([1, 0x11, 1]);
    a.extend([
        0x25, 0x08, 0x13, 0x0b, 0x03, 0x08, 0x10, 0x17, 0x11, 0x01, 0x12, 0x07, 0, 0,
    ]);
    // 2: subprogram: name, low_pc, high_pc (a length), external
    a.extend([2, 0x2e, 0]);
    a.extend([0x03, 0x08, 0x11, 0x01, 0x12, 0x07, 0x3f, 0x19, 0, 0]);
    a.push(0);
    a
}

fn info(funcs: &Funcs<'_>, low: u64, high: u64) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend(4u16.to_le_bytes()); // version
    d.extend(0u32.to_le_bytes()); // abbrev offset
    d.push(8); // address size
    uleb(&mut d, 1);
    cstr(&mut d, "wslgo symbol file (from the pclntab)");
    d.push(DW_LANG_GO);
    cstr(&mut d, "go");
    d.extend(0u32.to_le_bytes()); // stmt_list
    d.extend(low.to_le_bytes());
    d.extend((high - low).to_le_bytes());
    for (name, entry, end, _) in funcs {
        uleb(&mut d, 2);
        cstr(&mut d, name);
        d.extend(entry.to_le_bytes());
        d.extend((end - entry).to_le_bytes());
    }
    d.push(0);
    let mut out = (d.len() as u32).to_le_bytes().to_vec();
    out.extend(d);
    out
}

fn line(funcs: &Funcs<'_>) -> Vec<u8> {
    let mut files: HashMap<&str, u64> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    let mut prog = Vec::new();
    for (_, entry, end, rows) in funcs {
        if rows.is_empty() {
            continue;
        }
        prog.extend([0, 9, 2]); // DW_LNE_set_address
        prog.extend(entry.to_le_bytes());
        let (mut pc, mut ln, mut file) = (*entry, 1i64, 1u64);
        for &(start, _, name, l) in rows {
            let idx = *files.entry(name).or_insert_with(|| {
                names.push(name);
                names.len() as u64
            });
            if start > pc {
                prog.push(2); // DW_LNS_advance_pc
                uleb(&mut prog, start - pc);
                pc = start;
            }
            if idx != file {
                prog.push(4); // DW_LNS_set_file
                uleb(&mut prog, idx);
                file = idx;
            }
            if i64::from(l) != ln {
                prog.push(3); // DW_LNS_advance_line
                sleb(&mut prog, i64::from(l) - ln);
                ln = i64::from(l);
            }
            prog.push(1); // DW_LNS_copy
        }
        if *end > pc {
            prog.push(2);
            uleb(&mut prog, end - pc);
        }
        prog.extend([0, 1, 1]); // DW_LNE_end_sequence
    }
    let mut hdr = vec![1, 1, 1, (-5i8) as u8, 14, 13]; // min inst, max ops, is_stmt, base, range, opcode base
    hdr.extend([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1]);
    hdr.push(0); // no include directories
    for n in &names {
        cstr(&mut hdr, n);
        hdr.extend([0, 0, 0]);
    }
    hdr.push(0);
    let mut body = 4u16.to_le_bytes().to_vec();
    body.extend((hdr.len() as u32).to_le_bytes());
    body.extend(hdr);
    body.extend(prog);
    let mut out = (body.len() as u32).to_le_bytes().to_vec();
    out.extend(body);
    out
}

/// The symbol file's bytes for the program whose pclntab is `p`; `machine` is its ELF
/// e_machine (62 x86-64, 183 AArch64).
pub fn write(p: &Pclntab, machine: u16) -> Vec<u8> {
    let funcs = funcs(p);
    let low = funcs.first().map_or(p.text_start(), |f| f.1);
    let high = funcs.last().map_or(low, |f| f.2);
    // .symtab / .strtab
    let mut strtab = vec![0u8];
    let mut symtab = vec![0u8; 24];
    for (name, entry, end, _) in &funcs {
        let off = strtab.len() as u32;
        cstr(&mut strtab, name);
        symtab.extend(off.to_le_bytes());
        symtab.push(0x12); // STB_GLOBAL, STT_FUNC
        symtab.push(0);
        symtab.extend(1u16.to_le_bytes()); // .text
        symtab.extend(entry.to_le_bytes());
        symtab.extend((end - entry).to_le_bytes());
    }
    let mut shstrtab = Vec::new();
    let mut name_offs = Vec::new();
    for n in SECTIONS {
        name_offs.push(shstrtab.len() as u32);
        cstr(&mut shstrtab, n);
    }
    let bodies: [Vec<u8>; 8] = [
        Vec::new(),
        Vec::new(),
        symtab,
        strtab,
        abbrev(),
        info(&funcs, low, high),
        line(&funcs),
        shstrtab,
    ];
    let mut file = vec![0u8; 64];
    let mut placed = Vec::new();
    for b in &bodies {
        while !file.len().is_multiple_of(8) {
            file.push(0);
        }
        placed.push(file.len() as u64);
        file.extend(b);
    }
    while !file.len().is_multiple_of(8) {
        file.push(0);
    }
    let shoff = file.len() as u64;
    for (i, b) in bodies.iter().enumerate() {
        let (typ, flags, addr, size, link, info, align, entsize) = match i {
            0 => (0u32, 0u64, 0u64, 0u64, 0u32, 0u32, 0u64, 0u64),
            1 => (8, 6, low, high - low, 0, 0, 16, 0), // SHT_NOBITS, ALLOC|EXEC
            2 => (2, 0, 0, b.len() as u64, 3, 1, 8, 24), // SHT_SYMTAB -> .strtab
            7 | 3 => (3, 0, 0, b.len() as u64, 0, 0, 1, 0),
            _ => (1, 0, 0, b.len() as u64, 0, 0, 1, 0), // SHT_PROGBITS
        };
        file.extend(name_offs[i].to_le_bytes());
        file.extend(typ.to_le_bytes());
        file.extend(flags.to_le_bytes());
        file.extend(addr.to_le_bytes());
        file.extend(if i == 0 { 0 } else { placed[i] }.to_le_bytes());
        file.extend(size.to_le_bytes());
        file.extend(link.to_le_bytes());
        file.extend(info.to_le_bytes());
        file.extend(align.to_le_bytes());
        file.extend(entsize.to_le_bytes());
    }
    // ELF header: ELFCLASS64, little endian, ET_EXEC
    let mut h = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    h.resize(16, 0);
    h.extend(2u16.to_le_bytes());
    h.extend(machine.to_le_bytes());
    h.extend(1u32.to_le_bytes());
    h.extend(0u64.to_le_bytes()); // entry
    h.extend(0u64.to_le_bytes()); // phoff
    h.extend(shoff.to_le_bytes());
    h.extend(0u32.to_le_bytes()); // flags
    h.extend(64u16.to_le_bytes()); // ehsize
    h.extend(0u16.to_le_bytes()); // phentsize
    h.extend(0u16.to_le_bytes()); // phnum
    h.extend(64u16.to_le_bytes()); // shentsize
    h.extend((SECTIONS.len() as u16).to_le_bytes());
    h.extend(7u16.to_le_bytes()); // shstrndx
    file[..64].copy_from_slice(&h);
    file
}
