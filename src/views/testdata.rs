//! Fake goroutines, waits and leaks for the views' tests: no program, no memory, every
//! field chosen, so the report's and the golden files' bytes depend on the views alone.

use std::sync::Arc;

use crate::runtime::leaks::{Cause, Leaked, Leaks};
use crate::runtime::target::{Scope, Snapshot};
use crate::runtime::waits::{Cycle, Kind, Object, Op, Place, Suspect, Waiter, Waits};
use crate::runtime::{Census, Frame, Goroutine, Location};

pub(crate) const EVIL: &str = "<img src=x onerror=alert(1)>";

pub(crate) fn frame(func: &str, file: &str, line: u32) -> Frame {
    Frame {
        pc: crate::ids::Pc(1),
        func: Arc::from(func),
        file: Arc::from(file),
        line,
        inlined: false,
        entry: crate::ids::Pc(0),
        wrapper: false,
    }
}

pub(crate) fn g(goid: u64, state: &str, func: &str) -> Goroutine {
    let mut g = Goroutine::unreadable(0, String::new());
    g.error = None;
    g.goid = crate::ids::GoId(goid);
    g.state = state.into();
    g.status_name = "waiting".into();
    g.frames = vec![
        frame("runtime.gopark", "/usr/lib/go/src/runtime/proc.go", 435),
        frame(func, "/home/u/p/main.go", 17),
    ]
    .into();
    g.user_frame = Some(1);
    g.go_statement = Some(Arc::new(Location {
        func: "main.main".into(),
        file: "/home/u/p/main.go".into(),
        line: 9,
        pc: crate::ids::Pc(1),
    }));
    g
}

pub(crate) fn snapshot(gs: Vec<Goroutine>) -> Snapshot {
    Snapshot {
        gs: gs.into(),
        others: Census::default(),
        scope: Scope::All,
        include_dead: false,
        fatal: None,
        state_names: Vec::new(),
        wait_errors: Vec::new(),
    }
}

/// Goroutines 1 (running, panicking), 5..=9 and 11 (one group), 20 and 21 (an AB-BA
/// deadlock, labelled with markup), and waits with the cycle.
pub(crate) fn fake() -> (Snapshot, Waits) {
    let mut main = g(1, "running", "main.main");
    main.status_name = "running".into();
    main.current = true;
    main.panic = Some(vec![format!("panic: {EVIL} & \"quoted\"")]);
    let mut gs = vec![main];
    for id in (5..=9).chain([11]) {
        gs.push(g(id, "chan receive", "main.worker"));
    }
    for id in [20, 21] {
        let mut d = g(
            id,
            "sync.Mutex.Lock",
            "main.abba</script><script>alert(2)</script>",
        );
        d.labels = vec![("evil".into(), EVIL.into()), ("id".into(), id.to_string())];
        gs.push(d);
    }
    let mut snap = snapshot(gs);
    snap.fatal = None;
    let obj = |addr: u64, waiter: u64, holder: u64| Object {
        kind: Kind::Mutex,
        addr,
        type_name: Some(format!("sync.Mutex{EVIL}")),
        chan: None,
        place: Place::Bss,
        waiters: vec![Waiter {
            goid: waiter,
            op: Op::Lock,
            waitsince: 0,
        }],
        suspects: vec![Suspect {
            goid: holder,
            func: "main.abba".into(),
            file: "/home/u/p/main.go".into(),
            line: 30,
            slot: 0,
            var: None,
        }],
    };
    let waits = Waits {
        objects: vec![obj(0x1000, 20, 21), obj(0x2000, 21, 20)],
        cycles: vec![Cycle {
            goids: vec![20, 21],
            objects: vec![0x1000, 0x2000],
        }],
        errors: vec![format!("cannot read {EVIL}")],
        ..Waits::default()
    };
    (snap, waits)
}

pub(crate) const LEAKER: &str = "main.leak</script><script>alert(3)</script>";

/// [`fake`] with goroutines 30 and 31 leaked in one group (a function name and a label
/// with markup), 32 on a nil channel, and worker 11 leaked out of its group of six.
pub(crate) fn leaky() -> (Snapshot, Waits, Leaks) {
    let (mut snap, waits) = fake();
    let mut gs = std::mem::take(&mut snap.gs).into_vec();
    for id in [30, 31] {
        let mut x = g(id, "chan send", LEAKER);
        x.labels = vec![("evil".into(), EVIL.into())];
        gs.push(x);
    }
    gs.push(g(32, "chan send (nil chan)", "main.nilsend"));
    snap.gs = gs.into();
    let leaked = |goid, cause| Leaked {
        goid,
        cause,
        objects: Vec::new(),
    };
    let leaks = Leaks {
        leaked: vec![
            leaked(11, Cause::Unreachable),
            leaked(30, Cause::Unreachable),
            leaked(31, Cause::Unreachable),
            leaked(32, Cause::NilChan),
        ],
        blocked: 12,
        undetermined: vec![9, 7, 8],
        heap_bytes: 3 << 20,
        scanned_bytes: 1 << 20,
        errors: vec![format!("a span {EVIL} is unreadable")],
        ..Leaks::default()
    };
    (snap, waits, leaks)
}
