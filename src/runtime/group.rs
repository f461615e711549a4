//! Grouping goroutines like panicparse: same state and same frames (function and
//! file:line) fold into one bucket.

use std::collections::HashMap;

use super::Goroutine;

type FrameKey = Vec<(String, String, u32)>;

/// Goroutines with the same state and stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Shared state (wait reason or status).
    pub state: String,
    /// Shared frames as (func, file, line), innermost first.
    pub frames: Vec<(String, String, u32)>,
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
    let mut index: HashMap<(String, FrameKey), usize> = HashMap::new();
    let mut out: Vec<Bucket> = Vec::new();
    for (i, g) in gs.iter().enumerate() {
        let state = match &g.error {
            Some(e) => format!("unreadable: {e}"),
            None => g.state.clone(),
        };
        let frames: Vec<(String, String, u32)> = g
            .frames
            .iter()
            .map(|f| (f.func.to_string(), f.file.to_string(), f.line))
            .collect();
        let key = (state, frames);
        let b = match index.get(&key) {
            Some(b) => *b,
            None => {
                out.push(Bucket {
                    state: key.0.clone(),
                    frames: key.1.clone(),
                    goids: Vec::new(),
                    members: Vec::new(),
                    current: false,
                });
                index.insert(key, out.len() - 1);
                out.len() - 1
            }
        };
        if let Some(bk) = out.get_mut(b) {
            bk.goids.push(g.goid);
            bk.members.push(i);
            bk.current |= g.current;
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
