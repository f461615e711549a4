//! The records an enumeration makes: a goroutine, the registers of a thread, a source
//! location, the options; [`Goroutines`] holds them in the vectors the threads built.

use std::sync::Arc;

use super::{Frame, Frames, DEFAULT_MAX_DEPTH};
use crate::ids::{Addr, GoId, Pc};

/// Registers of one OS thread, as the caller knows them (gdb threads, core notes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadRegs {
    /// Thread id (LWP).
    pub tid: i64,
    /// Program counter.
    pub pc: u64,
    /// Stack pointer.
    pub sp: u64,
    /// Frame pointer.
    pub bp: u64,
    /// Link register (arm64), 0 otherwise.
    pub lr: u64,
}

impl From<&crate::mem::CoreThread> for ThreadRegs {
    /// A thread's registers from a core's notes.
    fn from(t: &crate::mem::CoreThread) -> Self {
        ThreadRegs {
            tid: t.tid,
            pc: t.pc,
            sp: t.sp,
            bp: t.bp,
            lr: t.lr,
        }
    }
}

/// Options of an enumeration.
#[derive(Debug, Clone)]
pub struct Options {
    /// Also list dead goroutines (kept in allgs for reuse).
    pub include_dead: bool,
    /// Unwind at most this many frames per goroutine (0 = no stacks at all).
    pub max_depth: usize,
    /// The thread the user looks at (gdb's selected thread, the core's signalled thread):
    /// the goroutine running on it is marked `current`.
    pub current_tid: Option<i64>,
    /// Stop unwinding a goroutine at its first frame outside the runtime (its
    /// `user_frame`): enough for a one-line listing, and much cheaper than whole stacks.
    /// A goroutine without such a frame is still unwound completely.
    pub stop_at_user_frame: bool,
    /// Unwind only the current goroutine (the stop context): the others keep their state,
    /// wait reason and counts but no frames.
    pub only_current: bool,
    /// Keep only the goroutine with this id (the others are counted, not kept or
    /// unwound): one goroutine's stack costs its own unwinding only.
    pub only_goid: Option<GoId>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            include_dead: false,
            max_depth: DEFAULT_MAX_DEPTH,
            current_tid: None,
            stop_at_user_frame: false,
            only_current: false,
            only_goid: None,
        }
    }
}

/// Where the registers a goroutine was unwound from came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegsSource {
    /// `g.sched`: a parked or runnable goroutine (or a running one without thread info).
    Sched,
    /// The OS thread's registers (a running goroutine).
    Thread,
    /// `g.syscallsp/pc`: a goroutine in a system call.
    Syscall,
}

impl RegsSource {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            RegsSource::Sched => "sched",
            RegsSource::Thread => "thread",
            RegsSource::Syscall => "syscall",
        }
    }
}

/// A source location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Function name (interned: goroutines share it).
    pub func: Arc<str>,
    /// File.
    pub file: Arc<str>,
    /// Line.
    pub line: u32,
    /// The pc (relocated).
    pub pc: Pc,
}

/// One goroutine, as read from memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goroutine {
    /// Address of the `runtime.g`.
    pub addr: Addr,
    /// Goroutine id (0 if unreadable).
    pub goid: GoId,
    /// Raw `atomicstatus` (may carry the `_Gscan` bit).
    pub status: u32,
    /// The runtime's name of the status (`waiting`, `running`, ...). The names are
    /// interned: 100,000 goroutines share a handful of them.
    pub status_name: Arc<str>,
    /// What `runtime.Stack` prints between brackets: the wait reason of a waiting
    /// goroutine, else the status name.
    pub state: Arc<str>,
    /// Wait reason name (empty when none).
    pub wait_reason: Arc<str>,
    /// Raw wait reason code.
    pub wait_reason_code: u8,
    /// `waitsince` (nanotime when it blocked, 0 if unknown).
    pub waitsince: i64,
    /// `waiting`: the first sudog of the channel operation or select it is blocked in
    /// (0 for none).
    pub waiting: u64,
    /// pc the stack was unwound from.
    pub pc: u64,
    /// sp the stack was unwound from.
    pub sp: u64,
    /// bp at that point (0 if unknown).
    pub bp: u64,
    /// Where pc/sp came from.
    pub regs: RegsSource,
    /// Stack bounds [lo, hi).
    pub stack_lo: u64,
    /// Upper stack bound.
    pub stack_hi: u64,
    /// Frames, innermost first (shared with the goroutines of the same stack; each one's sp
    /// through `frames.sps(sp)`).
    pub frames: Frames,
    /// Why the unwind stopped early, if it did.
    pub stack_error: Option<String>,
    /// True when the depth guard cut the stack.
    pub truncated: bool,
    /// Frames where the frame-pointer chain disagreed with the pcsp unwind.
    pub fp_mismatches: usize,
    /// Index in `frames` of the user frame (see `unwind::user_frame_index`).
    pub user_frame: Option<usize>,
    /// The stack has a frame of the main module (`--user`); known once the stack is
    /// unwound (down to its user frame at least).
    pub main_module_frame: bool,
    /// The `go` statement that created it (function and file:line of the call).
    pub go_statement: Option<Arc<Location>>,
    /// The goroutine's start function.
    pub start_func: Option<Arc<str>>,
    /// `startpc` (relocated), 0 if none.
    pub start_pc: u64,
    /// Goid of the creating goroutine (Go 1.21+), 0 for none.
    pub parent_goid: Option<GoId>,
    /// pprof labels, sorted by key.
    pub labels: Vec<(String, String)>,
    /// OS thread id when it runs on (or is in a syscall on) a thread.
    pub thread_id: Option<i64>,
    /// The runtime's M id when on an M.
    pub m_id: Option<i64>,
    /// `runtime.LockOSThread` is in effect.
    pub locked_to_thread: bool,
    /// A system goroutine (start function in package runtime, not runtime.main).
    pub system: bool,
    /// Runs on the thread named by `Options::current_tid`.
    pub current: bool,
    /// Set when the goroutine could not be read (the other fields are then partial).
    pub error: Option<String>,
    /// The `panic: ...` lines of its `_panic` chain (oldest first) when the caller asked for
    /// them (see `panic::PanicLayout`) and it is panicking.
    pub panic: Option<Vec<String>>,
    /// `g._panic` as read with the g (0: not panicking): where that chain starts.
    pub panic_ptr: u64,
    /// The objects it waits on (`wslgo waits`' facts), when the snapshot was taken with
    /// them (see `SnapshotOptions::waits`).
    pub waits_on: Vec<super::waits::WaitsOn>,
}

impl Goroutine {
    pub(crate) fn unreadable(addr: u64, err: String) -> Self {
        Goroutine {
            addr: Addr(addr),
            goid: GoId(0),
            status: 0,
            status_name: Arc::from("unreadable"),
            state: Arc::from("unreadable"),
            wait_reason: Arc::from(""),
            wait_reason_code: 0,
            waitsince: 0,
            waiting: 0,
            pc: 0,
            sp: 0,
            bp: 0,
            regs: RegsSource::Sched,
            stack_lo: 0,
            stack_hi: 0,
            frames: Frames::empty(),
            stack_error: None,
            truncated: false,
            fp_mismatches: 0,
            user_frame: None,
            main_module_frame: false,
            go_statement: None,
            start_func: None,
            start_pc: 0,
            parent_goid: None,
            labels: Vec::new(),
            thread_id: None,
            m_id: None,
            locked_to_thread: false,
            system: false,
            current: false,
            error: Some(err),
            panic: None,
            panic_ptr: 0,
            waits_on: Vec::new(),
        }
    }

    /// The innermost frame.
    pub fn current_frame(&self) -> Option<&Frame> {
        self.frames.first()
    }

    /// The first frame outside the runtime.
    pub fn user_location(&self) -> Option<&Frame> {
        self.user_frame.and_then(|i| self.frames.get(i))
    }
}

/// The goroutines of one enumeration, in allgs order, in the parts its threads built them
/// in: joining them would copy every record into fresh memory (a third of a second at
/// 1,000,000 goroutines).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Goroutines(pub(super) Vec<Vec<Goroutine>>);

impl Goroutines {
    /// Every goroutine, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Goroutine> + Clone + '_ {
        self.0.iter().flatten()
    }

    /// Every goroutine, in order, to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Goroutine> + '_ {
        self.0.iter_mut().flatten()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    /// None at all.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Vec::is_empty)
    }

    /// One vector (copies the records when there are several parts).
    pub fn into_vec(mut self) -> Vec<Goroutine> {
        let mut parts = std::mem::take(&mut self.0)
            .into_iter()
            .filter(|p| !p.is_empty());
        let mut out = parts.next().unwrap_or_default();
        for p in parts {
            out.extend(p);
        }
        out
    }
}
