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

use super::filter::label_map;
use crate::runtime::fxhash::FxHashMap;
use crate::runtime::Goroutine;
use crate::text::{decimal, escape};

/// Decoration around function and file names (ANSI colours of gdb's `set style`). An
/// empty prefix and suffix leave the name plain; empty names are never decorated.
#[derive(Debug, Clone, Default)]
pub(super) struct ListStyle {
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
pub(super) fn waited_minutes(g: &Goroutine, now: Option<i64>) -> Option<i64> {
    let now = now?;
    if g.waitsince <= 0 || now < g.waitsince {
        return None;
    }
    let m = (now - g.waitsince) / 60_000_000_000;
    (m >= 1).then_some(m)
}

/// A formatted listing and the counts the summary line needs (the unit tests' view of
/// [`Filter::select`](super::Filter::select) and the line format; the product's list is
/// [`render`](super::render)).
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
    pub missing: Vec<crate::ids::GoId>,
}

/// `waits on chan 0xc000120060` (a select: `... and chan 0x...`; a nil channel: `nil
/// chan`) for a goroutine whose wait objects were read, else None.
pub(crate) fn waits_on_text(g: &Goroutine) -> Option<String> {
    if g.waits_on.is_empty() {
        return None;
    }
    let mut s = String::from("waits on");
    for (i, w) in g.waits_on.iter().enumerate() {
        if i > 0 {
            s.push_str(" and");
        }
        if w.addr == 0 {
            let _ = write!(s, " nil {}", w.kind.as_str());
        } else {
            let _ = write!(s, " {} {:#x}", w.kind.as_str(), w.addr);
        }
    }
    Some(s)
}

/// Trim GOROOT-like prefixes: keep from `src/` of a Go tree, else the last 3 parts
/// (the one rule; Python has no copy of it).
pub(super) fn short_path(path: &str) -> &str {
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

pub(crate) fn wrap(out: &mut String, affix: &(String, String), s: &str) {
    if s.is_empty() || (affix.0.is_empty() && affix.1.is_empty()) {
        out.push_str(s);
    } else {
        out.push_str(&affix.0);
        out.push_str(s);
        out.push_str(&affix.1);
    }
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
    push_padded(out, g.goid.0, 6);
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
    if g.thread_id.filter(|t| *t != 0).is_none()
        && !g.system
        && g.labels.is_empty()
        && g.waits_on.is_empty()
    {
        return;
    }
    let mut extras: Vec<String> = Vec::new();
    if let Some(w) = waits_on_text(g) {
        extras.push(w);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{GoId, Pc};
    use crate::runtime::Frame;
    use crate::views::Filter;

    /// Filter, order and format.
    fn list(gs: &[Goroutine], flt: &Filter, style: &ListStyle) -> Listing {
        let shown = flt.select(gs.iter(), None);
        let mut text = String::with_capacity(shown.len() * 72);
        let mut cache = LineCache::default();
        for (i, g) in shown.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            push_line(&mut text, g, style, &mut cache);
        }
        Listing {
            text,
            shown: shown.len(),
            total: gs.len(),
            system: gs.iter().filter(|g| g.system).count(),
            unreadable: gs.iter().filter(|g| error_of(g).is_some()).count(),
            missing: flt.missing(gs.iter()),
        }
    }

    fn frame(func: &str, file: &str, line: u32) -> Frame {
        Frame {
            pc: Pc(1),
            func: Arc::from(func),
            file: Arc::from(file),
            line,
            inlined: false,
            entry: Pc(0),
            wrapper: false,
        }
    }

    fn g(goid: u64, state: &str) -> Goroutine {
        let mut g = Goroutine::unreadable(0, String::new());
        g.error = None;
        g.goid = GoId(goid);
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

    #[test]
    fn short_path_keeps_go_src_or_three_parts() {
        assert_eq!(
            short_path("/usr/lib/go/src/runtime/proc.go"),
            "runtime/proc.go"
        );
        assert_eq!(short_path("/home/u/proj/cmd/w/main.go"), "cmd/w/main.go");
        assert_eq!(short_path("a/b/c"), "a/b/c");
        assert_eq!(short_path("/a/b"), "/a/b");
        assert_eq!(short_path("/b/c/d"), "b/c/d"); // 4 parts: the last 3
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
        bad.goid = GoId(0);
        let gs = vec![a, b, c, bad];
        let l = list(&gs, &Filter::default(), &ListStyle::default());
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
        let l = list(&gs, &Filter::default(), &st);
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
        let flt = Filter {
            states: vec!["CHAN".into()],
            labels: vec!["k".into(), "k=v".into()],
            goids: [1, 2, 5, 5].map(GoId).into(),
            ..Filter::default()
        };
        let st = ListStyle {
            func: ("<".into(), ">".into()),
            file: (String::new(), String::new()),
            top: false,
            now: None,
            thread_nums: None,
        };
        let l = list(&gs, &flt, &st);
        assert_eq!(
            l.text,
            "       1 [chan receive] <main.worker> at cmd/w/main.go:17  (k=v)"
        );
        assert_eq!(l.missing, vec![GoId(5)]);
        let flt = Filter {
            func: Some(crate::views::filter::func_regex(r"main\.go:17$").unwrap()),
            ..Filter::default()
        };
        assert_eq!(list(&gs, &flt, &ListStyle::default()).shown, 2);
        let flt = Filter {
            func: Some(crate::views::filter::func_regex("^main\\.").unwrap()),
            states: vec!["sleep".into()],
            ..Filter::default()
        };
        assert_eq!(
            list(&gs, &flt, &ListStyle::default())
                .text
                .matches('\n')
                .count(),
            0
        );
        assert!(crate::views::filter::func_regex("(").is_err());
    }
}
