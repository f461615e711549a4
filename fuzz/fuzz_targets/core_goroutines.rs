//! A fixed Go binary and its core, patched by the input -> CoreFile::open + goroutine
//! enumeration + the panic and fatal-error reading + the wait analysis (semtable treaps,
//! sudog chains, hchans, notify lists, spans, stack scans; its text and JSON) + the leak
//! check (arenas, span index, conservative marking; its summary and JSON) + every view
//! of the snapshot (filtered and not, with `waits_on`) + its pprof profiles, its saved
//! snapshot form and the diff of that with itself, and the HTML report page + unwinding of
//! every core thread.
//!
//! The input is a list of patches `[u32 LE offset][u8 len][len bytes]` applied to the seed
//! core (offsets modulo its length), so mutations reach the notes, allgs, the g structs and
//! the stacks of a real core instead of being rejected as a non-ELF blob. The seed pair comes
//! from `$WSLGO_FUZZ_BIN` / `$WSLGO_FUZZ_CORE` (default `corpus/core_seed/{binary,core}`,
//! written by seeds.sh).
#![no_main]

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use wslgo::binary::Binary;
use wslgo::mem::CoreFile;
use wslgo::pprof::goroutines::ExtraLabels;
use wslgo::runtime::leaks::{LeakModel, Leaks};
use wslgo::runtime::target::{Scope, Snapshot, Target};
use wslgo::runtime::waits::WaitModel;
use wslgo::runtime::{
    fatal, Census, GoRuntime, Goroutines, Options, ThreadRegs, UnwindOptions, UnwindStart,
};
use wslgo::symbols::Symbols;
use wslgo::views::report::ReportOptions;
use wslgo::views::snapfile::Saved;
use wslgo::views::{self, Filter, Mode, Sink, View};

struct Seed {
    bin: Arc<Binary>,
    rt: GoRuntime,
    waits: Option<WaitModel>,
    leaks: Option<LeakModel>,
    core: Vec<u8>,
    scratch: PathBuf,
    file: File,
}

fn seed() -> &'static Seed {
    static SEED: OnceLock<Seed> = OnceLock::new();
    SEED.get_or_init(|| {
        let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
        let bin_path = var("WSLGO_FUZZ_BIN", "corpus/core_seed/binary");
        let core_path = var("WSLGO_FUZZ_CORE", "corpus/core_seed/core");
        let bin = Arc::new(Binary::open(&bin_path).expect("seed binary (run seeds.sh)"));
        let syms = Arc::new(Symbols::new(bin.clone()).expect("seed binary's symbols"));
        let rt = GoRuntime::new(syms).expect("seed binary is a Go binary");
        let waits = WaitModel::new(&rt).ok();
        let leaks = LeakModel::new(&rt).ok();
        let core = std::fs::read(&core_path).expect("seed core (run seeds.sh)");
        let dir = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let path = dir.join(format!("wslgo-fuzz-core.{}", std::process::id()));
        std::fs::write(&path, &core).expect("write the scratch core");
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open the scratch core");
        // Unlinked at once (no 40 MB file left per fuzzing process); opened again through
        // the descriptor's /proc path.
        std::fs::remove_file(&path).expect("unlink the scratch core");
        let scratch = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        Seed {
            bin,
            rt,
            waits,
            leaks,
            core,
            scratch,
            file,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = seed();
    let n = s.core.len();
    // The scratch file holds the seed core; patch it in place and put the bytes back after
    // the run (a 40 MB rewrite per input would dominate the run time).
    let mut patches: Vec<(usize, &[u8])> = Vec::new();
    let mut rest = data;
    while rest.len() >= 5 && n > 0 {
        let off = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize % n;
        let len = usize::from(rest[4]);
        rest = &rest[5..];
        let take = len.min(rest.len()).min(n - off);
        patches.push((off, &rest[..take]));
        rest = &rest[len.min(rest.len())..];
    }
    for (off, bytes) in &patches {
        s.file
            .write_all_at(bytes, *off as u64)
            .expect("patch the scratch core");
    }
    run(s);
    for (off, bytes) in &patches {
        let orig = &s.core[*off..*off + bytes.len()];
        s.file
            .write_all_at(orig, *off as u64)
            .expect("restore the scratch core");
    }
});

fn run(s: &Seed) {
    let Ok(cf) = CoreFile::open(&s.scratch, s.bin.clone()) else {
        return;
    };
    let threads: Vec<ThreadRegs> = cf.threads().iter().map(ThreadRegs::from).collect();
    let bias = cf.load_bias();
    let opts = Options {
        max_depth: 64,
        current_tid: threads.first().map(|t| t.tid),
        ..Options::default()
    };
    if let Ok(mut gs) = s.rt.goroutines(&cf, bias, &threads, &opts) {
        let mut wait_errors = Vec::new();
        let mut leaks: Option<Leaks> = None;
        if let Some(m) = &s.waits {
            let t = s.rt.target(&cf, bias);
            let w = m.analyze(&s.rt, &t, &gs);
            if let Some(lm) = &s.leaks {
                let st = &s.rt.layout().status;
                let l = lm.find_with(&t, &gs, &w, st.waiting, st.scan);
                let _ = views::leaks::summary(&l);
                leaks = Some(l);
            }
            let _ = views::waits::text(&w, None);
            let _ = views::waits::json(&w, Some(1));
            if let Some(g) = gs.first() {
                let _ = views::waits::chain_text(&w, g.goid.0);
            }
            let (on, errors) = m.waits_on(&s.rt, &t, gs.iter());
            for (i, o) in on {
                if let Some(g) = gs.get_mut(i) {
                    g.waits_on.push(o);
                }
            }
            wait_errors = errors;
        }
        let mut gs = Goroutines::from(gs);
        let pl = wslgo::runtime::panic::PanicLayout::new(s.rt.symbols(), s.rt.pclntab().go_minor());
        for g in gs.iter_mut() {
            if g.error.is_none() && g.panic_ptr != 0 {
                g.panic = pl.chain(&cf, bias, g.panic_ptr).ok();
            }
        }
        let fatal = cf
            .threads()
            .first()
            .and_then(|t| fatal::core_fatal_error(&s.rt, &cf, bias, t, &mut gs));
        let snap = Snapshot {
            gs,
            others: Census::default(),
            scope: Scope::All,
            include_dead: false,
            fatal,
            state_names: Vec::new(),
            wait_errors,
        };
        if let Some(l) = &leaks {
            let _ = views::leaks::text(&snap, l);
            let _ = views::leaks::json(&snap, l);
        }
        let mut discard = |_: &str| -> Result<(), ()> { Ok(()) };
        let mut sink = Sink::new(&mut discard);
        let modes = [
            Mode::List,
            Mode::Full,
            Mode::Group,
            Mode::Default,
            Mode::Json {
                grouped: false,
                pretty: true,
            },
            Mode::Json {
                grouped: true,
                pretty: false,
            },
            Mode::Jsonl { grouped: false },
            Mode::Jsonl { grouped: true },
            Mode::InfoGoroutines,
        ];
        let filtered = Filter {
            states: vec!["chan".into()],
            func: views::func_regex(r"main\.").ok(),
            labels: vec!["k".into()],
            goids: [1, 2, 3].map(wslgo::ids::GoId).into(),
            min_wait: Some(1),
            ..Filter::default()
        };
        for mode in modes {
            for (filter, depth) in [(Filter::default(), None), (filtered.clone(), Some(3))] {
                let view = View {
                    filter,
                    depth,
                    ..View::new(mode)
                };
                let _ = views::render(&snap, &view, None, &mut sink);
            }
        }
        let _ = views::brief(snap.gs.iter(), &snap.others, 6, &Default::default());
        let _ = views::summary(snap.gs.iter(), &snap.others);
        let _ = sink.finish();
        // The snapshot as data: its goroutine and goroutineleak profiles, its saved form
        // (written, read back and compared with itself), and the HTML report's page.
        let saved = Saved::of(&snap, "bin".into(), String::new(), 1, Some(2));
        if let Ok(back) = Saved::read(saved.to_bytes().as_slice()) {
            let d = views::diff::diff(&saved, &back);
            let _ = views::diff::render_text(&d, true);
            let _ = views::diff::render_json(&d, true);
        }
        if let Ok(t) = Target::core(s.rt.symbols().clone(), &s.scratch) {
            let both = ExtraLabels {
                state: true,
                wait: true,
            };
            let _ = views::pprof::goroutine_profile(&t, &snap, 1, both);
            if let Some(l) = &leaks {
                let _ = views::pprof::goroutineleak_profile(&t, &snap, &l.goids(), 1);
            }
            let opts2 = ReportOptions::default();
            if let Ok(page) = views::report::build(&t, &threads, opts.current_tid, &opts2) {
                let _ = views::report::page(&page);
            }
        }
    }
    for t in threads.iter().take(4) {
        let start = UnwindStart {
            pc: t.pc,
            sp: t.sp,
            bp: t.bp,
            lr: 0,
            exact: true,
        };
        let opts = UnwindOptions {
            max_depth: 64,
            ..UnwindOptions::default()
        };
        let _ = s.rt.unwind(&cf, bias, start, &opts);
    }
}
