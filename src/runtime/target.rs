//! A Go program's goroutines as one object: the runtime model of its binary, the memory it
//! is read from (a live process, a core, or any other [`Memory`], such as gdb's) and the
//! load bias, and the [`Snapshot`] of one enumeration that every view formats.

use std::sync::Arc;

use super::{
    fatal, Census, GoRuntime, Goroutine, Goroutines, Options, ThreadRegs, UnwindOptions,
    UnwindStart,
};
use crate::error::{Error, Result};
use crate::ids::GoId;
use crate::mem::{CoreFile, CoreThread, Memory, ProcessMemory};
use crate::runtime::layout::LayoutSource;
use crate::runtime::panic::PanicLayout;
use crate::runtime::unwind::Stack;
use crate::symbols::Symbols;

/// Where a target's memory comes from.
pub enum Source {
    /// A live process, through /proc/PID/mem.
    Process(ProcessMemory),
    /// An ELF core file (with its threads' registers).
    Core(CoreFile),
    /// Any other memory (gdb's `inferior.read_memory`, a fake in tests).
    Other(Box<dyn Memory>),
}

/// How much of the stacks a [`Snapshot`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// The stop context: only the goroutines that can be current are kept and only the
    /// current one is unwound; the others are counted.
    Current,
    /// Each stack down to its user frame (enough for the list).
    User,
    /// Every stack.
    All,
}

impl Scope {
    /// The scope of a name: `current`, `user` or `all`.
    pub fn parse(name: &str) -> Option<Scope> {
        Some(match name {
            "current" => Scope::Current,
            "user" => Scope::User,
            "all" => Scope::All,
            _ => return None,
        })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Current => "current",
            Scope::User => "user",
            Scope::All => "all",
        }
    }
}

/// What a [`Target::snapshot`] reads.
#[derive(Debug, Clone)]
pub struct SnapshotOptions {
    /// Also keep dead goroutines.
    pub include_dead: bool,
    /// The thread the user looks at (its goroutine is `current`).
    pub current_tid: Option<i64>,
    /// Frames per stack at most.
    pub max_depth: usize,
    /// How much of the stacks to read.
    pub scope: Scope,
    /// Also read panic chains and a core's fatal error.
    pub panics: bool,
    /// Also read the object each blocked goroutine waits on (`Goroutine::waits_on`).
    pub waits: bool,
}

/// The goroutines of one enumeration: every view reads it. Immutable once taken: a stop's
/// snapshot serves every command until the program resumes.
pub struct Snapshot {
    /// The goroutines kept: all of them, or for [`Scope::Current`] only those that can be
    /// current (and unreadable records).
    pub gs: Goroutines,
    /// Goroutines the [`Scope::Current`] scope counted without keeping.
    pub others: Census,
    /// How much of the stacks it holds.
    pub scope: Scope,
    /// Whether dead goroutines are included.
    pub include_dead: bool,
    /// A core's fatal error that no goroutine's `panic` lines hold (thrown on a system
    /// stack, like a deadlock's).
    pub fatal: Option<String>,
    /// Every state a goroutine of this program can be in: the status names and the wait
    /// reasons of its runtime, sorted (what a state filter may name).
    pub state_names: Vec<String>,
    /// One line per part of the wait objects that could not be read (with
    /// `SnapshotOptions::waits`).
    pub wait_errors: Vec<String>,
}

impl Snapshot {
    /// Goroutines in the program: those kept and those only counted.
    pub fn len(&self) -> usize {
        self.gs.len() + self.others.others
    }

    /// Whether it holds no goroutine at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (goid, `panic: ...` lines) of each panicking goroutine, by goid.
    pub fn panics(&self) -> Vec<(GoId, Vec<String>)> {
        let mut out: Vec<(GoId, Vec<String>)> = self
            .gs
            .iter()
            .filter_map(|g| g.panic.clone().map(|p| (g.goid, p)))
            .collect();
        out.sort_by_key(|(goid, _)| *goid);
        out
    }

    /// The current goroutine.
    pub fn current(&self) -> Option<&Goroutine> {
        self.gs.iter().find(|g| g.current)
    }

    /// Goroutine `goid` (not an unreadable record).
    pub fn goroutine(&self, goid: GoId) -> Option<&Goroutine> {
        self.gs.iter().find(|g| g.goid == goid && g.error.is_none())
    }
}

/// What [`Target::info`] tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// `dwarf`, or `fallback RELEASE` (the table of that Go release).
    pub layout: String,
    /// Whether the layout is the binary's own (DWARF, or a table of its exact release).
    pub layout_exact: bool,
    /// The load bias.
    pub load_bias: u64,
    /// Size of a `runtime.g`.
    pub g_size: u64,
    /// The binary's Go version, when its build info says.
    pub go_version: Option<String>,
}

/// A Go program's runtime model and the memory it is read from.
pub struct Target {
    rt: GoRuntime,
    src: Source,
    bias: u64,
}

impl Target {
    /// A live process `pid` running the binary of `syms` (refused when its executable is
    /// not mapped where the binary's headers should be).
    pub fn process(syms: Arc<Symbols>, pid: i32) -> Result<Target> {
        let bin = syms.binary().clone();
        let rt = GoRuntime::new(syms)?;
        let mem = ProcessMemory::open(pid)?;
        let bias = if bin.is_pie() {
            mem.load_bias(bin.entry()).unwrap_or(0)
        } else {
            0
        };
        // A live process always maps the executable's headers: not finding them is a
        // mismatch too.
        if !crate::mem::check_same_executable(&mem, &bin, bias, &format!("process {pid}"))? {
            return Err(Error::Mismatch(format!(
                "process {pid} does not run {}: nothing readable where its ELF header should be mapped",
                bin.path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "the binary".into())
            )));
        }
        Ok(Target {
            rt,
            src: Source::Process(mem),
            bias,
        })
    }

    /// A core file written by the binary of `syms`.
    pub fn core(syms: Arc<Symbols>, core: &std::path::Path) -> Result<Target> {
        let bin = syms.binary().clone();
        let rt = GoRuntime::new(syms)?;
        let cf = CoreFile::open(core, bin)?;
        let bias = cf.load_bias();
        Ok(Target {
            rt,
            src: Source::Core(cf),
            bias,
        })
    }

    /// The binary of `syms` in any memory, loaded at `bias`.
    pub fn with_memory(syms: Arc<Symbols>, mem: Box<dyn Memory>, bias: u64) -> Result<Target> {
        Ok(Target {
            rt: GoRuntime::new(syms)?,
            src: Source::Other(mem),
            bias,
        })
    }

    /// The runtime model.
    pub fn runtime(&self) -> &GoRuntime {
        &self.rt
    }

    /// The memory.
    pub fn mem(&self) -> &dyn Memory {
        match &self.src {
            Source::Process(m) => m,
            Source::Core(m) => m,
            Source::Other(m) => m.as_ref(),
        }
    }

    /// The load bias.
    pub fn bias(&self) -> u64 {
        self.bias
    }

    /// The process id of a live process.
    pub fn pid(&self) -> Option<i32> {
        match &self.src {
            Source::Process(m) => Some(m.pid()),
            _ => None,
        }
    }

    /// A core's file.
    pub fn core_path(&self) -> Option<&std::path::Path> {
        match &self.src {
            Source::Core(c) => Some(c.path()),
            _ => None,
        }
    }

    /// A core's threads (the first received the fatal signal); empty otherwise.
    pub fn core_threads(&self) -> &[CoreThread] {
        match &self.src {
            Source::Core(c) => c.threads(),
            _ => &[],
        }
    }

    /// The threads a call names, else the source's own (a core's notes), and the current
    /// thread, else a core's signalled one.
    pub fn thread_args(
        &self,
        threads: Vec<ThreadRegs>,
        current_tid: Option<i64>,
    ) -> (Vec<ThreadRegs>, Option<i64>) {
        let th = if threads.is_empty() {
            self.core_threads().iter().map(ThreadRegs::from).collect()
        } else {
            threads
        };
        let cur = current_tid.or_else(|| self.core_threads().first().map(|t| t.tid));
        (th, cur)
    }

    /// Where this binary keeps its panic records (DWARF, else by Go version).
    pub fn panic_layout(&self) -> PanicLayout {
        PanicLayout::new(self.rt.symbols(), self.rt.pclntab().go_minor())
    }

    /// The `panic: ...` lines (oldest first) of each goroutine whose `runtime.g` is at an
    /// address of `gs`; None for one that is not panicking.
    pub fn panic_lines(&self, gs: &[u64]) -> Result<Vec<Option<Vec<String>>>> {
        let pl = self.panic_layout();
        gs.iter()
            .map(|&g| pl.goroutine_panic(self.mem(), self.bias, g))
            .collect()
    }

    /// The `panic: ...` lines of the `runtime._panic` chain at `record` (oldest first).
    pub fn panic_chain(&self, record: u64) -> Result<Vec<String>> {
        self.panic_layout().chain(self.mem(), self.bias, record)
    }

    /// A panic value (type descriptor address, data word) as the runtime prints it.
    pub fn panic_value(&self, typ: u64, data: u64) -> Result<String> {
        self.panic_layout().value(self.mem(), self.bias, typ, data)
    }

    /// Facts about the model: where its layout comes from, the load bias, the g's size
    /// and the Go version.
    pub fn info(&self) -> TargetInfo {
        let layout = self.rt.layout();
        let (source, exact) = match &layout.source {
            LayoutSource::Dwarf => ("dwarf".to_string(), true),
            LayoutSource::Fallback { release, exact } => (format!("fallback {release}"), *exact),
        };
        TargetInfo {
            layout: source,
            layout_exact: exact,
            load_bias: self.bias,
            g_size: layout.g.size,
            go_version: self.rt.binary().build_info().ok().map(|b| b.go_version),
        }
    }

    /// Every goroutine (see [`GoRuntime::goroutines`]).
    pub fn goroutines(&self, threads: &[ThreadRegs], opts: &Options) -> Result<Vec<Goroutine>> {
        self.rt.goroutines(self.mem(), self.bias, threads, opts)
    }

    /// One enumeration for every view.
    pub fn snapshot(&self, threads: &[ThreadRegs], o: &SnapshotOptions) -> Result<Snapshot> {
        let opts = Options {
            include_dead: o.include_dead,
            max_depth: o.max_depth,
            current_tid: o.current_tid,
            stop_at_user_frame: o.scope == Scope::User,
            only_current: o.scope == Scope::Current,
            only_goid: None,
        };
        let (mut gs, others) = self.rt.enumerate(self.mem(), self.bias, threads, &opts)?;
        let mut fatal = None;
        if o.panics {
            self.read_panics(&mut gs);
            fatal = self.core_fatal_error(&mut gs);
        }
        let mut wait_errors = Vec::new();
        if o.waits {
            wait_errors = self.read_waits(&mut gs);
        }
        Ok(Snapshot {
            gs,
            others,
            scope: o.scope,
            include_dead: o.include_dead,
            fatal,
            state_names: self.state_names(),
            wait_errors,
        })
    }

    /// Fill each blocked goroutine's `waits_on`; the lines of what could not be read.
    fn read_waits(&self, gs: &mut Goroutines) -> Vec<String> {
        let model = match super::waits::WaitModel::new(&self.rt) {
            Ok(m) => m,
            Err(e) => return vec![format!("wait objects not read: {e}")],
        };
        let (on, errors) =
            model.waits_on(&self.rt, &self.rt.target(self.mem(), self.bias), gs.iter());
        let mut on = on.into_iter().peekable();
        for (i, g) in gs.iter_mut().enumerate() {
            while let Some((_, w)) = on.next_if(|(k, _)| *k == i) {
                g.waits_on.push(w);
            }
        }
        errors
    }

    /// The status names and wait reasons of this program's runtime, sorted; empty when
    /// the wait reasons are unknown (every state is then accepted).
    pub fn state_names(&self) -> Vec<String> {
        let st = &self.rt.layout().status;
        let t = self.rt.target(self.mem(), self.bias);
        let reasons = self.rt.wait_reasons(Some(&t));
        if reasons.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<String> = st.all.iter().map(|(_, v)| st.name(*v)).collect();
        out.extend(reasons.iter().cloned());
        out.retain(|n| !n.is_empty() && !n.starts_with("status ") && n != "scan");
        out.sort();
        out.dedup();
        out
    }

    /// Goroutine `goid` (stack unwound to `max_depth`); NotFound when absent or dead.
    pub fn find(
        &self,
        goid: GoId,
        threads: &[ThreadRegs],
        current_tid: Option<i64>,
        max_depth: usize,
    ) -> Result<Goroutine> {
        let opts = Options {
            include_dead: true,
            max_depth,
            current_tid,
            stop_at_user_frame: false,
            only_current: false,
            only_goid: Some(goid),
        };
        let gs = self.goroutines(threads, &opts)?;
        let Some(g) = gs.into_iter().find(|g| g.goid == goid && g.error.is_none()) else {
            return Err(Error::NotFound(format!("no goroutine {goid}")));
        };
        let st = &self.rt.layout().status;
        let s = g.status & !st.scan;
        if s == st.dead || Some(s) == st.deadextra {
            return Err(Error::NotFound(format!("goroutine {goid} is dead")));
        }
        Ok(g)
    }

    /// The goroutine OS thread `tid` runs, without its stack (running or in a system call
    /// on it, as the runtime's m records); None without a thread or when it runs none.
    pub fn current_goroutine(
        &self,
        threads: &[ThreadRegs],
        tid: Option<i64>,
    ) -> Result<Option<Goroutine>> {
        match tid {
            Some(tid) => self
                .rt
                .current_goroutine(self.mem(), self.bias, threads, tid),
            None => Ok(None),
        }
    }

    /// Unwind from registers.
    pub fn unwind(&self, start: UnwindStart, max_depth: usize) -> Stack {
        self.rt.unwind(
            self.mem(),
            self.bias,
            start,
            &UnwindOptions {
                max_depth,
                stop_at_user: false,
                main_module: None,
            },
        )
    }

    /// Each goroutine's `panic: ...` lines: the chains of the few that are panicking
    /// (their `g._panic`, read with the g). A record that cannot be read must not cost the
    /// listing: the goroutine is shown without its panic.
    fn read_panics(&self, gs: &mut Goroutines) {
        let pl = self.panic_layout();
        for g in gs.iter_mut() {
            if g.error.is_none() && g.panic_ptr != 0 {
                g.panic = pl.chain(self.mem(), self.bias, g.panic_ptr).ok();
            }
        }
    }

    /// A core's fatal error (see [`fatal::core_fatal_error`]); None for other sources.
    fn core_fatal_error(&self, gs: &mut Goroutines) -> Option<String> {
        let Source::Core(c) = &self.src else {
            return None;
        };
        fatal::core_fatal_error(&self.rt, self.mem(), self.bias, c.threads().first()?, gs)
    }
}
