//! Unwinding a goroutine's stack with the pclntab alone (no DWARF): the frame size at each
//! pc comes from pcsp, the return address sits just above the frame on amd64, inlined
//! calls are expanded from the inline tree, innermost first.

use std::collections::HashMap;
use std::sync::Arc;

use crate::binary::Arch;
use crate::mem::{le_word, Memory};
use crate::pclntab::Pclntab;

/// funcFlag TOPFRAME: the function is the outermost frame of a stack (goexit, mstart, ...).
const FLAG_TOPFRAME: u8 = 1;
/// funcFlag SPWRITE: the function writes SP arbitrarily; unwinding cannot go past it.
const FLAG_SPWRITE: u8 = 2;

/// Default depth guard.
pub const DEFAULT_MAX_DEPTH: usize = 512;

/// One frame of a goroutine's stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The pc of the frame as found on the stack (relocated). For callers this is a return
    /// address; the file:line below are for the call instruction.
    pub pc: u64,
    /// Stack pointer of the frame (relocated).
    pub sp: u64,
    /// Function name (the inlined function's name for inlined frames).
    pub func: Arc<str>,
    /// Source file.
    pub file: Arc<str>,
    /// Source line.
    pub line: u32,
    /// True for a frame that was inlined into its caller.
    pub inlined: bool,
    /// Entry pc of the (outermost) function, relocated; 0 if unknown.
    pub entry: u64,
}

impl Frame {
    /// True for frames of the Go runtime (`runtime.*`, not `runtime/pprof.*`, etc).
    pub fn is_runtime(&self) -> bool {
        is_runtime_func(&self.func)
    }
}

/// True for names in package runtime or its internal helpers.
pub fn is_runtime_func(name: &str) -> bool {
    name.starts_with("runtime.")
        || name.starts_with("internal/runtime/")
        || name.starts_with("runtime/internal/")
}

/// Result of an unwind: frames innermost first, and why it stopped early (if it did).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stack {
    /// Frames, innermost first; inlined frames precede the function they were inlined into.
    pub frames: Vec<Frame>,
    /// Set when the unwind stopped before a top frame (bad pc, unreadable memory, depth).
    pub error: Option<String>,
    /// True when the depth guard cut the stack.
    pub truncated: bool,
}

/// Start of an unwind.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnwindStart {
    /// Program counter (relocated).
    pub pc: u64,
    /// Stack pointer (relocated).
    pub sp: u64,
    /// Frame pointer, 0 if unknown.
    pub bp: u64,
    /// Link register (arm64), 0 if unknown.
    pub lr: u64,
    /// True when `pc` is an exact instruction address (thread registers at a signal or
    /// breakpoint), false for a saved resume address (`g.sched.pc`).
    pub exact: bool,
}

/// A view of stack memory: a pre-read window plus the backing memory for the rest.
pub struct StackMem<'a> {
    /// Start address of `window`.
    pub base: u64,
    /// Bytes pre-read at `base`.
    pub window: &'a [u8],
    /// Fallback for reads outside the window.
    pub mem: &'a dyn Memory,
    /// Pointer size.
    pub ptr_size: usize,
}

impl StackMem<'_> {
    fn word(&self, addr: u64) -> Option<u64> {
        if addr >= self.base {
            if let Ok(off) = usize::try_from(addr - self.base) {
                if let Some(v) = le_word(self.window, off, self.ptr_size) {
                    return Some(v);
                }
            }
        }
        let mut b = [0u8; 8];
        let buf = b.get_mut(..self.ptr_size)?;
        self.mem.read_into(addr, buf).ok()?;
        le_word(&b, 0, self.ptr_size)
    }
}

fn stops_here(name: &str) -> bool {
    matches!(
        name,
        "runtime.goexit"
            | "runtime.mstart"
            | "runtime.mstart0"
            | "runtime.rt0_go"
            | "runtime.mcall"
            | "runtime.morestack"
            | "runtime.systemstack"
    )
}

fn is_injected(name: &str) -> bool {
    name == "runtime.sigpanic"
        || name == "runtime.asyncPreempt"
        || name.starts_with("runtime.debugCallV")
}

/// What the unwinder needs to know about one pc, cached: goroutines share most pcs.
#[derive(Debug)]
struct PcInfo {
    /// (func, file, line, inlined), innermost first.
    frames: Vec<(Arc<str>, Arc<str>, u32, bool)>,
    entry: u64,
    flag: u8,
    stop: bool,
    injected: bool,
    name: Arc<str>,
    delta: Option<u32>,
}

/// A cache of pc lookups shared by all unwinds of one enumeration.
#[derive(Default)]
pub struct SymCache {
    map: HashMap<(u64, bool), Option<Arc<PcInfo>>>,
    names: HashMap<String, Arc<str>>,
}

impl SymCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.names.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.names.insert(s.to_string(), a.clone());
        a
    }

    fn info(&mut self, pcln: &Pclntab, bias: u64, pc: u64, exact: bool) -> Option<Arc<PcInfo>> {
        if let Some(v) = self.map.get(&(pc, exact)) {
            return v.clone();
        }
        let v = self.compute(pcln, bias, pc, exact).map(Arc::new);
        self.map.insert((pc, exact), v.clone());
        v
    }

    fn compute(&mut self, pcln: &Pclntab, bias: u64, pc: u64, exact: bool) -> Option<PcInfo> {
        let upc = pc.wrapping_sub(bias);
        let f = pcln.func_for_pc(upc)?;
        let lookup = if exact || upc <= f.entry {
            upc
        } else {
            upc - 1
        };
        let mut frames = Vec::new();
        for inl in pcln.inlined_at(&f, lookup) {
            frames.push((
                self.intern(&inl.name),
                self.intern(&inl.file),
                inl.line,
                true,
            ));
        }
        let (file, line) = pcln.file_line(&f, lookup).unwrap_or(("?", 0));
        let file = self.intern(file);
        let name_s = pcln.name(&f);
        let name = self.intern(name_s);
        frames.push((name.clone(), file, line, false));
        Some(PcInfo {
            frames,
            entry: f.entry.wrapping_add(bias),
            flag: f.flag,
            stop: stops_here(name_s),
            injected: is_injected(name_s),
            name,
            delta: pcln.sp_delta(&f, upc),
        })
    }

    /// Frames for a single pc (e.g. the `go` statement of a goroutine); `exact` false means
    /// `pc` is a return address and the call instruction's line is reported.
    pub fn frames_at(&mut self, pcln: &Pclntab, bias: u64, pc: u64, exact: bool) -> Vec<Frame> {
        let Some(info) = self.info(pcln, bias, pc, exact) else {
            return Vec::new();
        };
        info.frames
            .iter()
            .map(|(func, file, line, inlined)| Frame {
                pc,
                sp: 0,
                func: func.clone(),
                file: file.clone(),
                line: *line,
                inlined: *inlined,
                entry: info.entry,
            })
            .collect()
    }
}

/// Unwind from `start` until a top frame, an error, or `max_depth` frames.
pub fn unwind(
    pcln: &Pclntab,
    cache: &mut SymCache,
    arch: Arch,
    bias: u64,
    start: UnwindStart,
    stack: &StackMem<'_>,
    max_depth: usize,
) -> Stack {
    let mut out = Stack::default();
    let ptr = stack.ptr_size as u64;
    let (mut pc, mut sp, lr) = (start.pc, start.sp, start.lr);
    let mut exact = start.exact;
    let mut innermost = true;
    loop {
        if out.frames.len() >= max_depth {
            out.truncated = true;
            break;
        }
        let Some(info) = cache.info(pcln, bias, pc, exact) else {
            out.error = Some(format!("pc {pc:#x} is not in any Go function"));
            break;
        };
        for (func, file, line, inlined) in &info.frames {
            out.frames.push(Frame {
                pc,
                sp,
                func: func.clone(),
                file: file.clone(),
                line: *line,
                inlined: *inlined,
                entry: info.entry,
            });
        }
        if info.flag & FLAG_TOPFRAME != 0 || info.stop {
            break;
        }
        if info.flag & FLAG_SPWRITE != 0 && !innermost {
            break;
        }
        let Some(delta) = info.delta else {
            out.error = Some(format!("no frame size for {} at {pc:#x}", info.name));
            break;
        };
        let fp = sp.wrapping_add(u64::from(delta));
        let (ret, caller_sp) = match arch {
            Arch::Arm64 => {
                // LR machines: the saved LR is at [sp] unless this is a frameless leaf.
                let ret = if delta == 0 && innermost {
                    lr
                } else {
                    match stack.word(sp) {
                        Some(v) => v,
                        None => {
                            out.error = Some(format!("cannot read the return address at {sp:#x}"));
                            break;
                        }
                    }
                };
                (ret, fp)
            }
            _ => match stack.word(fp) {
                Some(v) => (v, fp.wrapping_add(ptr)),
                None => {
                    out.error = Some(format!("cannot read the return address at {fp:#x}"));
                    break;
                }
            },
        };
        if ret == 0 {
            break;
        }
        exact = info.injected;
        innermost = false;
        pc = ret;
        sp = caller_sp;
    }
    out
}
