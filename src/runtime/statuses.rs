//! The goroutine status table (`runtime._G*` of runtime/runtime2.go): the one list both
//! the DWARF layout reader (which keeps only these names) and the fallback tables use, so
//! neither imports the other.

/// A goroutine status constant (`runtime._G<name>`, runtime/runtime2.go).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Name without `_G`, as the runtime spells it (`running`, `moribund_unused`).
    pub name: &'static str,
    /// Value.
    pub value: u32,
    /// First Go 1.x release that has it.
    pub since_minor: u32,
}

/// Every goroutine status of every release with a table: the one list of them. The DWARF
/// reader keeps only these names (the `_G` prefix also matches `_GCoff`, `_Goidcachebatch`
/// and the derived `_Gscan*` combinations); tests/goroot_constants.rs checks the list
/// against each pinned GOROOT's runtime2.go.
pub const STATUSES: &[Status] = &[
    st("idle", 0, 21),
    st("runnable", 1, 21),
    st("running", 2, 21),
    st("syscall", 3, 21),
    st("waiting", 4, 21),
    st("moribund_unused", 5, 21),
    st("dead", 6, 21),
    st("enqueue_unused", 7, 21),
    st("copystack", 8, 21),
    st("preempted", 9, 21),
    st("leaked", 10, 26),
    st("deadextra", 11, 26),
    st("scan", 0x1000, 21),
];

const fn st(name: &'static str, value: u32, since_minor: u32) -> Status {
    Status {
        name,
        value,
        since_minor,
    }
}

/// The statuses of Go 1.`minor`.
pub fn statuses(minor: u32) -> impl Iterator<Item = &'static Status> {
    STATUSES.iter().filter(move |s| s.since_minor <= minor)
}
