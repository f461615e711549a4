//! Offsets of the runtime structures the goroutine engine reads, from DWARF when the
//! binary has it, else from [`super::fallback`] chosen by the Go version in build info.

use crate::dwarf::{Dwarf, StructLayout};
use crate::error::{Error, Result};

/// Where a [`Layout`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutSource {
    /// Read from the binary's DWARF types and constants.
    Dwarf,
    /// The built-in table for this Go release (`1.24`); `exact` is false when the binary's
    /// release is newer than every table and the newest one is used.
    Fallback {
        /// The table's release.
        release: String,
        /// True when the binary's release has its own table.
        exact: bool,
    },
}

/// Byte offsets of `runtime.g` fields the engine needs (absolute: nested struct offsets
/// such as `sched.sp` are already added up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GOffsets {
    /// Size of `runtime.g`.
    pub size: u64,
    /// `stack.lo`.
    pub stack_lo: u64,
    /// `stack.hi`.
    pub stack_hi: u64,
    /// `sched.sp`.
    pub sched_sp: u64,
    /// `sched.pc`.
    pub sched_pc: u64,
    /// `sched.bp`.
    pub sched_bp: u64,
    /// `sched.lr`.
    pub sched_lr: u64,
    /// `syscallsp`.
    pub syscallsp: u64,
    /// `syscallpc`.
    pub syscallpc: u64,
    /// `m` (*runtime.m).
    pub m: u64,
    /// `atomicstatus` (uint32).
    pub atomicstatus: u64,
    /// `goid` (uint64).
    pub goid: u64,
    /// `waitsince` (int64, nanotime).
    pub waitsince: u64,
    /// `waiting` (*sudog: a channel operation's sudogs, one per select case, linked by
    /// `waitlink`).
    pub waiting: u64,
    /// `waitreason` (uint8).
    pub waitreason: u64,
    /// `gopc`.
    pub gopc: u64,
    /// `startpc`.
    pub startpc: u64,
    /// `parentGoid` (Go 1.21+).
    pub parent_goid: Option<u64>,
    /// `labels` (unsafe.Pointer to the pprof label set).
    pub labels: Option<u64>,
    /// `lockedm` (muintptr).
    pub lockedm: Option<u64>,
}

/// Byte offsets of `runtime.m` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MOffsets {
    /// `procid` (the OS thread id on Linux).
    pub procid: u64,
    /// `gsignal` (the signal-handling g, whose stack is in the heap's arenas).
    pub gsignal: u64,
    /// `curg`.
    pub curg: u64,
    /// `id`.
    pub id: u64,
    /// `alllink` (the next m of `runtime.allm`); None when unknown.
    pub alllink: Option<u64>,
}

/// Values of the goroutine status constants (`runtime._G*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusConsts {
    /// `_Grunnable`.
    pub runnable: u32,
    /// `_Grunning`.
    pub running: u32,
    /// `_Gsyscall`.
    pub syscall: u32,
    /// `_Gwaiting`.
    pub waiting: u32,
    /// `_Gdead`.
    pub dead: u32,
    /// `_Gdeadextra` (Go 1.26+).
    pub deadextra: Option<u32>,
    /// `_Gscan`, the bit set while the GC scans a stack.
    pub scan: u32,
    /// Every `_G*` constant: (name without `runtime._G`, value).
    pub all: Vec<(String, u32)>,
}

impl StatusConsts {
    /// The runtime's display name of a status (`gStatusStrings`), scan bit removed.
    pub fn name(&self, status: u32) -> String {
        let s = status & !self.scan;
        let raw = self
            .all
            .iter()
            .find(|(n, v)| *v == s && n != "scan" && !n.ends_with("_unused"))
            .map(|(n, _)| n.as_str());
        match raw {
            Some("deadextra") => "waiting for cgo callback".into(),
            Some(n) => n.to_string(),
            None => format!("status {s}"),
        }
    }
}

/// Everything the engine needs to know about the runtime's data structures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Pointer size (8 on 64-bit targets).
    pub ptr_size: usize,
    /// `runtime.g`.
    pub g: GOffsets,
    /// `runtime.m`.
    pub m: MOffsets,
    /// Status constants.
    pub status: StatusConsts,
    /// Where this layout came from.
    pub source: LayoutSource,
}

fn off(l: &StructLayout, name: &str) -> Result<u64> {
    l.field(name)
        .map(|f| f.offset)
        .ok_or_else(|| Error::NotFound(format!("field {}.{name} in DWARF", l.name)))
}

impl Layout {
    /// Read the layout from DWARF.
    pub fn from_dwarf(d: &Dwarf, ptr_size: usize) -> Result<Self> {
        let g = d.struct_layout("runtime.g")?;
        let gobuf = d.struct_layout("runtime.gobuf")?;
        let m = d.struct_layout("runtime.m")?;
        let stack = off(&g, "stack")?;
        let sched = off(&g, "sched")?;
        let p = ptr_size as u64;
        let goffs = GOffsets {
            size: g.size,
            stack_lo: stack,
            stack_hi: stack + p,
            sched_sp: sched + off(&gobuf, "sp")?,
            sched_pc: sched + off(&gobuf, "pc")?,
            sched_bp: sched + off(&gobuf, "bp")?,
            sched_lr: sched + off(&gobuf, "lr")?,
            syscallsp: off(&g, "syscallsp")?,
            syscallpc: off(&g, "syscallpc")?,
            m: off(&g, "m")?,
            atomicstatus: off(&g, "atomicstatus")?,
            goid: off(&g, "goid")?,
            waitsince: off(&g, "waitsince")?,
            waiting: off(&g, "waiting")?,
            waitreason: off(&g, "waitreason")?,
            gopc: off(&g, "gopc")?,
            startpc: off(&g, "startpc")?,
            parent_goid: off(&g, "parentGoid").ok(),
            labels: off(&g, "labels").ok(),
            lockedm: off(&g, "lockedm").ok(),
        };
        let moffs = MOffsets {
            procid: off(&m, "procid")?,
            gsignal: off(&m, "gsignal")?,
            curg: off(&m, "curg")?,
            id: off(&m, "id")?,
            alllink: off(&m, "alllink").ok(),
        };
        let mut all: Vec<(String, u32)> = d
            .constants_with_prefix("runtime._G")
            .into_iter()
            .filter_map(|(n, v)| {
                // Only goroutine statuses: the prefix also matches `_GCoff` (GC phases),
                // `_Goidcachebatch` and the derived `_Gscan*` combinations.
                let raw = n.strip_prefix("runtime._G")?;
                if !super::statuses::STATUSES.iter().any(|s| s.name == raw) {
                    return None;
                }
                Some((raw.to_ascii_lowercase(), u32::try_from(v).ok()?))
            })
            .collect();
        all.sort_by_key(|(_, v)| *v);
        let get = |name: &str| all.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        let need = |name: &str| {
            get(name).ok_or_else(|| Error::NotFound(format!("constant runtime._G{name} in DWARF")))
        };
        let status = StatusConsts {
            runnable: need("runnable")?,
            running: need("running")?,
            syscall: need("syscall")?,
            waiting: need("waiting")?,
            dead: need("dead")?,
            deadextra: get("deadextra"),
            scan: need("scan")?,
            all: all.clone(),
        };
        Ok(Layout {
            ptr_size,
            g: goffs,
            m: moffs,
            status,
            source: LayoutSource::Dwarf,
        })
    }
}
