//! Grouping goroutines like panicparse: same state, same frames (function and
//! file:line) and same `go` statement fold into one bucket.

use std::sync::Arc;

use super::fxhash::FxHashMap;
use super::Goroutine;

/// Goroutines with the same state and stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Shared state (wait reason or status).
    pub state: String,
    /// Shared frames as (func, file, line), innermost first.
    pub frames: Vec<(String, String, u32)>,
    /// The shared `go` statement that created them as (func, file, line); none for the
    /// main goroutine (the runtime prints none for it either).
    pub created_by: Option<(String, String, u32)>,
    /// Ids of the goroutines, ascending.
    pub goids: Vec<u64>,
    /// Indices into the input slice, in goid order.
    pub members: Vec<usize>,
    /// True if the current goroutine is in this bucket.
    pub current: bool,
}

/// Group `gs`: the bucket of the current goroutine first, then larger buckets first,
/// then by the smallest goid.
pub fn group(gs: &[Goroutine]) -> Vec<Bucket> {
    // Pass 1 keys on name pointers: one enumeration interns every name once, so this is
    // exact for its records and cheap (no string hashing per frame).
    type PtrKey = (
        String,
        Vec<(usize, usize, u32)>,
        Option<(String, String, u32)>,
    );
    let mut first: FxHashMap<PtrKey, usize> = FxHashMap::default();
    let mut provisional: Vec<(usize, Vec<usize>)> = Vec::new(); // (representative, members)
    for (i, g) in gs.iter().enumerate() {
        let key: PtrKey = (
            state_of(g),
            g.frames
                .iter()
                .map(|f| {
                    (
                        Arc::as_ptr(&f.func) as *const u8 as usize,
                        Arc::as_ptr(&f.file) as *const u8 as usize,
                        f.line,
                    )
                })
                .collect(),
            created_by(g),
        );
        match first.get(&key) {
            Some(b) => {
                if let Some(p) = provisional.get_mut(*b) {
                    p.1.push(i);
                }
            }
            None => {
                first.insert(key, provisional.len());
                provisional.push((i, vec![i]));
            }
        }
    }
    // Pass 2 merges provisional buckets with equal content (records built elsewhere may
    // hold equal names in distinct allocations).
    type Key = (
        String,
        Vec<(String, String, u32)>,
        Option<(String, String, u32)>,
    );
    let mut index: FxHashMap<Key, usize> = FxHashMap::default();
    let mut out: Vec<Bucket> = Vec::new();
    for (rep, members) in provisional {
        let Some(g) = gs.get(rep) else { continue };
        let key: Key = (
            state_of(g),
            g.frames
                .iter()
                .map(|f| (f.func.to_string(), f.file.to_string(), f.line))
                .collect(),
            created_by(g),
        );
        let b = match index.get(&key) {
            Some(b) => *b,
            None => {
                index.insert(key.clone(), out.len());
                out.push(Bucket {
                    state: key.0,
                    frames: key.1,
                    created_by: key.2,
                    goids: Vec::new(),
                    members: Vec::new(),
                    current: false,
                });
                out.len() - 1
            }
        };
        if let Some(bk) = out.get_mut(b) {
            for i in members {
                if let Some(g) = gs.get(i) {
                    bk.goids.push(g.goid);
                    bk.members.push(i);
                    bk.current |= g.current;
                }
            }
        }
    }
    for b in &mut out {
        let mut pairs: Vec<(u64, usize)> = b
            .goids
            .iter()
            .copied()
            .zip(b.members.iter().copied())
            .collect();
        pairs.sort_unstable();
        b.goids = pairs.iter().map(|p| p.0).collect();
        b.members = pairs.iter().map(|p| p.1).collect();
    }
    out.sort_by(|a, b| {
        b.current
            .cmp(&a.current)
            .then(b.goids.len().cmp(&a.goids.len()))
            .then(a.goids.first().cmp(&b.goids.first()))
    });
    out
}

/// The `go` statement of `g` as (func, file, line), none for the main goroutine.
fn created_by(g: &Goroutine) -> Option<(String, String, u32)> {
    let go = g.go_statement.as_ref().filter(|l| !l.func.is_empty())?;
    (g.goid != 1).then(|| (go.func.to_string(), go.file.to_string(), go.line))
}

fn state_of(g: &Goroutine) -> String {
    match &g.error {
        Some(e) => format!("unreadable: {e}"),
        None => g.state.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{Frame, Location};

    fn goroutine(goid: u64, created_at: Option<u32>) -> Goroutine {
        let mut g = Goroutine::unreadable(0, String::new());
        g.error = None;
        g.goid = goid;
        g.state = "chan receive".into();
        g.frames = vec![Frame {
            pc: 1,
            sp: 2,
            func: Arc::from("main.worker"),
            file: Arc::from("main.go"),
            line: 3,
            inlined: false,
            entry: 0,
            wrapper: false,
        }];
        g.go_statement = created_at.map(|line| Location {
            func: "main.main".into(),
            file: "main.go".into(),
            line,
            pc: 0,
        });
        g
    }

    #[test]
    fn buckets_keep_the_go_statement() {
        let gs = vec![
            goroutine(7, Some(10)),
            goroutine(8, Some(10)),
            goroutine(9, Some(20)),
        ];
        let b = group(&gs);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].goids, vec![7, 8]);
        let created = |line| Some(("main.main".to_string(), "main.go".to_string(), line));
        assert_eq!(b[0].created_by, created(10));
        assert_eq!(b[1].created_by, created(20));
        // The main goroutine has no creator, whatever its record says.
        assert_eq!(group(&[goroutine(1, Some(10))])[0].created_by, None);
    }
}
