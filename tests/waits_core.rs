//! `wslgo waits` facts on a core of tests/go/waits (written by gcore while the program
//! sleeps with its goroutines parked), against what the program printed about itself:
//! every blocked goroutine's object (address and kind), each object's waiters, the
//! goroutine that can unblock it, and the AB-BA cycle; and the same core with corrupt hchan,
//! sudog and semtable memory. Versions from WSLGO_GO_VERSIONS.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use wslgo::binary::Binary;
use wslgo::mem::CoreFile;
use wslgo::runtime::stackscan::StackScanner;
use wslgo::runtime::waits::{ChainEnd, Place, WaitModel, Waits};
use wslgo::runtime::{GoRuntime, Options, RegsSource, ThreadRegs};
use wslgo::symbols::Symbols;

/// What the fixture printed.
#[derive(Default, Debug)]
struct Told {
    /// name -> (kind, address).
    objects: BTreeMap<String, (String, u64)>,
    /// (goid, op, object name).
    waiters: BTreeSet<(u64, String, String)>,
    /// object name -> goids that can unblock it.
    holders: BTreeMap<String, BTreeSet<u64>>,
    sleepers: BTreeSet<u64>,
}

/// Run the fixture until it is ready, write its core with gcore, kill it.
fn core_of(binary: &Path, dir: &Path) -> (PathBuf, Told) {
    let mut child = Command::new(binary)
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the fixture");
    let mut told = Told::default();
    let out = child.stdout.take().expect("stdout");
    for line in BufReader::new(out).lines() {
        let line = line.expect("line");
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            ["ready"] => break,
            ["object", name, kind, addr] => {
                let a = u64::from_str_radix(addr.trim_start_matches("0x"), 16).expect("addr");
                told.objects.insert(name.to_string(), (kind.to_string(), a));
            }
            ["waiter", g, op, name] => {
                told.waiters
                    .insert((g.parse().expect("goid"), op.to_string(), name.to_string()));
            }
            ["holder", g, name] => {
                told.holders
                    .entry(name.to_string())
                    .or_default()
                    .insert(g.parse().expect("goid"));
            }
            ["sleeper", g] => {
                told.sleepers.insert(g.parse().expect("goid"));
            }
            _ => {}
        }
    }
    let prefix = dir.join("core");
    let st = Command::new("gcore")
        .arg("-o")
        .arg(&prefix)
        .arg(child.id().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("gcore");
    let _ = child.kill();
    let _ = child.wait();
    assert!(st.success(), "gcore failed");
    (dir.join(format!("core.{}", child.id())), told)
}

fn analyze(binary: &Path, core: &Path) -> Waits {
    let bin = Arc::new(Binary::open(binary).unwrap());
    let rt = GoRuntime::new(Arc::new(Symbols::new(bin.clone()).unwrap())).unwrap();
    let cf = CoreFile::open(core, bin).unwrap();
    let threads: Vec<ThreadRegs> = cf.threads().iter().map(ThreadRegs::from).collect();
    let bias = cf.load_bias();
    let gs = rt
        .goroutines(&cf, bias, &threads, &Options::default())
        .unwrap();
    let t = rt.target(&cf, bias);
    // Every parked goroutine's stack is read through its stack maps, frame by frame: no
    // frame and no part of a stack is taken word by word (where stale slots would be
    // taken for references).
    let mut scanner = StackScanner::new(Some(rt.pclntab()), rt.arch());
    for g in gs
        .iter()
        .filter(|g| g.regs == RegsSource::Sched && g.error.is_none())
    {
        let st = scanner
            .scan(&t, g, u64::MAX, &mut |_| {})
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (st.conservative_frames, st.tail_bytes),
            (0, 0),
            "goroutine {} ({:?}): {st:?}",
            g.goid,
            g.frames
                .iter()
                .map(|f| f.func.to_string())
                .collect::<Vec<_>>()
        );
        assert!(st.precise_frames > 0, "goroutine {}", g.goid);
    }
    let model = WaitModel::new(&rt).unwrap();
    model.analyze(&rt, &t, &gs)
}

fn check(v: &str, mode: &str) {
    let binary = common::fixture("waits", v, mode);
    // (the process id: checkouts may share the target dir, scripts/test's cache)
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("waits-{v}-{mode}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (core, told) = core_of(&binary, &dir);
    let w = analyze(&binary, &core);
    let _ = std::fs::remove_dir_all(&dir);
    let ctx = format!("Go {v} {mode}:\n{}", wslgo::views::waits::text(&w, None));
    assert!(w.errors.is_empty(), "{ctx}");
    let by_addr: BTreeMap<u64, &wslgo::runtime::waits::Object> =
        w.objects.iter().map(|o| (o.addr, o)).collect();
    let addr_of = |name: &str| -> u64 {
        if name == "nilchan" {
            return 0;
        }
        told.objects[name].1
    };
    // Every waiter the program named is a waiter of its object, with its op; and the
    // kinds agree.
    let mut expected: BTreeMap<u64, BTreeSet<(u64, String)>> = BTreeMap::new();
    for (g, op, name) in &told.waiters {
        expected
            .entry(addr_of(name))
            .or_default()
            .insert((*g, op.clone()));
    }
    for (addr, ws) in &expected {
        let o = by_addr
            .get(addr)
            .unwrap_or_else(|| panic!("no object {addr:#x}\n{ctx}"));
        let got: BTreeSet<(u64, String)> = o
            .waiters
            .iter()
            .map(|x| (x.goid, x.op.as_str().to_string()))
            .collect();
        assert_eq!(&got, ws, "waiters of {addr:#x}\n{ctx}");
    }
    for (name, (kind, addr)) in &told.objects {
        if let Some(o) = by_addr.get(addr) {
            assert_eq!(o.kind.as_str(), kind, "{name}\n{ctx}");
        }
    }
    // No object beyond those, and sleepers wait on nothing.
    let named: BTreeSet<u64> = expected.keys().copied().collect();
    let found: BTreeSet<u64> = by_addr.keys().copied().collect();
    assert_eq!(found, named, "objects\n{ctx}");
    for g in &told.sleepers {
        assert!(!w.waits_on.contains_key(g), "sleeper {g}\n{ctx}");
    }
    // Suspects: the goroutine the program says can unblock each object is among them, and
    // exactly it where the program named one (the never-closed channel: nobody).
    for addr in expected.keys() {
        let name = told
            .objects
            .iter()
            .find(|(_, (_, a))| a == addr)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| "nilchan".into());
        let o = by_addr[addr];
        let got: BTreeSet<u64> = o.suspects.iter().map(|s| s.goid).collect();
        let want = told.holders.get(&name).cloned().unwrap_or_default();
        if name.starts_with("abba_") {
            // The other side of the deadlock.
            let other: BTreeSet<u64> = told
                .waiters
                .iter()
                .filter(|(_, _, n)| n.starts_with("abba_") && *n != name)
                .map(|(g, _, _)| *g)
                .collect();
            assert_eq!(got, other, "suspects of {name}\n{ctx}");
        } else if matches!(name.as_str(), "sela" | "selb" | "nilchan") {
            assert!(got.is_empty(), "suspects of {name}\n{ctx}");
        } else {
            assert_eq!(got, want, "suspects of {name}\n{ctx}");
        }
        for s in &o.suspects {
            assert!(s.func.starts_with("main."), "{s:?}\n{ctx}");
            assert!(s.file.ends_with("main.go") && s.line > 0, "{s:?}\n{ctx}");
        }
        if *addr != 0 {
            assert!(matches!(o.place, Place::Heap { .. }), "{name}\n{ctx}");
        }
    }
    // Channel state.
    let unbuf = by_addr[&addr_of("unbuf")]
        .chan
        .clone()
        .expect("unbuf state");
    assert_eq!((unbuf.len, unbuf.cap, unbuf.closed), (0, 0, false), "{ctx}");
    assert_eq!(unbuf.send_waiting, 50, "{ctx}");
    assert_eq!(unbuf.elem_type.as_deref(), Some("int"), "{ctx}");
    let selb = by_addr[&addr_of("selb")].chan.clone().expect("selb state");
    assert_eq!((selb.cap, selb.recv_waiting), (3, 1), "{ctx}");
    assert_eq!(selb.elem_type.as_deref(), Some("string"), "{ctx}");
    // The one cycle: the AB-BA pair through both mutexes.
    let abba: Vec<u64> = told
        .waiters
        .iter()
        .filter(|(_, _, n)| n.starts_with("abba_"))
        .map(|(g, _, _)| *g)
        .collect::<BTreeSet<u64>>()
        .into_iter()
        .collect();
    assert_eq!(w.cycles.len(), 1, "{ctx}");
    assert_eq!(w.cycles[0].goids, abba, "{ctx}");
    let mut objs = vec![addr_of("abba_a"), addr_of("abba_b")];
    objs.sort_unstable();
    assert_eq!(w.cycles[0].objects, objs, "{ctx}");

    // Chains: a sender -> the receiver -> the mutex holder -> the WaitGroup's worker ->
    // the channel nobody can close; an AB-BA goroutine -> a cycle; a Cond waiter -> the
    // goroutine that would signal it, asleep.
    let one = |name: &str| -> u64 { *told.holders[name].iter().next().expect("holder") };
    let sender = told
        .waiters
        .iter()
        .find(|(_, op, n)| op == "send" && n == "unbuf")
        .map(|(g, _, _)| *g)
        .expect("a sender");
    let (steps, end) = w.chain(sender);
    let path: Vec<u64> = steps.iter().map(|s| s.goid).collect();
    assert_eq!(
        path,
        vec![sender, one("unbuf"), one("chainmu"), one("wg")],
        "{ctx}"
    );
    assert_eq!(end, ChainEnd::Nobody(addr_of("never")), "{ctx}");
    let (_, end) = w.chain(abba[0]);
    assert_eq!(end, ChainEnd::Cycle(abba[0]), "{ctx}");
    let cond_waiter = told
        .waiters
        .iter()
        .find(|(_, _, n)| n == "cond")
        .map(|(g, _, _)| *g)
        .expect("a cond waiter");
    let (steps, end) = w.chain(cond_waiter);
    assert_eq!(steps.len(), 1, "{ctx}");
    assert_eq!(end, ChainEnd::NotBlocked(one("cond")), "{ctx}");
    assert_eq!(w.chain(999_999).1, ChainEnd::NoSuchGoroutine(999_999));
}

#[test]
fn waits_on_a_core_match_what_the_program_printed() {
    for v in common::versions() {
        for mode in ["debug", "opt", "nodwarf", "stripped"] {
            check(&v, mode);
        }
    }
}

/// Corrupt hchan, sudog and semtable memory in a real core: each unreadable part is one
/// error line, the walks end, and the other objects are still reported.
#[test]
fn corrupt_wait_memory_is_one_line_each_and_the_rest_is_reported() {
    for v in common::versions() {
        corrupt(&v);
    }
}

fn corrupt(v: &str) {
    use wslgo::runtime::waits_layout::sema_root_index;
    let binary = common::fixture("waits", v, "debug");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("waits-corrupt-{v}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (core, told) = core_of(&binary, &dir);
    let bin = Arc::new(Binary::open(&binary).unwrap());
    let rt = GoRuntime::new(Arc::new(Symbols::new(bin.clone()).unwrap())).unwrap();
    let cf = CoreFile::open(&core, bin).unwrap();
    let threads: Vec<ThreadRegs> = cf.threads().iter().map(ThreadRegs::from).collect();
    let bias = cf.load_bias();
    let gs = rt
        .goroutines(&cf, bias, &threads, &Options::default())
        .unwrap();
    let model = WaitModel::new(&rt).unwrap();
    let l = model.layout();
    let obj = |n: &str| told.objects[n].1;
    let mut m = common::Patched::new(&cf);
    // "unbuf": 5 elements in a buffer of 0.
    m.word(obj("unbuf") + l.hchan.qcount, 5);
    // "never": its receive queue starts at an unmapped address.
    m.word(obj("never") + l.hchan.recvq, 0x18);
    // A sender's g.waiting sudog links to itself.
    let sender = told
        .waiters
        .iter()
        .find(|(_, _, n)| n == "unbuf")
        .unwrap()
        .0;
    let sg = gs.iter().find(|g| g.goid.0 == sender).unwrap();
    let sudog = sg.waiting;
    m.word(sudog + l.sudog.waitlink, sudog);
    // abba_a's semtable root points at an unmapped sudog.
    let (table, size) = model.globals(bias).semtable.unwrap();
    let root = sema_root_index(obj("abba_a") + l.sync.mutex_sema);
    m.word(table + root * (size / 251) + l.sema_treap, 0x28);
    let w = model.analyze(&rt, &rt.target(&m, bias), &gs);
    let ctx = format!("Go {v}:\n{}", wslgo::views::waits::text(&w, None));
    let count = |s: &str| w.errors.iter().filter(|e| e.contains(s)).count();
    assert_eq!(count("elements in a buffer of 0"), 1, "{ctx}");
    assert_eq!(
        count(&format!("channel {:#x} recvq", obj("never"))),
        1,
        "{ctx}"
    );
    assert_eq!(
        count(&format!("goroutine {sender}: the g.waiting chain loops")),
        1,
        "{ctx}"
    );
    assert_eq!(
        count(&format!("semtable root {root}: cannot read")),
        1,
        "{ctx}"
    );
    assert_eq!(w.errors.len(), 4, "{ctx}");
    // The rest: the RWMutex, the Cond, the select and the other senders.
    let waiters = |n: &str| {
        w.objects
            .iter()
            .find(|o| o.addr == obj(n))
            .map(|o| o.waiters.len())
    };
    assert_eq!(waiters("rw"), Some(4), "{ctx}");
    assert_eq!(waiters("cond"), Some(3), "{ctx}");
    assert_eq!(waiters("unbuf"), Some(50), "{ctx}");
    assert!(waiters("abba_b").is_some(), "{ctx}");
    let _ = std::fs::remove_dir_all(&dir);
}
