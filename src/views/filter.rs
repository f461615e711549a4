//! Which goroutines a view shows: states, wait reasons, a regex over the frames, the main
//! module's goroutines, pprof labels, ids and how long they have waited; and the order
//! (the current goroutine first, then by goid).

use std::collections::BTreeMap;
use std::sync::Arc;

use regex::Regex;

use crate::error::{Error, Result};
use crate::ids::GoId;
use crate::runtime::fxhash::{FxHashMap, FxHashSet};
use crate::runtime::{Frame, Goroutine};

/// Which goroutines to show. Every non-empty criterion must hold.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keep goroutines whose state or status name contains one of these
    /// (case-insensitive).
    pub states: Vec<String>,
    /// Keep goroutines whose wait reason contains one of these (case-insensitive).
    pub waits: Vec<String>,
    /// Keep goroutines with a frame whose function name or `file:line` the regex finds.
    pub func: Option<Regex>,
    /// Keep only goroutines with a frame of the main module (the program's own code).
    pub user_only: bool,
    /// pprof labels `k=v` that must all be set (`k` alone: the key must exist).
    pub labels: Vec<String>,
    /// Only these goroutine ids (empty: all, unless `only_ids`).
    pub goids: Vec<GoId>,
    /// Keep only `goids` even when it is empty (`--leaked` when none is leaked).
    pub only_ids: bool,
    /// Keep goroutines waiting at least this many nanoseconds (by the view's clock).
    pub min_wait: Option<i64>,
}

/// The `--func` regex, or one line saying why it is not one.
pub fn func_regex(pattern: &str) -> Result<Regex> {
    Regex::new(pattern).map_err(|e| {
        let why = e.to_string();
        let last = why.lines().last().unwrap_or("").trim();
        let last = last.strip_prefix("error: ").unwrap_or(last);
        Error::BadInput(format!("--func {pattern:?} is not a regex: {last}"))
    })
}

/// The regex asked about frames, memoised: names and positions are interned
/// (`Arc<str>`), so 100,000 goroutines cost a few hundred searches.
struct FuncMatcher<'r> {
    re: &'r Regex,
    by_func: FxHashMap<usize, bool>,
    by_pos: FxHashMap<(usize, u32), bool>,
}

impl FuncMatcher<'_> {
    fn frame(&mut self, fr: &Frame) -> bool {
        let fk = Arc::as_ptr(&fr.func) as *const u8 as usize;
        let re = self.re;
        if *self
            .by_func
            .entry(fk)
            .or_insert_with(|| re.is_match(&fr.func))
        {
            return true;
        }
        let pk = (Arc::as_ptr(&fr.file) as *const u8 as usize, fr.line);
        *self
            .by_pos
            .entry(pk)
            .or_insert_with(|| re.is_match(&format!("{}:{}", fr.file, fr.line)))
    }
}

fn contains_any(hay: &str, needles: &[String]) -> bool {
    let hay = hay.to_lowercase();
    needles.iter().any(|n| hay.contains(&n.to_lowercase()))
}

/// Labels as a map (the last value of a key wins), sorted.
pub(crate) fn label_map(g: &Goroutine) -> BTreeMap<&str, &str> {
    g.labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

impl Filter {
    fn matches(
        &self,
        g: &Goroutine,
        goids: &FxHashSet<GoId>,
        func: &mut Option<FuncMatcher<'_>>,
    ) -> bool {
        if (self.only_ids || !goids.is_empty()) && !goids.contains(&g.goid) {
            return false;
        }
        if self.user_only && !g.main_module_frame {
            return false;
        }
        if !self.states.is_empty()
            && !contains_any(&format!("{} {}", g.state, g.status_name), &self.states)
        {
            return false;
        }
        if !self.waits.is_empty() && !contains_any(&g.wait_reason, &self.waits) {
            return false;
        }
        if let Some(m) = func.as_mut() {
            if !g.frames.iter().any(|fr| m.frame(fr)) {
                return false;
            }
        }
        if !self.labels.is_empty() {
            let have = label_map(g);
            for kv in &self.labels {
                let (k, v) = match kv.split_once('=') {
                    Some((k, v)) => (k, Some(v)),
                    None => (kv.as_str(), None),
                };
                match (have.get(k), v) {
                    (None, _) => return false,
                    (Some(h), Some(v)) if *h != v => return false,
                    _ => {}
                }
            }
        }
        true
    }

    /// The goroutines it keeps, the current one first, then by goid (ties keep their
    /// order). `now` is the clock `min_wait` is measured with (none: nothing has waited).
    pub fn select<'g>(
        &self,
        gs: impl IntoIterator<Item = &'g Goroutine>,
        now: Option<i64>,
    ) -> Vec<&'g Goroutine> {
        let mut func = self.func.as_ref().map(|re| FuncMatcher {
            re,
            by_func: FxHashMap::default(),
            by_pos: FxHashMap::default(),
        });
        // A set: `wslgo leaks` asks for 50,000 ids out of 100,000 goroutines.
        let goids: FxHashSet<GoId> = self.goids.iter().copied().collect();
        // Keys next to the references: sorting 100,000 goroutines does not chase pointers.
        let gs = gs.into_iter();
        let mut keyed: Vec<((bool, GoId), &Goroutine)> = Vec::with_capacity(gs.size_hint().0);
        for g in gs {
            if self.matches(g, &goids, &mut func) && self.waited_enough(g, now) {
                keyed.push(((!g.current, g.goid), g));
            }
        }
        keyed.sort_by_key(|(k, _)| *k);
        keyed.into_iter().map(|(_, g)| g).collect()
    }

    fn waited_enough(&self, g: &Goroutine, now: Option<i64>) -> bool {
        match self.min_wait {
            None => true,
            Some(min) => {
                g.waitsince > 0 && now.is_some_and(|n| n.saturating_sub(g.waitsince) >= min)
            }
        }
    }

    /// An error naming the first state it asks for that no name of `known` (the
    /// program's status names and wait reasons) contains, and listing them; `known` empty
    /// (not known) accepts every state.
    pub fn check_states(&self, known: &[String]) -> Result<()> {
        if known.is_empty() {
            return Ok(());
        }
        let lower: Vec<String> = known.iter().map(|k| k.to_lowercase()).collect();
        for s in &self.states {
            let want = s.to_lowercase();
            if !lower.iter().any(|k| k.contains(&want)) {
                return Err(Error::BadInput(format!(
                    "no goroutine state {:?}: the states are {}",
                    crate::text::escape(s),
                    known.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The ids it asks for that no goroutine of `gs` has, sorted.
    pub fn missing<'g>(&self, gs: impl IntoIterator<Item = &'g Goroutine>) -> Vec<GoId> {
        if self.goids.is_empty() {
            return Vec::new();
        }
        let have: FxHashSet<GoId> = gs.into_iter().map(|g| g.goid).collect();
        let mut missing: Vec<GoId> = self
            .goids
            .iter()
            .copied()
            .filter(|id| !have.contains(id))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }
}
