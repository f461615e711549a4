//! Per-Go-release layout tables, used ONLY for binaries without DWARF (`-ldflags=-w`,
//! `-s -w`). All Go-version knowledge of the goroutine engine lives in this module.
//! `tests/goroutines_layout.rs` checks every table against the DWARF of a fixture built
//! with that release, so a table cannot silently drift.

use super::layout::{GOffsets, Layout, LayoutSource, MOffsets, StatusConsts};

/// Releases with a table (amd64/arm64, 64-bit pointers).
pub const RELEASES: &[(u32, u32)] = &[
    (1, 21),
    (1, 22),
    (1, 23),
    (1, 24),
    (1, 25),
    (1, 26),
    (1, 27),
];

/// From Go 1.24 `g.labels` points at a `labelMap{LabelSet{list []label}}`; before, at a
/// `map[string]string` (a hash map).
pub fn labels_are_slice(version: (u32, u32)) -> bool {
    version >= (1, 24)
}

#[allow(clippy::too_many_arguments)]
fn g(
    size: u64,
    syscallsp: u64,
    status: u64,
    goid: u64,
    waitsince: u64,
    waitreason: u64,
    lockedm: u64,
    parent: u64,
    gopc: u64,
    startpc: u64,
    labels: u64,
    gobuf_has_ret: bool,
) -> GOffsets {
    // gobuf: sp pc g ctxt [ret] lr bp
    let (lr, bp) = if gobuf_has_ret { (40, 48) } else { (32, 40) };
    GOffsets {
        size,
        stack_lo: 0,
        stack_hi: 8,
        sched_sp: 56,
        sched_pc: 64,
        sched_bp: 56 + bp,
        sched_lr: 56 + lr,
        syscallsp,
        syscallpc: syscallsp + 8,
        m: 48,
        atomicstatus: status,
        goid,
        waitsince,
        waitreason,
        gopc,
        startpc,
        parent_goid: Some(parent),
        labels: Some(labels),
        lockedm: Some(lockedm),
    }
}

/// The table for a Go release, or the newest older one (then `exact` is false).
/// `None` for releases older than every table, or 32-bit targets.
pub fn layout(version: (u32, u32), ptr_size: usize) -> Option<Layout> {
    if ptr_size != 8 {
        return None;
    }
    let rel = RELEASES.iter().rev().find(|r| **r <= version)?;
    let exact = *rel == version;
    let (gofs, mofs) = match rel.1 {
        21 | 22 => (
            g(
                if rel.1 == 21 { 408 } else { 424 },
                112,
                144,
                152,
                168,
                176,
                208,
                272,
                280,
                296,
                344,
                true,
            ),
            MOffsets {
                procid: 72,
                curg: 192,
                id: 232,
            },
        ),
        23 | 24 => (
            g(
                if rel.1 == 23 { 432 } else { 440 },
                112,
                152,
                160,
                176,
                184,
                216,
                280,
                288,
                304,
                352,
                true,
            ),
            MOffsets {
                procid: 72,
                curg: 192,
                id: 232,
            },
        ),
        25 => (
            g(440, 104, 144, 152, 168, 176, 208, 272, 280, 296, 344, false),
            MOffsets {
                procid: 64,
                curg: 184,
                id: 224,
            },
        ),
        _ => (
            g(456, 104, 144, 152, 168, 176, 208, 280, 288, 304, 352, false),
            MOffsets {
                procid: 64,
                curg: 184,
                id: 232,
            },
        ),
    };
    let mut all: Vec<(String, u32)> = [
        ("idle", 0),
        ("runnable", 1),
        ("running", 2),
        ("syscall", 3),
        ("waiting", 4),
        ("moribund_unused", 5),
        ("dead", 6),
        ("enqueue_unused", 7),
        ("copystack", 8),
        ("preempted", 9),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), *v))
    .collect();
    let deadextra = if rel.1 >= 26 {
        all.push(("leaked".into(), 10));
        all.push(("deadextra".into(), 11));
        Some(11)
    } else {
        None
    };
    all.push(("scan".into(), 0x1000));
    Some(Layout {
        ptr_size: 8,
        g: gofs,
        m: mofs,
        status: StatusConsts {
            runnable: 1,
            running: 2,
            syscall: 3,
            waiting: 4,
            dead: 6,
            deadextra,
            scan: 0x1000,
            all,
        },
        source: LayoutSource::Fallback {
            release: format!("{}.{}", rel.0, rel.1),
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
    }
}
