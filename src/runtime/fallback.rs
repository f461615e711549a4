//! Per-Go-release layout tables, used ONLY for binaries without DWARF (`-ldflags=-w`,
//! `-s -w`). The goroutine engine's Go-version knowledge lives here and in `statuses.rs`
//! (the status table, which the DWARF reader shares).
//! `tests/goroutines_layout.rs` checks every table against the DWARF of a fixture built
//! with that release, so a table cannot silently drift.

use super::layout::{GOffsets, Layout, LayoutSource, MOffsets, StatusConsts};
pub use super::statuses::{statuses, Status, STATUSES};

/// Releases with a table (amd64/arm64, 64-bit pointers).
pub fn releases() -> impl Iterator<Item = (u32, u32)> {
    TABLES.iter().map(|r| (1, r.minor))
}

/// From Go 1.24 `g.labels` points at a `labelMap{LabelSet{list []label}}`; before, at a
/// `map[string]string` (a hash map).
pub fn labels_are_slice(version: (u32, u32)) -> bool {
    version >= (1, 24)
}

/// The value of a status by name (any release).
fn status(name: &str) -> u32 {
    STATUSES
        .iter()
        .find(|s| s.name == name)
        .map_or(u32::MAX, |s| s.value)
}

/// The `runtime.g` offsets of one release that differ between releases (64-bit).
struct GTable {
    size: u64,
    syscallsp: u64,
    atomicstatus: u64,
    goid: u64,
    waitsince: u64,
    waiting: u64,
    waitreason: u64,
    lockedm: u64,
    parent_goid: u64,
    gopc: u64,
    startpc: u64,
    labels: u64,
    /// `gobuf` still has the `ret` word (removed in Go 1.25).
    gobuf_has_ret: bool,
}

/// One release's table.
struct Release {
    minor: u32,
    g: GTable,
    m: MOffsets,
}

const M_121: MOffsets = MOffsets {
    procid: 72,
    gsignal: 80,
    alllink: None,
    curg: 192,
    id: 232,
};

/// Per-release tables, oldest first (read from each release's runtime/runtime2.go and
/// checked against fixture DWARF by tests/goroutines_layout.rs).
const TABLES: &[Release] = &[
    Release {
        minor: 21,
        g: GTable {
            size: 408,
            syscallsp: 112,
            atomicstatus: 144,
            goid: 152,
            waitsince: 168,
            waiting: 312,
            waitreason: 176,
            lockedm: 208,
            parent_goid: 272,
            gopc: 280,
            startpc: 296,
            labels: 344,
            gobuf_has_ret: true,
        },
        m: MOffsets {
            alllink: Some(336),
            ..M_121
        },
    },
    Release {
        minor: 22,
        g: GTable {
            size: 424,
            syscallsp: 112,
            atomicstatus: 144,
            goid: 152,
            waitsince: 168,
            waiting: 312,
            waitreason: 176,
            lockedm: 208,
            parent_goid: 272,
            gopc: 280,
            startpc: 296,
            labels: 344,
            gobuf_has_ret: true,
        },
        m: MOffsets {
            alllink: Some(328),
            ..M_121
        },
    },
    Release {
        minor: 23,
        g: GTable {
            size: 432,
            syscallsp: 112,
            atomicstatus: 152,
            goid: 160,
            waitsince: 176,
            waiting: 320,
            waitreason: 184,
            lockedm: 216,
            parent_goid: 280,
            gopc: 288,
            startpc: 304,
            labels: 352,
            gobuf_has_ret: true,
        },
        m: MOffsets {
            alllink: Some(328),
            ..M_121
        },
    },
    Release {
        minor: 24,
        g: GTable {
            size: 440,
            syscallsp: 112,
            atomicstatus: 152,
            goid: 160,
            waitsince: 176,
            waiting: 320,
            waitreason: 184,
            lockedm: 216,
            parent_goid: 280,
            gopc: 288,
            startpc: 304,
            labels: 352,
            gobuf_has_ret: true,
        },
        m: MOffsets {
            alllink: Some(352),
            ..M_121
        },
    },
    Release {
        minor: 25,
        g: GTable {
            size: 440,
            syscallsp: 104,
            atomicstatus: 144,
            goid: 152,
            waitsince: 168,
            waiting: 312,
            waitreason: 176,
            lockedm: 208,
            parent_goid: 272,
            gopc: 280,
            startpc: 296,
            labels: 344,
            gobuf_has_ret: false,
        },
        m: MOffsets {
            procid: 64,
            gsignal: 72,
            alllink: Some(344),
            curg: 184,
            id: 224,
        },
    },
    Release {
        minor: 26,
        g: GTable {
            size: 456,
            syscallsp: 104,
            atomicstatus: 144,
            goid: 152,
            waitsince: 168,
            waiting: 320,
            waitreason: 176,
            lockedm: 208,
            parent_goid: 280,
            gopc: 288,
            startpc: 304,
            labels: 352,
            gobuf_has_ret: false,
        },
        m: MOffsets {
            procid: 64,
            gsignal: 72,
            alllink: Some(352),
            curg: 184,
            id: 232,
        },
    },
    Release {
        minor: 27,
        g: GTable {
            size: 456,
            syscallsp: 104,
            atomicstatus: 144,
            goid: 152,
            waitsince: 168,
            waiting: 320,
            waitreason: 176,
            lockedm: 208,
            parent_goid: 280,
            gopc: 288,
            startpc: 304,
            labels: 352,
            gobuf_has_ret: false,
        },
        m: MOffsets {
            procid: 64,
            gsignal: 72,
            alllink: Some(352),
            curg: 184,
            id: 232,
        },
    },
];

impl GTable {
    fn offsets(&self) -> GOffsets {
        // stack{lo, hi} at 0; m at 48; sched (gobuf{sp, pc, g, ctxt, [ret], lr, bp}) at 56.
        let (lr, bp) = if self.gobuf_has_ret {
            (40, 48)
        } else {
            (32, 40)
        };
        GOffsets {
            size: self.size,
            stack_lo: 0,
            stack_hi: 8,
            sched_sp: 56,
            sched_pc: 64,
            sched_bp: 56 + bp,
            sched_lr: 56 + lr,
            syscallsp: self.syscallsp,
            syscallpc: self.syscallsp + 8,
            m: 48,
            atomicstatus: self.atomicstatus,
            goid: self.goid,
            waitsince: self.waitsince,
            waiting: self.waiting,
            waitreason: self.waitreason,
            gopc: self.gopc,
            startpc: self.startpc,
            parent_goid: Some(self.parent_goid),
            labels: Some(self.labels),
            lockedm: Some(self.lockedm),
        }
    }
}

/// The table for a Go release, or the newest older one (then `exact` is false).
/// `None` for releases older than every table, or 32-bit targets.
pub fn layout(version: (u32, u32), ptr_size: usize) -> Option<Layout> {
    if ptr_size != 8 || version.0 != 1 {
        return None;
    }
    let rel = TABLES.iter().rev().find(|r| r.minor <= version.1)?;
    let exact = rel.minor == version.1;
    let all: Vec<(String, u32)> = statuses(rel.minor)
        .map(|s| (s.name.to_string(), s.value))
        .collect();
    let deadextra = statuses(rel.minor)
        .find(|s| s.name == "deadextra")
        .map(|s| s.value);
    Some(Layout {
        ptr_size: 8,
        g: rel.g.offsets(),
        m: rel.m.clone(),
        status: StatusConsts {
            runnable: status("runnable"),
            running: status("running"),
            syscall: status("syscall"),
            waiting: status("waiting"),
            dead: status("dead"),
            deadextra,
            scan: status("scan"),
            all,
        },
        source: LayoutSource::Fallback {
            release: format!("1.{}", rel.minor),
            exact,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_release_uses_newest_table_inexactly() {
        let l = layout((1, 99), 8).unwrap();
        assert_eq!(
            l.source,
            LayoutSource::Fallback {
                release: "1.27".into(),
                exact: false
            }
        );
        assert!(layout((1, 20), 8).is_none());
        assert!(layout((1, 24), 4).is_none());
        assert_eq!(releases().count(), 7);
        let l = layout((1, 26), 8).unwrap();
        assert_eq!(l.status.deadextra, Some(11));
        assert_eq!(layout((1, 25), 8).unwrap().status.deadextra, None);
    }
}
