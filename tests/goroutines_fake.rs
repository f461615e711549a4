//! The enumeration on crafted memory (FakeMemory) over a real binary's layout: a corrupted
//! g pointer becomes one unreadable record, the others are read; reads are batched (the
//! number of memory calls does not grow with the number of goroutines).

use crate::common;

use std::sync::Arc;

use wslgo::binary::Binary;
use wslgo::ids::GoId;
use wslgo::mem::FakeMemory;
use wslgo::runtime::{Frame, GoRuntime, Options};
use wslgo::symbols::Symbols;
use wslgo::views::{Filter, Mode, Style, View};

const ALLGS_ARRAY: u64 = 0x7000_0000;
const GS: u64 = 0x7100_0000;
const STACKS: u64 = 0x7200_0000;

fn words(ws: &[u64]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn put(buf: &mut [u8], off: u64, v: u64, size: usize) {
    let o = off as usize;
    buf[o..o + size].copy_from_slice(&v.to_le_bytes()[..size]);
}

/// Memory with `n` goroutines parked in "chan receive" at runtime.goexit+1 (a top frame),
/// plus one bogus g pointer at index `bad` (if any).
fn craft(rt: &GoRuntime, bin: &Binary, n: usize, bad: Option<usize>) -> FakeMemory {
    let lay = rt.layout();
    let gsize = lay.g.size;
    let reasons = rt.wait_reasons(None);
    let chan_recv = reasons.iter().position(|r| r == "chan receive").unwrap() as u64;
    let goexit = rt.pclntab().func_by_name("runtime.goexit").unwrap().entry;
    let allgs = bin.elf_symbol("runtime.allgs").unwrap().addr;
    let mut m = FakeMemory::new();
    m.map(allgs, words(&[ALLGS_ARRAY, n as u64, n as u64]));
    let ptrs: Vec<u64> = (0..n)
        .map(|i| {
            if Some(i) == bad {
                0xdead_0000
            } else {
                GS + i as u64 * gsize
            }
        })
        .collect();
    m.map(ALLGS_ARRAY, words(&ptrs));
    let mut gbytes = vec![0u8; n * gsize as usize];
    for i in 0..n {
        let g = &mut gbytes[i * gsize as usize..(i + 1) * gsize as usize];
        let stack = STACKS + i as u64 * 0x1000;
        put(g, lay.g.goid, i as u64 + 1, 8);
        put(g, lay.g.atomicstatus, u64::from(lay.status.waiting), 4);
        put(g, lay.g.waitreason, chan_recv, 1);
        put(g, lay.g.stack_lo, stack, 8);
        put(g, lay.g.stack_hi, stack + 0x1000, 8);
        put(g, lay.g.sched_sp, stack + 0xff8, 8);
        put(g, lay.g.sched_pc, goexit + 1, 8);
    }
    m.map(GS, gbytes);
    m.map(STACKS, vec![0u8; n * 0x1000]);
    m
}

#[test]
fn corrupted_g_pointer_is_one_unreadable_record() {
    let path = common::fixture("grstates", "1.24", "opt");
    let bin = Arc::new(Binary::open(&path).unwrap());
    let rt = GoRuntime::new(Arc::new(Symbols::new(bin.clone()).unwrap())).unwrap();
    let m = craft(&rt, &bin, 5, Some(2));
    let gs = rt.goroutines(&m, 0, &[], &Options::default()).unwrap();
    assert_eq!(gs.len(), 5);
    let bad: Vec<_> = gs.iter().filter(|g| g.error.is_some()).collect();
    assert_eq!(bad.len(), 1);
    assert!(
        bad[0].error.as_ref().unwrap().contains("0xdead0000"),
        "{:?}",
        bad[0].error
    );
    for g in gs.iter().filter(|g| g.error.is_none()) {
        assert_eq!(&*g.state, "chan receive");
        assert_eq!(g.frames.len(), 1, "{:?}", g.frames);
        assert_eq!(&*g.frames[0].func, "runtime.goexit");
    }
}

#[test]
fn reads_are_batched() {
    let path = common::fixture("grstates", "1.24", "opt");
    let bin = Arc::new(Binary::open(&path).unwrap());
    let rt = GoRuntime::new(Arc::new(Symbols::new(bin.clone()).unwrap())).unwrap();
    let calls = |n: usize| {
        let m = craft(&rt, &bin, n, None);
        let gs = rt.goroutines(&m, 0, &[], &Options::default()).unwrap();
        assert_eq!(gs.len(), n);
        m.read_calls() + m.batch_calls()
    };
    let small = calls(10);
    let large = calls(2000);
    assert_eq!(
        small, large,
        "memory calls must not grow with the goroutine count"
    );
}

#[test]
fn memory_of_another_program_is_a_clear_error() {
    let path = common::fixture("grstates", "1.24", "opt");
    let bin = Arc::new(Binary::open(&path).unwrap());
    let rt = GoRuntime::new(Arc::new(Symbols::new(bin).unwrap())).unwrap();
    let err = rt
        .goroutines(&FakeMemory::new(), 0, &[], &Options::default())
        .unwrap_err();
    assert!(err.to_string().contains("runtime.allgs"), "{err}");
}

#[test]
fn frame_pointer_chain_bridges_code_outside_go() {
    let path = common::fixture("grstates", "1.24", "opt");
    let bin = Arc::new(Binary::open(&path).unwrap());
    let rt = GoRuntime::new(Arc::new(Symbols::new(bin).unwrap())).unwrap();
    let goexit = rt.pclntab().func_by_name("runtime.goexit").unwrap().entry;
    let mut m = FakeMemory::new();
    // A C-like frame: bp -> [saved bp = 0, return address = goexit+1].
    let mut stack = vec![0u8; 0x200];
    stack[0x100..0x108].copy_from_slice(&0u64.to_le_bytes());
    stack[0x108..0x110].copy_from_slice(&(goexit + 1).to_le_bytes());
    m.map(STACKS, stack);
    let start = wslgo::runtime::UnwindStart {
        pc: 0x10,
        sp: STACKS,
        bp: STACKS + 0x100,
        lr: 0,
        exact: true,
    };
    let opts = wslgo::runtime::UnwindOptions {
        max_depth: 64,
        stop_at_user: false,
        main_module: None,
    };
    let st = rt.unwind(&m, 0, start, &opts);
    let names: Vec<&str> = st.frames.iter().map(|f| &*f.func).collect();
    assert_eq!(names, ["?", "runtime.goexit"], "{st:?}");
    assert_eq!(st.sps[1], STACKS + 0x110);
    assert!(st.error.is_none());
    // Without a frame pointer the same start is a clear error, not a guess.
    let st = rt.unwind(&m, 0, wslgo::runtime::UnwindStart { bp: 0, ..start }, &opts);
    assert!(st.frames.is_empty());
    assert!(st.error.unwrap().contains("not in any Go function"));
}

#[test]
fn a_zeroed_allgs_array_is_one_summary_record() {
    let path = common::fixture("grstates", "1.24", "opt");
    let bin = Arc::new(Binary::open(&path).unwrap());
    let rt = GoRuntime::new(Arc::new(Symbols::new(bin.clone()).unwrap())).unwrap();
    let n = 200_000;
    let mut m = craft(&rt, &bin, 3, None);
    let allgs = bin.elf_symbol("runtime.allgs").unwrap().addr;
    m.map(allgs, words(&[ALLGS_ARRAY, n, n]));
    // Three real goroutines, then zeros.
    let mut arr = words(&[GS, GS + rt.layout().g.size, GS + 2 * rt.layout().g.size]);
    arr.resize(n as usize * 8, 0);
    m.map(ALLGS_ARRAY, arr);
    let t0 = std::time::Instant::now();
    let gs = rt.goroutines(&m, 0, &[], &Options::default()).unwrap();
    assert!(t0.elapsed().as_secs_f64() < 1.0, "{:?}", t0.elapsed());
    assert_eq!(gs.len(), 4, "three goroutines and one summary");
    let last = gs[3].error.as_deref().unwrap();
    assert_eq!(
        last,
        "199,997 unreadable records at 0x0 (allgs[3..200000]); runtime.allgs looks corrupt"
    );
    assert!(m.read_calls() < 50, "{} single reads", m.read_calls());
}

#[test]
fn an_allglen_beyond_the_mapped_memory_is_cut_there() {
    let path = common::fixture("grstates", "1.24", "opt");
    let bin = Arc::new(Binary::open(&path).unwrap());
    let rt = GoRuntime::new(Arc::new(Symbols::new(bin.clone()).unwrap())).unwrap();
    let mut m = craft(&rt, &bin, 5, None);
    let allgs = bin.elf_symbol("runtime.allgs").unwrap().addr;
    m.map(allgs, words(&[ALLGS_ARRAY, 50_000_000, 50_000_000]));
    let gs = rt.goroutines(&m, 0, &[], &Options::default()).unwrap();
    assert_eq!(gs.len(), 6);
    assert!(gs[..5].iter().all(|g| g.error.is_none()));
    let end = ALLGS_ARRAY + 5 * 8;
    assert_eq!(
        gs[5].error.as_deref().unwrap(),
        format!("49,999,995 unreadable records past the mapped memory at {end:#x} (allgs[5..50000000]); runtime.allgs looks corrupt")
    );
}

#[test]
fn the_runtime_model_shares_the_programs_pclntab() {
    let path = common::fixture("grstates", "1.24", "opt");
    let syms = Arc::new(Symbols::open(&path).unwrap());
    let rt = GoRuntime::new(syms.clone()).unwrap();
    assert!(Arc::ptr_eq(rt.pclntab(), &syms.pclntab().unwrap()));
    assert!(Arc::ptr_eq(rt.symbols(), &syms));
}

#[test]
fn duplicate_and_garbage_pointers_join_the_unreadable_run() {
    let path = common::fixture("grstates", "1.24", "opt");
    let bin = Arc::new(Binary::open(&path).unwrap());
    let rt = GoRuntime::new(Arc::new(Symbols::new(bin.clone()).unwrap())).unwrap();
    let gsize = rt.layout().g.size;
    let mut m = craft(&rt, &bin, 3, None);
    let allgs = bin.elf_symbol("runtime.allgs").unwrap().addr;
    // g0, g0 again, a pointer to zeros (goid 0: not a goroutine), g1, g2.
    m.map(0x7300_0000, vec![0u8; gsize as usize]);
    m.map(allgs, words(&[ALLGS_ARRAY, 5, 5]));
    m.map(
        ALLGS_ARRAY,
        words(&[GS, GS, 0x7300_0000, GS + gsize, GS + 2 * gsize]),
    );
    let gs = rt.goroutines(&m, 0, &[], &Options::default()).unwrap();
    let goids: Vec<u64> = gs.iter().map(|g| g.goid.0).collect();
    assert_eq!(goids, [1, 0, 2, 3], "{gs:?}");
    assert_eq!(
        gs[1].error.as_deref(),
        Some("2 unreadable records from 0x71000000 (allgs[1..3]); runtime.allgs looks corrupt")
    );
}

#[test]
fn runs_and_duplicates_are_found_across_the_chunks_threads_read() {
    // Goroutines are read a chunk of allgs at a time by several threads: a run of
    // unreadable entries that crosses chunks is still one record, and a pointer listed again
    // in a later chunk is still the duplicate.
    let path = common::fixture("grstates", "1.24", "opt");
    let bin = Arc::new(Binary::open(&path).unwrap());
    let rt = GoRuntime::new(Arc::new(Symbols::new(bin.clone()).unwrap())).unwrap();
    let gsize = rt.layout().g.size;
    let mut m = craft(&rt, &bin, 3, None);
    let n: u64 = 40_000;
    let allgs = bin.elf_symbol("runtime.allgs").unwrap().addr;
    m.map(allgs, words(&[ALLGS_ARRAY, n, n]));
    let mut arr = vec![0u64; n as usize];
    arr[0] = GS;
    arr[1] = GS + gsize;
    arr[20_000] = GS + 2 * gsize; // in the third chunk, alone among zeros
    arr[30_000] = GS; // listed again
    m.map(ALLGS_ARRAY, words(&arr));
    let gs = rt.goroutines(&m, 0, &[], &Options::default()).unwrap();
    let goids: Vec<u64> = gs.iter().map(|g| g.goid.0).collect();
    assert_eq!(goids, [1, 2, 0, 3, 0], "{gs:?}");
    let errs: Vec<&str> = gs.iter().filter_map(|g| g.error.as_deref()).collect();
    // The duplicate (allgs[30000]) joins the zeros around it, as in one chunk.
    assert_eq!(
        errs,
        [
            "19,998 unreadable records at 0x0 (allgs[2..20000]); runtime.allgs looks corrupt",
            "19,999 unreadable records from 0x0 (allgs[20001..40000]); runtime.allgs looks corrupt",
        ]
    );
}

/// A target over crafted memory: goroutines 1..=5 parked in "chan receive" at
/// runtime.goexit+1, the third one's g pointer bogus; goroutine 4 waiting since t=1000.
fn fake_target() -> wslgo::runtime::target::Target {
    let path = common::fixture("grstates", "1.24", "opt");
    let bin = Arc::new(Binary::open(&path).unwrap());
    let syms = Arc::new(Symbols::new(bin.clone()).unwrap());
    let rt = GoRuntime::new(syms.clone()).unwrap();
    let mut m = craft(&rt, &bin, 5, Some(2));
    let lay = rt.layout();
    assert!(m.poke(
        GS + 3 * lay.g.size + lay.g.waitsince,
        &1000u64.to_le_bytes()
    ));
    wslgo::runtime::target::Target::with_memory(syms, Box::new(m), 0).unwrap()
}

fn snap(t: &wslgo::runtime::target::Target) -> wslgo::runtime::target::Snapshot {
    use wslgo::runtime::target::{Scope, SnapshotOptions};
    let o = SnapshotOptions {
        include_dead: false,
        current_tid: None,
        max_depth: 64,
        scope: Scope::All,
        panics: true,
        waits: false,
    };
    t.snapshot(&[], &o).unwrap()
}

fn text(s: &wslgo::runtime::target::Snapshot, view: &View) -> String {
    wslgo::views::render_text(s, view, None).0
}

#[test]
fn every_view_of_a_fake_target() {
    let t = fake_target();
    let s = snap(&t);
    // the frame the unwinder found (goexit+1, a top frame): what each view shows
    let f: Frame = s.goroutine(GoId(1)).unwrap().frames[0].clone();
    assert_eq!(&*f.func, "runtime.goexit");
    let bad = 0xdead_0000u64;
    let short = f.file.rsplit("/src/").next().unwrap().to_string();
    let err = s.gs.iter().find_map(|g| g.error.clone()).unwrap();
    assert!(err.contains(&format!("{bad:#x}")), "{err}");
    assert_eq!(
        wslgo::views::summary(s.gs.iter(), &s.others),
        "5 goroutines (0 system, 1 unreadable)"
    );
    // list: by goid, the unreadable record among them (goid 0)
    let loc = format!("runtime.goexit at {short}:{}", f.line);
    let list = text(&s, &View::new(Mode::List));
    let want: Vec<String> = [
        format!("       0 [unreadable] {err}"),
        format!("       1 [chan receive] {loc}"),
        format!("       2 [chan receive] {loc}"),
        format!("       4 [chan receive] {loc}"),
        format!("       5 [chan receive] {loc}"),
    ]
    .into();
    assert_eq!(list, want.join("\n"));
    // full: runtime.Stack's blocks
    let full = text(&s, &View::new(Mode::Full));
    let block = |id: u64| {
        format!(
            "goroutine {id} [chan receive]:\nruntime.goexit()\n\t{}:{} +{:#x}",
            f.file,
            f.line,
            f.pc.0 - f.entry.0
        )
    };
    assert!(
        full.ends_with(&format!("{}\n\n{}", block(4), block(5))),
        "{full}"
    );
    assert!(full.starts_with(&format!("goroutine 0 [unreadable]:\n\t(unreadable: {err})")));
    // group: the four readable ones together, the larger group first
    let group = text(&s, &View::new(Mode::Group));
    assert_eq!(
        group,
        format!(
            "4 goroutines [chan receive]: 1, 2, 4, 5\n    runtime.goexit  {short}:{}\n\n\
             1 goroutine [unreadable: {err}]: 0",
            f.line
        )
    );
    // default: no current goroutine, then one line per group
    let mut v = View::new(Mode::Default);
    v.no_goroutine = "no current goroutine".into();
    assert_eq!(
        text(&s, &v),
        format!(
            "no current goroutine\n\nother goroutines: 5 in 2 groups\n{}\n{}",
            format_args!("       4 [chan receive] {loc}  ids: 1, 2, 4, 5"),
            format_args!("       1 [unreadable: {err}] ?  ids: 0")
        )
    );
    // JSON and JSON Lines: the same goroutines, parsed back
    for pretty in [false, true] {
        let doc: serde_json::Value = serde_json::from_str(&text(
            &s,
            &View::new(Mode::Json {
                grouped: false,
                pretty,
            }),
        ))
        .unwrap();
        let ids: Vec<u64> = doc["goroutines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["goid"].as_u64().unwrap_or(0))
            .collect();
        assert_eq!(ids, [0, 1, 2, 4, 5]);
        assert_eq!(doc["goroutines"][1]["frames"][0]["func"], "runtime.goexit");
    }
    let jsonl = text(&s, &View::new(Mode::Jsonl { grouped: false }));
    assert_eq!(jsonl.lines().count(), 5);
    let groups = text(&s, &View::new(Mode::Jsonl { grouped: true }));
    let first: serde_json::Value = serde_json::from_str(groups.lines().next().unwrap()).unwrap();
    assert_eq!(first["goids"], serde_json::json!([1, 2, 4, 5]));
    let doc: serde_json::Value = serde_json::from_str(&text(
        &s,
        &View::new(Mode::Json {
            grouped: true,
            pretty: false,
        }),
    ))
    .unwrap();
    assert_eq!(doc["buckets"].as_array().unwrap().len(), 2);
    // info goroutines: runtime-gdb.py's columns, by goid
    let info = text(&s, &View::new(Mode::InfoGoroutines));
    assert_eq!(
        info.lines().nth(2).unwrap(),
        format!("  2 waiting  {loc}"),
        "{info}"
    );
    assert!(
        info.starts_with(&format!("  0 unreadable {err}\n")),
        "{info}"
    );
    // the stop context: no current goroutine, the counts
    assert_eq!(
        wslgo::views::brief(s.gs.iter(), &s.others, 6, &Style::default()),
        "5 goroutines (0 system, 1 unreadable): `wslgo-bt` for a summary of the others, \
         `wslgo-bt all` for every stack"
    );
}

#[test]
fn filters_of_a_fake_target() {
    let t = fake_target();
    let s = snap(&t);
    let shown = |flt: Filter| {
        let v = View {
            filter: flt,
            ..View::new(Mode::List)
        };
        let (text, r) = wslgo::views::render_text(&s, &v, None);
        let ids: Vec<u64> = text
            .lines()
            .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
            .collect();
        (ids, r.missing, r.relative)
    };
    let all = Filter::default;
    assert_eq!(shown(all()).0, [0, 1, 2, 4, 5]);
    let states = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        shown(Filter {
            states: states(&["CHAN"]),
            ..all()
        })
        .0,
        [1, 2, 4, 5]
    );
    assert_eq!(
        shown(Filter {
            waits: states(&["send"]),
            ..all()
        })
        .0,
        Vec::<u64>::new()
    );
    assert_eq!(
        shown(Filter {
            func: Some(wslgo::views::func_regex(r"^runtime\.goexit$").unwrap()),
            ..all()
        })
        .0,
        [1, 2, 4, 5]
    );
    assert_eq!(
        shown(Filter {
            func: Some(wslgo::views::func_regex(r"\.s:\d+$").unwrap()),
            ..all()
        })
        .0,
        [1, 2, 4, 5]
    );
    assert_eq!(
        shown(Filter {
            labels: states(&["k"]),
            ..all()
        })
        .0,
        Vec::<u64>::new()
    );
    assert_eq!(
        shown(Filter {
            user_only: true,
            ..all()
        })
        .0,
        Vec::<u64>::new()
    );
    let (ids, missing, _) = shown(Filter {
        goids: [2, 3, 99].map(GoId).into(),
        ..all()
    });
    assert_eq!((ids, missing), (vec![2], [3, 99].map(GoId).into()));
    // waits measured from the newest timestamp (goroutine 4's), relative
    let (ids, _, relative) = shown(Filter {
        min_wait: Some(0),
        ..all()
    });
    assert_eq!(ids, [4]);
    assert!(relative);
    let v = View {
        filter: Filter {
            min_wait: Some(500),
            ..all()
        },
        ..View::new(Mode::List)
    };
    let (text, r) = wslgo::views::render_text(&s, &v, Some(1600));
    assert!(!r.relative);
    assert!(text.trim_start().starts_with("4 "), "{text}");
}

#[test]
fn a_view_marks_the_goroutine_it_is_told_is_current() {
    let t = fake_target();
    let s = snap(&t);
    // no thread given: the snapshot marks none; the view marks goroutine 4 (gdb's
    // `wslgo-goroutine 4`), lists it first, and the default view shows its stack
    assert!(s.gs.iter().all(|g| !g.current));
    let mut v = View::new(Mode::List);
    v.current_goid = Some(4);
    let list = text(&s, &v);
    let first = list.lines().next().unwrap();
    assert!(first.starts_with("*      4 ["), "{list}");
    assert_eq!(list.matches('*').count(), 1, "{list}");
    let mut d = View::new(Mode::Default);
    d.current_goid = Some(4);
    assert!(
        text(&s, &d).starts_with("goroutine 4 [chan receive]:\n"),
        "{}",
        text(&s, &d)
    );
    // an id the snapshot lacks marks none
    v.current_goid = Some(99);
    assert!(!text(&s, &v).contains('*'));
}

#[test]
fn streamed_views_are_the_text_views() {
    let t = fake_target();
    let s = snap(&t);
    let modes = [
        Mode::List,
        Mode::Full,
        Mode::Group,
        Mode::InfoGoroutines,
        Mode::Jsonl { grouped: false },
    ];
    for mode in modes {
        let v = View::new(mode);
        let mut got = String::new();
        let r = wslgo::views::render_streamed(&s, &v, None, |chunk| {
            got.push_str(&chunk);
            Ok::<(), ()>(())
        })
        .unwrap();
        let (want, wr) = wslgo::views::render_text(&s, &v, None);
        assert_eq!((got, r), (want, wr), "{mode:?}");
    }
    // the writer's error stops the view and is the one returned
    let r = wslgo::views::render_streamed(&s, &View::new(Mode::Full), None, |_| Err("closed"));
    assert!(
        matches!(r, Err(wslgo::views::Stopped::Write("closed"))),
        "{r:?}"
    );
    // a state filter naming no state of the program: a clear error, nothing written
    let v = View {
        filter: Filter {
            states: vec!["sleeping-beauty".into()],
            ..Filter::default()
        },
        ..View::new(Mode::List)
    };
    let mut wrote = false;
    let r = wslgo::views::render_streamed(&s, &v, None, |_| {
        wrote = true;
        Ok::<(), ()>(())
    });
    match r {
        Err(wslgo::views::Stopped::Failed(e)) => {
            assert!(e.to_string().contains("no goroutine state"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert!(!wrote);
}

#[test]
fn target_facts_of_a_fake_target() {
    let t = fake_target();
    let i = t.info();
    assert_eq!(i.load_bias, 0);
    assert_eq!(i.g_size, t.runtime().layout().g.size);
    assert_eq!(i.layout, "dwarf");
    assert!(i.layout_exact);
    assert!(i.go_version.unwrap().starts_with("go1.24"));
    // no thread runs a goroutine without a thread to ask about
    assert!(t.current_goroutine(&[], None).unwrap().is_none());
    // the crafted goroutines are parked, none panicking; the bogus g cannot be read
    let gsize = t.runtime().layout().g.size;
    let lines = t.panic_lines(&[GS, GS + gsize]).unwrap();
    assert_eq!(lines, [None, None]);
    assert!(t.panic_lines(&[0xdead_0000]).is_err());
}

/// Every goroutine view of the fixture-based target, byte for byte, against golden files in
/// `tests/snapshots/` (insta): frames, pcs and entries come from the real `grstates` binary
/// of the pinned Go 1.24, the rest from the crafted memory, so a change to any view's bytes
/// fails here with a diff (`INSTA_UPDATE=always` rewrites the files, after a view change
/// that is meant or a new 1.24 pin). GOROOT, which is a path on this machine, shows as
/// `$GOROOT`.
#[test]
fn every_view_of_a_fixture_target_matches_its_golden_file() {
    let t = fake_target();
    let s = snap(&t);
    let goroot = common::go("1.24")
        .parent()
        .and_then(std::path::Path::parent)
        .expect("GOROOT of the go command")
        .display()
        .to_string();
    for name in Mode::NAMES {
        let mut v = View::new(Mode::parse(name, name == "json").expect("a mode"));
        v.no_goroutine = "no current goroutine".into();
        let out = text(&s, &v).replace(&goroot, "$GOROOT");
        insta::assert_snapshot!(format!("fixture-view-{name}"), out);
    }
    let mut top = View::new(Mode::Full);
    top.depth = Some(1);
    top.style.top = true;
    top.style.now = Some(2000);
    insta::assert_snapshot!(
        "fixture-view-full-top",
        text(&s, &top).replace(&goroot, "$GOROOT")
    );
}
