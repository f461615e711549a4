//! The one-line-per-goroutine listing (`wslgo-bt --list`, `wslgo goroutines BIN CORE`),
//! filtered, sorted and formatted in Rust: at 100,000 goroutines the caller gets one
//! string instead of 100,000 records to format.
//!
//! The text is byte-identical to `wslgo.report.format_list(report.apply(records, flt))`
//! on the records of the same goroutines (tests/py/test_goroutines_report.py compares
//! them on a real core): marker `*` for the current goroutine, the goid right-aligned in 6
//! columns, `[state]`, the first frame outside the runtime as `func at short/path.go:line`,
//! then `(thread N, system, k=v ...)`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use super::fxhash::FxHashMap;
use super::{Frame, Goroutine};
use crate::text::{decimal, escape};

/// Which goroutines to list (the fields of `wslgo.report.Filter` a listing uses). Every
/// non-empty criterion must hold.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Keep goroutines whose state or status name contains one of these
    /// (case-insensitive).
    pub states: Vec<String>,
    /// Keep goroutines whose wait reason contains one of these (case-insensitive).
    pub waits: Vec<String>,
    /// Keep only goroutines with a frame of the main module (the program's own code).
    pub user_only: bool,
    /// pprof labels `k=v` that must all be set (`k` alone: the key must exist).
    pub labels: Vec<String>,
    /// Only these goroutine ids (empty: all).
    pub goids: Vec<u64>,
}

/// Decoration around function and file names (ANSI colours of gdb's `set style`). An
/// empty prefix and suffix leave the name plain; empty names are never decorated.
#[derive(Debug, Clone, Default)]
pub struct ListStyle {
    /// Before and after a function name.
    pub func: (String, String),
    /// Before and after a file name (the `:line` stays outside).
    pub file: (String, String),
    /// Show the innermost frame instead of the user frame (`--top`).
    pub top: bool,
    /// The runtime's clock now (nanotime), to show how long goroutines have waited.
    pub now: Option<i64>,
    /// OS thread id -> the debugger's thread number (gdb's commands take those): the
    /// thread shows as `thread 3 (LWP 17429)`; without it, or for a thread it lacks, as
    /// `thread 17429`.
    pub thread_nums: Option<Arc<BTreeMap<i64, u64>>>,
}

/// Whole minutes `g` has been waiting at `now` (the runtime's `, N minutes`), when it
/// knows since when (`g.waitsince`, set by the garbage collector) and it is at least one.
pub fn waited_minutes(g: &Goroutine, now: Option<i64>) -> Option<i64> {
    let now = now?;
    if g.waitsince <= 0 || now < g.waitsince {
        return None;
    }
    let m = (now - g.waitsince) / 60_000_000_000;
    (m >= 1).then_some(m)
}

/// A formatted listing and the counts the summary line needs (the unit tests' view of
/// [`select`] and the line format; the product's list is `snapshot::render`).
#[cfg(test)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// One line per listed goroutine, joined with `\n` (no trailing newline).
    pub text: String,
    /// Lines in `text`.
    pub shown: usize,
    /// Goroutines enumerated (before filtering).
    pub total: usize,
    /// System goroutines among them.
    pub system: usize,
    /// Unreadable records among them.
    pub unreadable: usize,
    /// Requested goids that no goroutine has, sorted.
    pub missing: Vec<u64>,
}

/// Trim GOROOT-like prefixes: keep from `src/` of a Go tree, else the last 3 parts
/// (`wslgo.report.short_path`).
pub fn short_path(path: &str) -> &str {
    const GOSRC: &str = "/go/src/";
    if let Some(i) = path.rfind(GOSRC) {
        return path.get(i + GOSRC.len()..).unwrap_or(path);
    }
    match path.rmatch_indices('/').nth(2) {
        Some((i, _)) => path.get(i + 1..).unwrap_or(path),
        None => path,
    }
}

pub(crate) fn error_of(g: &Goroutine) -> Option<&str> {
    g.error.as_deref().filter(|e| !e.is_empty())
}

/// Labels as the Python records hold them: a dict (the last value of a key wins), sorted.
pub(crate) fn label_map(g: &Goroutine) -> BTreeMap<&str, &str> {
    g.labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

pub(crate) fn wrap(out: &mut String, affix: &(String, String), s: &str) {
    if s.is_empty() || (affix.0.is_empty() && affix.1.is_empty()) {
        out.push_str(s);
    } else {
        out.push_str(&affix.0);
        out.push_str(s);
        out.push_str(&affix.1);
    }
}

/// The `--func` predicate: asked about function names and `file:line` strings.
pub type FuncMatch<'f, E> = &'f mut dyn FnMut(&str) -> Result<bool, E>;

/// Memoised `func_match` over frames: names and positions are interned (`Arc<str>`), so
/// 100,000 goroutines cost a few hundred calls.
struct FuncMatcher<'f, E> {
    f: FuncMatch<'f, E>,
    by_func: FxHashMap<usize, bool>,
    by_pos: FxHashMap<(usize, u32), bool>,
}

impl<E> FuncMatcher<'_, E> {
    fn frame(&mut self, fr: &Frame) -> Result<bool, E> {
        let fk = Arc::as_ptr(&fr.func) as *const u8 as usize;
        let hit = match self.by_func.get(&fk) {
            Some(v) => *v,
            None => {
                let v = (self.f)(&fr.func)?;
                self.by_func.insert(fk, v);
                v
            }
        };
        if hit {
            return Ok(true);
        }
        let pk = (Arc::as_ptr(&fr.file) as *const u8 as usize, fr.line);
        if let Some(v) = self.by_pos.get(&pk) {
            return Ok(*v);
        }
        let v = (self.f)(&format!("{}:{}", fr.file, fr.line))?;
        self.by_pos.insert(pk, v);
        Ok(v)
    }
}

fn contains_any(hay: &str, needles: &[String]) -> bool {
    let hay = hay.to_lowercase();
    needles.iter().any(|n| hay.contains(&n.to_lowercase()))
}

fn matches<E>(
    g: &Goroutine,
    flt: &ListFilter,
    func: &mut Option<FuncMatcher<'_, E>>,
) -> Result<bool, E> {
    if !flt.goids.is_empty() && !flt.goids.contains(&g.goid) {
        return Ok(false);
    }
    if flt.user_only && !g.main_module_frame {
        return Ok(false);
    }
    if !flt.states.is_empty()
        && !contains_any(&format!("{} {}", g.state, g.status_name), &flt.states)
    {
        return Ok(false);
    }
    if !flt.waits.is_empty() && !contains_any(&g.wait_reason, &flt.waits) {
        return Ok(false);
    }
    if let Some(m) = func.as_mut() {
        let mut any = false;
        for fr in g.frames.iter() {
            if m.frame(fr)? {
                any = true;
                break;
            }
        }
        if !any {
            return Ok(false);
        }
    }
    if !flt.labels.is_empty() {
        let have = label_map(g);
        for kv in &flt.labels {
            let (k, v) = match kv.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (kv.as_str(), None),
            };
            match (have.get(k), v) {
                (None, _) => return Ok(false),
                (Some(h), Some(v)) if *h != v => return Ok(false),
                _ => {}
            }
        }
    }
    Ok(true)
}

/// The formatted locations of a listing (`func at short/path.go:line`, styled), by shared
/// frames and frame index: goroutines with the same stack share the text.
#[derive(Default)]
pub(crate) struct LineCache {
    locs: FxHashMap<(usize, usize), String>,
}

/// `n` right-aligned in `width` columns.
fn push_padded(out: &mut String, n: u64, width: usize) {
    let mut buf = [0u8; 20];
    let s = decimal(n, &mut buf);
    for _ in s.len()..width {
        out.push(' ');
    }
    out.push_str(s);
}

pub(crate) fn push_line(out: &mut String, g: &Goroutine, st: &ListStyle, cache: &mut LineCache) {
    let mark = if g.current { '*' } else { ' ' };
    if let Some(e) = error_of(g) {
        let _ = write!(out, "{mark} {:>6} [unreadable] {}", g.goid, escape(e));
        return;
    }
    let state = if !g.state.is_empty() {
        &*g.state
    } else if !g.status_name.is_empty() {
        &*g.status_name
    } else {
        "?"
    };
    out.push(mark);
    out.push(' ');
    push_padded(out, g.goid, 6);
    out.push_str(" [");
    out.push_str(&escape(state));
    if let Some(m) = waited_minutes(g, st.now) {
        let _ = write!(out, ", {m} minutes");
    }
    if g.locked_to_thread {
        out.push_str(", locked to thread");
    }
    out.push_str("] ");
    let shown = if st.top {
        (!g.frames.is_empty()).then_some(0)
    } else {
        g.user_frame
            .filter(|i| *i < g.frames.len())
            .or((!g.frames.is_empty()).then_some(0))
    };
    match shown.and_then(|i| Some((i, g.frames.get(i)?))) {
        Some((i, f)) => {
            let text = cache.locs.entry((g.frames.id(), i)).or_insert_with(|| {
                let mut t = String::new();
                wrap(&mut t, &st.func, &escape(&f.func));
                t.push_str(" at ");
                wrap(&mut t, &st.file, &escape(short_path(&f.file)));
                let _ = write!(t, ":{}", f.line);
                t
            });
            out.push_str(text);
        }
        None => out.push('?'),
    }
    if g.thread_id.filter(|t| *t != 0).is_none() && !g.system && g.labels.is_empty() {
        return;
    }
    let mut extras: Vec<String> = Vec::new();
    if let Some(t) = g.thread_id.filter(|t| *t != 0) {
        match st.thread_nums.as_ref().and_then(|m| m.get(&t)) {
            Some(n) => extras.push(format!("thread {n} (LWP {t})")),
            None => extras.push(format!("thread {t}")),
        }
    }
    if g.system {
        extras.push("system".into());
    }
    if !g.labels.is_empty() {
        let kv: Vec<String> = label_map(g)
            .iter()
            .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
            .collect();
        extras.push(kv.join(" "));
    }
    if !extras.is_empty() {
        let _ = write!(out, "  ({})", extras.join(", "));
    }
}

/// The goroutines `flt` and `func_match` keep, the current one first, then by goid (ties
/// keep their order).
pub fn select<'g, E>(
    gs: impl IntoIterator<Item = &'g Goroutine>,
    flt: &ListFilter,
    func_match: Option<FuncMatch<'_, E>>,
) -> Result<Vec<&'g Goroutine>, E> {
    let mut func = func_match.map(|f| FuncMatcher {
        f,
        by_func: FxHashMap::default(),
        by_pos: FxHashMap::default(),
    });
    // Keys next to the references: sorting 100,000 goroutines does not chase pointers.
    let gs = gs.into_iter();
    let mut keyed: Vec<((bool, u64), &Goroutine)> = Vec::with_capacity(gs.size_hint().0);
    for g in gs {
        if matches(g, flt, &mut func)? {
            keyed.push(((!g.current, g.goid), g));
        }
    }
    keyed.sort_by_key(|(k, _)| *k);
    Ok(keyed.into_iter().map(|(_, g)| g).collect())
}

/// Filter, order (the current goroutine first, then by goid; ties keep their order) and
/// format. `func_match`, when given, is asked about every frame's function name and
/// `file:line` until one matches (the `--func` regex); its error aborts the listing.
#[cfg(test)]
pub fn list<E>(
    gs: &[Goroutine],
    flt: &ListFilter,
    func_match: Option<FuncMatch<'_, E>>,
    style: &ListStyle,
) -> Result<Listing, E> {
    let shown = select(gs.iter(), flt, func_match)?;
    let mut text = String::with_capacity(shown.len() * 72);
    let mut cache = LineCache::default();
    for (i, g) in shown.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        push_line(&mut text, g, style, &mut cache);
    }
    let mut missing: Vec<u64> = flt
        .goids
        .iter()
        .copied()
        .filter(|id| !gs.iter().any(|g| g.goid == *id))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    Ok(Listing {
        text,
        shown: shown.len(),
        total: gs.len(),
        system: gs.iter().filter(|g| g.system).count(),
        unreadable: gs.iter().filter(|g| error_of(g).is_some()).count(),
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(func: &str, file: &str, line: u32) -> Frame {
        Frame {
            pc: 1,
            func: Arc::from(func),
            file: Arc::from(file),
            line,
            inlined: false,
            entry: 0,
            wrapper: false,
        }
    }

    fn g(goid: u64, state: &str) -> Goroutine {
        let mut g = Goroutine::unreadable(0, String::new());
        g.error = None;
        g.goid = goid;
        g.state = state.into();
        g.status_name = "waiting".into();
        g.frames = vec![
            frame("runtime.gopark", "/usr/lib/go/src/runtime/proc.go", 435),
            frame("main.worker", "/home/u/proj/cmd/w/main.go", 17),
        ]
        .into();
        g.user_frame = Some(1);
        g
    }

    type Never = std::convert::Infallible;

    #[test]
    fn short_path_keeps_go_src_or_three_parts() {
        assert_eq!(
            short_path("/usr/lib/go/src/runtime/proc.go"),
            "runtime/proc.go"
        );
        assert_eq!(short_path("/home/u/proj/cmd/w/main.go"), "cmd/w/main.go");
        assert_eq!(short_path("a/b/c"), "a/b/c");
        assert_eq!(short_path("/a/b"), "/a/b");
        assert_eq!(short_path("/b/c/d"), "b/c/d"); // as report.short_path: 4 parts
        assert_eq!(short_path("x/b/c/d"), "b/c/d");
    }

    #[test]
    fn lines_sort_current_first_and_carry_extras() {
        let mut a = g(9, "chan receive");
        a.labels = vec![("z".into(), "1".into()), ("a".into(), "2".into())];
        let mut b = g(12, "running");
        b.current = true;
        b.thread_id = Some(77);
        b.locked_to_thread = true;
        let mut c = g(3, "");
        c.system = true;
        c.frames = c.frames.get(..1).unwrap().to_vec().into();
        c.user_frame = None;
        let mut bad = Goroutine::unreadable(0xdead, "cannot read runtime.g at 0xdead".into());
        bad.goid = 0;
        let gs = vec![a, b, c, bad];
        let l = list::<Never>(&gs, &ListFilter::default(), None, &ListStyle::default()).unwrap();
        let want = [
            "*     12 [running, locked to thread] main.worker at cmd/w/main.go:17  (thread 77)",
            "       0 [unreadable] cannot read runtime.g at 0xdead",
            "       3 [waiting] runtime.gopark at runtime/proc.go:435  (system)",
            "       9 [chan receive] main.worker at cmd/w/main.go:17  (a=2 z=1)",
        ];
        assert_eq!(l.text, want.join("\n"));
        assert_eq!((l.shown, l.total, l.system, l.unreadable), (4, 4, 1, 1));
        // with the debugger's thread numbers: gdb's number first, the LWP after it
        let st = ListStyle {
            thread_nums: Some(Arc::new(BTreeMap::from([(77, 3)]))),
            ..ListStyle::default()
        };
        let l = list::<Never>(&gs, &ListFilter::default(), None, &st).unwrap();
        assert!(l.text.starts_with(
            "*     12 [running, locked to thread] main.worker at cmd/w/main.go:17  (thread 3 (LWP 77))\n"
        ));
    }

    #[test]
    fn filters_and_styles() {
        let mut a = g(1, "chan receive");
        a.labels = vec![("k".into(), "v".into())];
        let b = g(2, "sleep");
        let gs = vec![a, b];
        let flt = ListFilter {
            states: vec!["CHAN".into()],
            labels: vec!["k".into(), "k=v".into()],
            goids: vec![1, 2, 5, 5],
            ..ListFilter::default()
        };
        let st = ListStyle {
            func: ("<".into(), ">".into()),
            file: (String::new(), String::new()),
            top: false,
            now: None,
            thread_nums: None,
        };
        let l = list::<Never>(&gs, &flt, None, &st).unwrap();
        assert_eq!(
            l.text,
            "       1 [chan receive] <main.worker> at cmd/w/main.go:17  (k=v)"
        );
        assert_eq!(l.missing, vec![5]);
        let mut m = |s: &str| -> Result<bool, Never> { Ok(s.ends_with("main.go:17")) };
        let flt = ListFilter::default();
        let l = list(&gs, &flt, Some(&mut m), &ListStyle::default()).unwrap();
        assert_eq!(l.shown, 2);
        let mut none = |_: &str| -> Result<bool, &str> { Err("bad") };
        assert_eq!(
            list(&gs, &flt, Some(&mut none), &ListStyle::default()),
            Err("bad")
        );
    }
}
