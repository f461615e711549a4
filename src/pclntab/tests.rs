//! Unit tests on synthetic and corrupted tables. Real binaries are covered by
//! tests/pclntab.rs (against `go tool addr2line` and `go tool nm`).

use super::*;

/// A synthetic inline tree: pcdata rows (index, length) and records (name, parentPc).
pub(crate) type InlTree = (Vec<(i32, u32)>, Vec<(&'static str, i32)>);

/// A function of a synthetic table.
pub(crate) struct SynthFunc {
    pub name: &'static str,
    pub entry: u32,
    pub size: u32,
    pub file: u32,
    /// (line, byte length) rows.
    pub lines: Vec<(i32, u32)>,
    /// (sp delta, byte length) rows.
    pub sp: Vec<(i32, u32)>,
    pub func_id: u8,
    pub flag: u8,
    /// Inline tree: rows of (inline index, byte length) and records (name, parentPc).
    pub inl: Option<InlTree>,
}

fn uvarint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn pcvalue_table(rows: &[(i32, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev = -1i32;
    for &(v, len) in rows {
        let d = v - prev;
        uvarint(&mut out, ((d << 1) ^ (d >> 31)) as u32);
        uvarint(&mut out, len);
        prev = v;
    }
    out.push(0);
    out
}

/// Build a Go 1.20-format little-endian table for amd64 (quantum 1, 8-byte pointers) and
/// the gofunc bytes its inline trees live in.
pub(crate) fn synth(funcs: &[SynthFunc], files: &[&str], text_start: u64) -> (Vec<u8>, Vec<u8>) {
    let mut names = Vec::new();
    let mut name_off = Vec::new();
    let intern = |names: &mut Vec<u8>, n: &str| -> i32 {
        let o = names.len() as i32;
        names.extend_from_slice(n.as_bytes());
        names.push(0);
        o
    };
    for f in funcs {
        let o = intern(&mut names, f.name);
        name_off.push(o);
    }
    let mut filetab = Vec::new();
    let mut cutab = Vec::new();
    for f in files {
        cutab.extend_from_slice(&(filetab.len() as u32).to_le_bytes());
        filetab.extend_from_slice(f.as_bytes());
        filetab.push(0);
    }
    let mut pctab = vec![0u8];
    let mut gofunc = Vec::new();
    let mut fdesc = Vec::new();
    for f in funcs {
        let sp = pctab.len() as u32;
        pctab.extend(pcvalue_table(&f.sp));
        let pcfile = pctab.len() as u32;
        pctab.extend(pcvalue_table(&[(f.file as i32, f.size)]));
        let pcln = pctab.len() as u32;
        pctab.extend(pcvalue_table(&f.lines));
        let inl = f.inl.as_ref().map(|(rows, recs)| {
            let t = pctab.len() as u32;
            pctab.extend(pcvalue_table(rows));
            let tree = gofunc.len() as u32;
            for (name, parent_pc) in recs {
                let no = intern(&mut names, name);
                gofunc.extend_from_slice(&[0, 0, 0, 0]);
                gofunc.extend_from_slice(&no.to_le_bytes());
                gofunc.extend_from_slice(&parent_pc.to_le_bytes());
                gofunc.extend_from_slice(&0i32.to_le_bytes());
            }
            (t, tree)
        });
        fdesc.push((sp, pcfile, pcln, inl));
    }
    let nfunc = funcs.len();
    let mut pcln_tab = Vec::new();
    let ftab_len = (nfunc + 1) * 8;
    let mut funcs_bytes = Vec::new();
    for (i, f) in funcs.iter().enumerate() {
        let funcoff = (ftab_len + funcs_bytes.len()) as u32;
        pcln_tab.extend_from_slice(&f.entry.to_le_bytes());
        pcln_tab.extend_from_slice(&funcoff.to_le_bytes());
        let (sp, pcfile, pcln, inl) = fdesc[i];
        let npcdata: u32 = if inl.is_some() { 3 } else { 0 };
        let nfuncdata: u8 = if inl.is_some() { 4 } else { 0 };
        for v in [
            f.entry,
            name_off[i] as u32,
            0,
            0,
            sp,
            pcfile,
            pcln,
            npcdata,
            0,
            1,
        ] {
            funcs_bytes.extend_from_slice(&v.to_le_bytes());
        }
        funcs_bytes.extend_from_slice(&[f.func_id, f.flag, 0, nfuncdata]);
        if let Some((t, tree)) = inl {
            for v in [0, 0, t, u32::MAX, u32::MAX, u32::MAX, tree] {
                funcs_bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    let last_end = funcs.last().map_or(0, |f| f.entry + f.size);
    pcln_tab.extend_from_slice(&last_end.to_le_bytes());
    pcln_tab.extend_from_slice(&0u32.to_le_bytes());
    pcln_tab.extend(funcs_bytes);

    let hdr = 72usize;
    let funcname_off = hdr;
    let cu_off = funcname_off + names.len();
    let filetab_off = cu_off + cutab.len();
    let pctab_off = filetab_off + filetab.len();
    let pcln_off = pctab_off + pctab.len();
    let mut out = Vec::new();
    out.extend_from_slice(&0xffff_fff1u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 1, 8]);
    for w in [
        nfunc as u64,
        files.len() as u64,
        text_start,
        funcname_off as u64,
        cu_off as u64,
        filetab_off as u64,
        pctab_off as u64,
        pcln_off as u64,
    ] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend(names);
    out.extend(cutab);
    out.extend(filetab);
    out.extend(pctab);
    out.extend(pcln_tab);
    (out, gofunc)
}

pub(crate) fn sample() -> (Vec<u8>, Vec<u8>) {
    let funcs = vec![
        SynthFunc {
            name: "main.add",
            entry: 0,
            size: 0x20,
            file: 0,
            lines: vec![(10, 0x8), (11, 0x18)],
            sp: vec![(0, 4), (24, 0x1c)],
            func_id: 0,
            flag: 0,
            inl: None,
        },
        SynthFunc {
            name: "main.main",
            entry: 0x20,
            size: 0x40,
            file: 1,
            lines: vec![(20, 0x10), (3, 0x10), (22, 0x20)],
            sp: vec![(0, 8), (40, 0x38)],
            func_id: 0,
            flag: 0,
            // pc 0x30..0x40 is main.add inlined at call site pc 0x20+0x08.
            inl: Some((
                vec![(-1, 0x10), (0, 0x10), (-1, 0x20)],
                vec![("main.add", 8)],
            )),
        },
        SynthFunc {
            name: "runtime.goexit",
            entry: 0x60,
            size: 0x10,
            file: 1,
            lines: vec![(400, 0x10)],
            sp: vec![(0, 0x10)],
            func_id: 7,
            flag: FUNC_FLAG_TOPFRAME,
            inl: None,
        },
    ];
    synth(&funcs, &["/src/a.go", "/src/main.go"], 0x401000)
}

fn sample_table() -> Pclntab {
    let (tab, gofunc) = sample();
    Pclntab::from_bytes(tab, None, gofunc).unwrap()
}

#[test]
fn synthetic_lookups() {
    let t = sample_table();
    assert_eq!(t.func_count(), 3);
    let f = t.func_for_pc(0x401025).unwrap();
    assert_eq!(t.name(&f), "main.main");
    assert_eq!((f.entry, f.end), (0x401020, 0x401060));
    assert_eq!(t.file_line(&f, 0x401020), Some(("/src/main.go", 20)));
    assert_eq!(t.file_line(&f, 0x401035), Some(("/src/main.go", 3)));
    assert_eq!(t.file_line(&f, 0x401045), Some(("/src/main.go", 22)));
    assert_eq!(t.sp_delta(&f, 0x401020), Some(0));
    assert_eq!(t.sp_delta(&f, 0x401028), Some(40));
    assert!(t.func_for_pc(0x400fff).is_none());
    assert!(t.func_for_pc(0x401070).is_none());
    assert_eq!(t.func_for_pc(0x401000).unwrap().index, 0);
    assert_eq!(t.func_for_pc(0x40106f).unwrap().index, 2);
    let g = t.func_by_name("runtime.goexit").unwrap();
    assert_eq!(g.entry, 0x401060);
    assert_eq!(g.flag & FUNC_FLAG_TOPFRAME, FUNC_FLAG_TOPFRAME);
    assert!(t.func_by_name("main.nope").is_none());
    // Version calibration: goexit = 7 means the 1.21 numbering.
    assert_eq!(t.func_kind(&g), FuncKind::Goexit);
    assert_eq!(t.go_minor(), 21);
}

#[test]
fn synthetic_inline_tree() {
    let t = sample_table();
    let f = t.func_by_name("main.main").unwrap();
    let inl = t.inlined_at(&f, 0x401035);
    assert_eq!(
        inl,
        vec![InlinedFrame {
            name: "main.add".into(),
            file: "/src/main.go".into(),
            line: 3
        }]
    );
    let frames = t.frames(&f, 0x401035);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].name, "main.main");
    assert_eq!(frames[1].line, 20); // call site: entry + 8
    assert_eq!(frames[1].pc, 0x401028);
    assert!(t.inlined_at(&f, 0x401045).is_empty());
    // Without gofunc bytes the inline tree is unknown, file:line still works.
    let (tab, _) = sample();
    let t = Pclntab::from_bytes(tab, None, Vec::new()).unwrap();
    let f = t.func_by_name("main.main").unwrap();
    assert!(t.inlined_at(&f, 0x401035).is_empty());
    assert_eq!(t.file_line(&f, 0x401035), Some(("/src/main.go", 3)));
}

#[test]
fn old_magics_are_unsupported() {
    let (mut tab, _) = sample();
    for magic in [0xffff_fffbu32, 0xffff_fffa] {
        tab[..4].copy_from_slice(&magic.to_le_bytes());
        let err = Pclntab::from_bytes(tab.clone(), None, Vec::new()).unwrap_err();
        assert!(matches!(err, Error::Unsupported(_)), "{err}");
        assert!(err.to_string().contains("Go 1.18"), "{err}");
    }
    tab[..4].copy_from_slice(&0x1234_5678u32.to_le_bytes());
    let err = Pclntab::from_bytes(tab, None, Vec::new()).unwrap_err();
    assert!(err.to_string().contains("unknown magic"), "{err}");
}

#[test]
fn huge_nfunc_is_an_error() {
    let (mut tab, _) = sample();
    tab[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    let err = Pclntab::from_bytes(tab, None, Vec::new()).unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
}

/// Run every query on a table; must never panic.
pub(crate) fn exercise(t: &Pclntab) {
    for f in t.funcs().take(64) {
        let _ = t.name(&f);
        for pc in [
            f.entry,
            f.entry.wrapping_add(1),
            f.end.wrapping_sub(1),
            f.end,
        ] {
            let _ = t.file_line(&f, pc);
            let _ = t.sp_delta(&f, pc);
            let _ = t.frames(&f, pc);
            let _ = t.inlined_at(&f, pc);
        }
        let _ = t.sp_table(&f);
        let _ = t.func_kind(&f);
    }
    for pc in [0, t.text_start(), t.text_start() + 0x30, u64::MAX] {
        let _ = t.func_for_pc(pc);
    }
    let _ = t.func_by_name("main.main");
    let _ = t.func(usize::MAX);
    let bogus = Func {
        entry: 0,
        end: u64::MAX,
        index: u32::MAX,
        func_id: 0,
        flag: 0,
    };
    let _ = t.file_line(&bogus, 5);
    let _ = t.frames(&bogus, 5);
}

#[test]
fn truncated_tables_never_panic() {
    let (tab, gofunc) = sample();
    for n in 0..tab.len() {
        if let Ok(t) = Pclntab::from_bytes(tab[..n].to_vec(), None, gofunc.clone()) {
            exercise(&t);
        }
    }
    for n in 0..gofunc.len() {
        let t = Pclntab::from_bytes(tab.clone(), None, gofunc[..n].to_vec()).unwrap();
        exercise(&t);
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    let (tab, gofunc) = sample();
    for i in 0..tab.len() {
        for v in [0x00u8, 0x7f, 0x80, 0xff] {
            let mut bad = tab.clone();
            bad[i] = v;
            if let Ok(t) = Pclntab::from_bytes(bad, None, gofunc.clone()) {
                exercise(&t);
            }
        }
    }
    for i in 0..gofunc.len() {
        let mut bad = gofunc.clone();
        bad[i] = 0xff;
        exercise(&Pclntab::from_bytes(tab.clone(), None, bad).unwrap());
    }
}

#[test]
fn out_of_range_name_offset_is_empty_name() {
    let (mut tab, gofunc) = sample();
    // First _func: at pclntable + funcoff(0); nameOff at +4.
    let t = Pclntab::from_bytes(tab.clone(), None, gofunc.clone()).unwrap();
    let funcoff = t.ftab_entry(0).unwrap().1 as usize;
    let at = t.pclntable + funcoff + 4;
    tab[at..at + 4].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let t = Pclntab::from_bytes(tab, None, gofunc).unwrap();
    let f = t.func(0).unwrap();
    assert_eq!(t.name(&f), "");
    assert_eq!(t.try_name(&f), None);
    assert!(t.func_by_name("main.add").is_none());
    assert!(t.func_by_name("main.main").is_some());
}

/// Writes synthetic seed tables for `cargo fuzz run pclntab_parse` into
/// $WSLGO_FUZZ_SEED_DIR (see fuzz/README.md): the sample table with its gofunc bytes
/// appended the way the fuzz target splits them. Run with `--ignored`.
#[test]
#[ignore]
fn dump_synthetic_fuzz_seeds() {
    let Ok(dir) = std::env::var("WSLGO_FUZZ_SEED_DIR") else {
        panic!("set WSLGO_FUZZ_SEED_DIR");
    };
    let (tab, gofunc) = sample();
    // The fuzz target uses the last 256 bytes of inputs longer than 1 KiB as gofunc.
    let mut with_gofunc = tab.clone();
    with_gofunc.resize(1024.max(tab.len()), 0);
    with_gofunc.extend_from_slice(&gofunc);
    with_gofunc.resize(1024.max(tab.len()) + 256, 0);
    let t = Pclntab::from_bytes(
        with_gofunc.clone(),
        None,
        with_gofunc[with_gofunc.len() - 256..].to_vec(),
    )
    .unwrap();
    let f = t.func_by_name("main.main").unwrap();
    assert_eq!(t.inlined_at(&f, 0x401035)[0].name, "main.add");
    std::fs::write(format!("{dir}/synthetic.tab"), &tab).unwrap();
    std::fs::write(format!("{dir}/synthetic-inline.tab"), &with_gofunc).unwrap();
}

#[test]
fn pclntab_is_send_and_sync() {
    // The binding layer and the goroutine engine share one table across threads.
    fn check<T: Send + Sync>() {}
    check::<Pclntab>();
    check::<Func>();
}
