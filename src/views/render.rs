//! Every goroutine view formatted from one enumeration (a snapshot of the program at a
//! stop): the one-line list, runtime.Stack-like full stacks, panicparse-like groups,
//! `wslgo-bt`'s default view (the current goroutine and one line per group of the
//! others), the stop context, and JSON (one document or one goroutine per line).
//!
//! Text goes to a [`Sink`] in chunks, so a caller can stream it (gdb.write, stdout)
//! with memory bounded by the chunk size, not by the number of goroutines. The gdb
//! command and the CLI both call this module, so their outputs are the same bytes.

use crate::text::{decimal, escape, push_json_str};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use super::filter::label_map;
use super::list::{
    error_of, push_line, short_path, waited_minutes, waits_on_text, wrap, LineCache, ListStyle,
};
use crate::ids::{GoId, Pc};
use crate::runtime::fxhash::FxHashMap;
use crate::runtime::{Census, Frame, Goroutine, Location};

/// How many bytes a [`Sink`] gathers before it hands them on.
pub const CHUNK: usize = 1 << 16;

/// Decoration around names (gdb's `set style` colours): (prefix, suffix) each.
#[derive(Debug, Clone, Default)]
pub struct Style {
    /// Function names.
    pub func: (String, String),
    /// File names (with or without `:line`, as each view decorates them).
    pub file: (String, String),
    /// Pc offsets (` +0x1c`).
    pub addr: (String, String),
    /// Locations are the innermost frame, not the user frame (`--top`).
    pub top: bool,
    /// The runtime's clock now (nanotime): states show `, N minutes` of waiting.
    pub now: Option<i64>,
    /// OS thread id -> the debugger's thread number: lists say `thread 3 (LWP 17429)`.
    pub thread_nums: Option<Arc<BTreeMap<i64, u64>>>,
    /// The fatal error of a core that no goroutine threw (a deadlock found on a system
    /// stack): JSON documents carry it as `fatal_error`.
    pub fatal: Option<String>,
}

impl Style {
    fn list(&self) -> ListStyle {
        ListStyle {
            func: self.func.clone(),
            file: self.file.clone(),
            top: self.top,
            now: self.now,
            thread_nums: self.thread_nums.clone(),
        }
    }
}

/// Where formatted text goes: gathered in a buffer, handed to `flush` every [`CHUNK`]
/// bytes and at the end.
pub struct Sink<'f, E> {
    buf: String,
    flush: &'f mut dyn FnMut(&str) -> Result<(), E>,
}

impl<'f, E> Sink<'f, E> {
    /// A sink that hands its text to `flush`.
    pub fn new(flush: &'f mut dyn FnMut(&str) -> Result<(), E>) -> Self {
        Sink {
            buf: String::with_capacity(CHUNK + 4096),
            flush,
        }
    }

    fn maybe_flush(&mut self) -> Result<(), E> {
        if self.buf.len() >= CHUNK {
            (self.flush)(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Hand on what is left.
    pub fn finish(mut self) -> Result<(), E> {
        if !self.buf.is_empty() {
            (self.flush)(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// `1 frame`, `2 frames`.
pub(super) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The bracketed state as runtime.Stack prints it (with `, N minutes` of waiting when
/// `now` is known), plus `locked to thread`.
pub(super) fn state_text(g: &Goroutine, now: Option<i64>) -> String {
    if error_of(g).is_some() {
        return "unreadable".into();
    }
    let s = if !g.state.is_empty() {
        &*g.state
    } else if !g.status_name.is_empty() {
        &*g.status_name
    } else {
        "?"
    };
    let mut out = s.to_string();
    if let Some(m) = waited_minutes(g, now) {
        let _ = write!(out, ", {m} minutes");
    }
    if g.locked_to_thread {
        out.push_str(", locked to thread");
    }
    out
}

/// The summary line: `N goroutines (M system, K unreadable)`, of `gs` and the goroutines
/// an enumeration only counted (`others`).
pub fn summary<'g>(gs: impl IntoIterator<Item = &'g Goroutine>, others: &Census) -> String {
    let (mut n, mut system, mut bad) = (0usize, others.others_system, 0usize);
    for g in gs {
        n += 1;
        system += usize::from(g.system);
        bad += usize::from(error_of(g).is_some());
    }
    let mut extra = format!("{system} system");
    if bad > 0 {
        let _ = write!(extra, ", {bad} unreadable");
    }
    format!("{} ({extra})", plural(n + others.others, "goroutine"))
}

fn created_by(g: &Goroutine) -> Option<&Location> {
    g.go_statement
        .as_deref()
        .filter(|l| !l.func.is_empty() && g.goid != GoId(1))
}

/// The frames a view shows with `depth`: `depth` frames from the user frame (from the
/// innermost with `top` or without a user frame), every frame without a depth; and how
/// many innermost frames that folds away.
pub(super) fn window(g: &Goroutine, depth: Option<usize>, top: bool) -> (usize, &[Frame]) {
    let Some(d) = depth else {
        return (0, &g.frames);
    };
    let start = if top || d == 0 {
        0
    } else {
        g.user_frame.filter(|i| *i < g.frames.len()).unwrap_or(0)
    };
    let rest = g.frames.get(start..).unwrap_or(&[]);
    (start, rest.get(..d).unwrap_or(rest))
}

/// `...2 frames folded: runtime.gopark, runtime.chanrecv1...` for the innermost frames a
/// window leaves out (the first and the last name when there are more than two).
pub(super) fn fold_text(folded: &[Frame]) -> String {
    let names = match folded {
        [] => return String::new(),
        [a] => escape(&a.func).into_owned(),
        [a, b] => format!("{}, {}", escape(&a.func), escape(&b.func)),
        [a, .., z] => format!("{} ... {}", escape(&a.func), escape(&z.func)),
    };
    format!("...{} folded: {names}...", plural(folded.len(), "frame"))
}

/// One runtime.Stack-like block (no trailing newline).
fn push_full(out: &mut String, g: &Goroutine, depth: Option<usize>, st: &Style) {
    let state = state_text(g, st.now);
    let _ = write!(out, "goroutine {} [{}]:", g.goid, escape(&state));
    if let Some(w) = waits_on_text(g) {
        let _ = write!(out, " {w}");
    }
    if let Some(e) = error_of(g) {
        let _ = write!(out, "\n\t(unreadable: {})", escape(e));
        return;
    }
    let (skipped, shown) = window(g, depth, st.top);
    if skipped > 0 {
        out.push('\n');
        out.push_str(&fold_text(g.frames.get(..skipped).unwrap_or(&[])));
    }
    for f in shown {
        out.push('\n');
        wrap(out, &st.func, &escape(&f.func));
        out.push_str(if f.inlined { "(...)" } else { "()" });
        out.push_str("\n\t");
        wrap(out, &st.file, &escape(&f.file));
        let _ = write!(out, ":{}", f.line);
        if !f.inlined && f.entry.0 != 0 && f.pc >= f.entry {
            wrap(out, &st.addr, &format!(" +{:#x}", f.pc.0 - f.entry.0));
        }
    }
    let after = g.frames.len().saturating_sub(skipped + shown.len());
    if depth.is_some() && after > 0 {
        let _ = write!(out, "\n...{} elided...", plural(after, "frame"));
    }
    if g.truncated {
        out.push_str("\n...stack truncated (depth limit)...");
    }
    if let Some(e) = g.stack_error.as_deref().filter(|e| !e.is_empty()) {
        let _ = write!(out, "\n\t(unwind stopped: {})", escape(e));
    }
    if let Some(c) = created_by(g) {
        out.push_str("\ncreated by ");
        wrap(out, &st.func, &escape(&c.func));
        if let Some(p) = g.parent_goid.filter(|p| *p != GoId(0)) {
            let _ = write!(out, " in goroutine {p}");
        }
        out.push_str("\n\t");
        wrap(out, &st.file, &escape(&c.file));
        let _ = write!(out, ":{}", c.line);
    }
    if !g.labels.is_empty() {
        let kv: Vec<String> = label_map(g)
            .iter()
            .map(|(k, v)| format!("\"{}\":\"{}\"", escape(k), escape(v)))
            .collect();
        let _ = write!(out, "\nlabels: {{{}}}", kv.join(", "));
    }
}

/// Goroutines with the same state, frames (func, file:line, cut to the depth) and `go`
/// statement.
pub(super) struct Group<'g> {
    /// The shared state text (`unreadable: why` for unreadable records).
    pub state: String,
    /// The first member (its frames, user frame and `go` statement stand for all).
    pub first: &'g Goroutine,
    /// Ids, ascending.
    pub goids: Vec<u64>,
    /// The current goroutine is a member.
    pub current: bool,
}

fn group_state(g: &Goroutine, now: Option<i64>) -> String {
    match error_of(g) {
        Some(e) => format!("unreadable: {e}"),
        None => state_text(g, now),
    }
}

/// Group `gs` (in their order): the current goroutine's group first, then larger ones,
/// then by smallest goid.
/// With a depth, goroutines group by their frames down to the end of their window.
pub(super) fn group<'g>(
    gs: &[&'g Goroutine],
    depth: Option<usize>,
    top: bool,
    now: Option<i64>,
) -> Vec<Group<'g>> {
    // Keys on identities first (one enumeration shares the names and, per unwinding
    // thread, the frames of each distinct stack): no allocation per goroutine. Groups whose
    // texts are equal but separately allocated are merged below.
    type IdKey<'g> = (
        Option<&'g str>,
        usize,
        usize,
        Option<i64>,
        bool,
        usize,
        usize,
        Option<Pc>,
    );
    let ptr = |s: &Arc<str>| Arc::as_ptr(s) as *const u8 as usize;
    let mut first: FxHashMap<IdKey<'g>, usize> = FxHashMap::default();
    let mut prov: Vec<(&'g Goroutine, Vec<&'g Goroutine>)> = Vec::new();
    for g in gs {
        let g: &'g Goroutine = g;
        let key: IdKey<'g> = (
            error_of(g),
            ptr(&g.state),
            ptr(&g.status_name),
            waited_minutes(g, now),
            g.locked_to_thread,
            g.frames.id(),
            upto_window(g, depth, top).len(),
            created_by(g).map(|c| c.pc),
        );
        match first.get(&key) {
            Some(i) => {
                if let Some(p) = prov.get_mut(*i) {
                    p.1.push(g);
                }
            }
            None => {
                first.insert(key, prov.len());
                prov.push((g, vec![g]));
            }
        }
    }
    type Key<'a> = (
        String,
        Vec<(&'a str, &'a str, u32)>,
        Option<(&'a str, &'a str, u32)>,
    );
    let mut index: FxHashMap<Key<'g>, usize> = FxHashMap::default();
    let mut out: Vec<Group<'g>> = Vec::new();
    for (rep, members) in prov {
        let key: Key<'g> = (
            group_state(rep, now),
            upto_window(rep, depth, top)
                .iter()
                .map(|f| (&*f.func, &*f.file, f.line))
                .collect(),
            created_by(rep).map(|c| (&*c.func, &*c.file, c.line)),
        );
        let i = match index.get(&key) {
            Some(i) => *i,
            None => {
                index.insert(key.clone(), out.len());
                out.push(Group {
                    state: key.0,
                    first: rep,
                    goids: Vec::new(),
                    current: false,
                });
                out.len() - 1
            }
        };
        if let Some(b) = out.get_mut(i) {
            for g in members {
                b.goids.push(g.goid.0);
                b.current |= g.current;
            }
        }
    }
    for b in &mut out {
        b.goids.sort_unstable();
    }
    out.sort_by(|a, b| {
        b.current
            .cmp(&a.current)
            .then(b.goids.len().cmp(&a.goids.len()))
            .then(a.goids.first().cmp(&b.goids.first()))
    });
    out
}

/// The frames from the innermost to the end of `g`'s window.
fn upto_window(g: &Goroutine, depth: Option<usize>, top: bool) -> &[Frame] {
    let (skipped, shown) = window(g, depth, top);
    g.frames.get(..skipped + shown.len()).unwrap_or(&g.frames)
}

fn push_ids(out: &mut String, ids: &[u64], limit: usize) {
    for (i, id) in ids.iter().take(limit).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{id}");
    }
    if ids.len() > limit {
        let _ = write!(out, ", ... ({} more)", ids.len() - limit);
    }
}

fn push_group(out: &mut String, b: &Group<'_>, depth: Option<usize>, st: &Style) {
    if b.current {
        out.push_str("* ");
    }
    let _ = write!(
        out,
        "{} [{}]: ",
        plural(b.goids.len(), "goroutine"),
        escape(&b.state)
    );
    push_ids(out, &b.goids, 12);
    let (skipped, shown) = window(b.first, depth, st.top);
    if skipped > 0 {
        out.push_str("\n    ");
        out.push_str(&fold_text(b.first.frames.get(..skipped).unwrap_or(&[])));
    }
    for f in shown {
        out.push_str("\n    ");
        wrap(out, &st.func, &escape(&f.func));
        out.push_str("  ");
        wrap(out, &st.file, &escape(short_path(&f.file)));
        let _ = write!(out, ":{}", f.line);
    }
    if let Some(c) = created_by(b.first) {
        out.push_str("\n    created by ");
        wrap(out, &st.func, &escape(&c.func));
        out.push_str("  ");
        wrap(
            out,
            &st.file,
            &format!("{}:{}", escape(short_path(&c.file)), c.line),
        );
    }
}

/// `func at short/path.go:line` of a goroutine's user frame (else its innermost), `?`.
fn push_loc(out: &mut String, g: &Goroutine, st: &Style) {
    let user = if st.top { None } else { g.user_frame };
    let f = user
        .and_then(|i| g.frames.get(i))
        .or_else(|| g.frames.first());
    match f {
        Some(f) => {
            wrap(out, &st.func, &escape(&f.func));
            out.push_str(" at ");
            wrap(out, &st.file, &escape(short_path(&f.file)));
            let _ = write!(out, ":{}", f.line);
        }
        None => out.push('?'),
    }
}

/// What a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One line per goroutine.
    List,
    /// One runtime.Stack-like block per goroutine.
    Full,
    /// Identical stacks grouped.
    Group,
    /// `wslgo-bt`: the current goroutine's stack, then one line per group of the others.
    Default,
    /// One JSON document of goroutines (`grouped`: of groups).
    Json {
        /// Groups instead of goroutines.
        grouped: bool,
        /// Indented.
        pretty: bool,
    },
    /// One compact JSON object per line (goroutines, or groups).
    Jsonl {
        /// Groups instead of goroutines.
        grouped: bool,
    },
    /// runtime-gdb.py's `info goroutines`: by goid, `*` for a goroutine on an M, the id,
    /// the status name, then the user frame (else the start function's frame).
    InfoGoroutines,
}

impl Mode {
    /// Every name [`Mode::parse`] takes (`_native.pyi`'s `Mode` spells the same list).
    pub const NAMES: [&'static str; 9] = [
        "list",
        "full",
        "group",
        "default",
        "json",
        "json-group",
        "jsonl",
        "jsonl-group",
        "info-goroutines",
    ];

    /// The mode of a name in [`Mode::NAMES`] (with `pretty` for the JSON document).
    pub fn parse(name: &str, pretty: bool) -> Option<Mode> {
        Some(match name {
            "list" => Mode::List,
            "full" => Mode::Full,
            "group" => Mode::Group,
            "default" => Mode::Default,
            "json" => Mode::Json {
                grouped: false,
                pretty,
            },
            "json-group" => Mode::Json {
                grouped: true,
                pretty,
            },
            "jsonl" => Mode::Jsonl { grouped: false },
            "jsonl-group" => Mode::Jsonl { grouped: true },
            "info-goroutines" => Mode::InfoGoroutines,
            _ => return None,
        })
    }
}

/// Format `shown` (already filtered and ordered) in `mode` into `sink`, with no trailing
/// newline except after the last JSON Lines record. `no_goroutine` is the line the
/// default view shows when no goroutine is current.
pub(super) fn render<E>(
    shown: &[&Goroutine],
    mode: Mode,
    depth: Option<usize>,
    st: &Style,
    no_goroutine: &str,
    sink: &mut Sink<'_, E>,
) -> Result<(), E> {
    match mode {
        Mode::InfoGoroutines => {
            let mut by_goid = shown.to_vec();
            by_goid.sort_by_key(|g| g.goid);
            for (i, g) in by_goid.iter().enumerate() {
                if i > 0 {
                    sink.buf.push('\n');
                }
                push_info_line(&mut sink.buf, g);
                sink.maybe_flush()?;
            }
        }
        Mode::List => {
            let ls = st.list();
            let mut cache = LineCache::default();
            for (i, g) in shown.iter().enumerate() {
                if i > 0 {
                    sink.buf.push('\n');
                }
                push_line(&mut sink.buf, g, &ls, &mut cache);
                sink.maybe_flush()?;
            }
        }
        Mode::Full => {
            for (i, g) in shown.iter().enumerate() {
                if i > 0 {
                    sink.buf.push_str("\n\n");
                }
                push_full(&mut sink.buf, g, depth, st);
                sink.maybe_flush()?;
            }
        }
        Mode::Group => {
            for (i, b) in group(shown, depth, st.top, st.now).iter().enumerate() {
                if i > 0 {
                    sink.buf.push_str("\n\n");
                }
                push_group(&mut sink.buf, b, depth, st);
                sink.maybe_flush()?;
            }
        }
        Mode::Default => {
            let (cur, others): (Vec<&Goroutine>, Vec<&Goroutine>) =
                shown.iter().partition(|g| g.current);
            for (i, g) in cur.iter().enumerate() {
                if i > 0 {
                    sink.buf.push_str("\n\n");
                }
                push_full(&mut sink.buf, g, depth, st);
            }
            if cur.is_empty() {
                sink.buf.push_str(no_goroutine);
            }
            if !others.is_empty() {
                let groups = group(&others, None, st.top, st.now);
                let _ = write!(
                    sink.buf,
                    "\n\nother goroutines: {} in {}",
                    others.len(),
                    plural(groups.len(), "group")
                );
                for b in &groups {
                    let _ = write!(sink.buf, "\n  {:>6} [{}] ", b.goids.len(), b.state);
                    push_loc(&mut sink.buf, b.first, st);
                    sink.buf.push_str("  ids: ");
                    push_ids(&mut sink.buf, &b.goids, 8);
                    sink.maybe_flush()?;
                }
            }
        }
        Mode::Json { grouped, pretty } => {
            let (name, items) = if grouped {
                let items: Vec<J<'_>> = group(shown, depth, st.top, st.now)
                    .iter()
                    .map(|b| group_json(b, depth, st.top))
                    .collect();
                ("buckets", Items::Built(items))
            } else {
                ("goroutines", Items::Lazy(shown))
            };
            let ind = if pretty { Some(1) } else { None };
            // A goroutine is written at level 2: its frames at level 4.
            let mut fj = FrameJson::new(ind, 4);
            sink.buf.push('{');
            newline(&mut sink.buf, ind, 1);
            let _ = write!(sink.buf, "\"{name}\":");
            if pretty {
                sink.buf.push(' ');
            }
            sink.buf.push('[');
            let n = items.len();
            for i in 0..n {
                if i > 0 {
                    sink.buf.push(',');
                }
                newline(&mut sink.buf, ind, 2);
                match &items {
                    Items::Built(v) => {
                        if let Some(j) = v.get(i) {
                            j.write(&mut sink.buf, ind, 2);
                        }
                    }
                    Items::Lazy(v) => {
                        if let Some(g) = v.get(i) {
                            goroutine_json(g, depth, st.top, &mut fj).write(&mut sink.buf, ind, 2);
                        }
                    }
                }
                sink.maybe_flush()?;
            }
            if n > 0 {
                newline(&mut sink.buf, ind, 1);
            }
            sink.buf.push(']');
            if let Some(f) = &st.fatal {
                sink.buf.push(',');
                newline(&mut sink.buf, ind, 1);
                sink.buf.push_str("\"fatal_error\":");
                if pretty {
                    sink.buf.push(' ');
                }
                push_json_str(&mut sink.buf, f);
            }
            newline(&mut sink.buf, ind, 0);
            sink.buf.push('}');
        }
        Mode::Jsonl { grouped } => {
            if grouped {
                for b in group(shown, depth, st.top, st.now) {
                    group_json(&b, depth, st.top).write(&mut sink.buf, None, 0);
                    sink.buf.push('\n');
                    sink.maybe_flush()?;
                }
            } else {
                let mut fj = FrameJson::new(None, 2);
                for g in shown {
                    goroutine_json(g, depth, st.top, &mut fj).write(&mut sink.buf, None, 0);
                    sink.buf.push('\n');
                    sink.maybe_flush()?;
                }
            }
        }
    }
    Ok(())
}

/// One line of `info goroutines` (runtime-gdb.py's columns).
fn push_info_line(out: &mut String, g: &Goroutine) {
    let mark = if g.m_id.is_some() { '*' } else { ' ' };
    if let Some(e) = error_of(g) {
        let words: Vec<&str> = e.split_whitespace().collect();
        let _ = write!(
            out,
            "{mark} {} {:8} {}",
            g.goid,
            "unreadable",
            escape(&words.join(" "))
        );
        return;
    }
    let status = if g.status_name.is_empty() {
        "?"
    } else {
        &*g.status_name
    };
    let _ = write!(out, "{mark} {} {:8} ", g.goid, escape(status));
    // the user frame; for a goroutine without one (the runtime's own), the frame of its
    // start function (runtime.forcegchelper rather than runtime.gopark)
    let f = match g.user_frame {
        None => g
            .start_func
            .as_ref()
            .and_then(|s| g.frames.iter().find(|f| f.func == *s))
            .or_else(|| g.frames.first()),
        Some(i) => g.frames.get(i).or_else(|| g.frames.first()),
    };
    match f {
        Some(f) => {
            let _ = write!(
                out,
                "{} at {}:{}",
                escape(&f.func),
                escape(short_path(&f.file)),
                f.line
            );
        }
        None => out.push('?'),
    }
}

/// The stop context (`set wslgo stop-context brief`): `depth` frames of the current
/// goroutine from its user frame (the innermost frames before it folded into one line)
/// and one line of counts. Needs no stack but the current goroutine's.
pub fn brief<'g, I>(gs: I, others: &Census, depth: usize, st: &Style) -> String
where
    I: IntoIterator<Item = &'g Goroutine>,
    I::IntoIter: Clone,
{
    let gs = gs.into_iter();
    let mut out = String::new();
    for g in gs.clone().filter(|g| g.current) {
        push_full(&mut out, g, Some(depth), st);
        out.push('\n');
    }
    let _ = write!(
        out,
        "{}: `wslgo-bt` for a summary of the others, `wslgo-bt all` for every stack",
        summary(gs, others)
    );
    out
}

enum Items<'a, 'g> {
    Built(Vec<J<'a>>),
    Lazy(&'a [&'g Goroutine]),
}

impl Items<'_, '_> {
    fn len(&self) -> usize {
        match self {
            Items::Built(v) => v.len(),
            Items::Lazy(v) => v.len(),
        }
    }
}

/// A JSON value borrowing its strings.
enum J<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Str(&'a str),
    Own(String),
    Arr(Vec<J<'a>>),
    Obj(Vec<(&'static str, J<'a>)>),
    Map(BTreeMap<&'a str, &'a str>),
    /// JSON text written before (a cached frame).
    Raw(Arc<str>),
}

/// `i` in decimal (without the formatting machinery: JSON of 100,000 goroutines writes
/// millions of integers).
fn push_int(out: &mut String, i: i128) {
    let Ok(n) = u64::try_from(i.unsigned_abs()) else {
        let _ = write!(out, "{i}");
        return;
    };
    if i < 0 {
        out.push('-');
    }
    out.push_str(decimal(n, &mut [0u8; 20]));
}

fn newline(out: &mut String, ind: Option<usize>, level: usize) {
    if let Some(n) = ind {
        out.push('\n');
        for _ in 0..n * level {
            out.push(' ');
        }
    }
}

impl J<'_> {
    fn write(&self, out: &mut String, ind: Option<usize>, level: usize) {
        let sep = if ind.is_some() { ": " } else { ":" };
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Int(i) => push_int(out, *i),
            J::Str(s) => push_json_str(out, s),
            J::Own(s) => push_json_str(out, s),
            J::Arr(v) => {
                out.push('[');
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, ind, level + 1);
                    x.write(out, ind, level + 1);
                }
                if !v.is_empty() {
                    newline(out, ind, level);
                }
                out.push(']');
            }
            J::Obj(v) => {
                out.push('{');
                for (i, (k, x)) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, ind, level + 1);
                    // Keys are plain ASCII names.
                    out.push('"');
                    out.push_str(k);
                    out.push('"');
                    out.push_str(sep);
                    x.write(out, ind, level + 1);
                }
                if !v.is_empty() {
                    newline(out, ind, level);
                }
                out.push('}');
            }
            J::Raw(s) => out.push_str(s),
            J::Map(m) => {
                out.push('{');
                for (i, (k, x)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, ind, level + 1);
                    push_json_str(out, k);
                    out.push_str(sep);
                    push_json_str(out, x);
                }
                if !m.is_empty() {
                    newline(out, ind, level);
                }
                out.push('}');
            }
        }
    }
}

fn opt_str(s: Option<&str>) -> J<'_> {
    s.map_or(J::Null, J::Str)
}

fn opt_int<T: Into<i128>>(v: Option<T>) -> J<'static> {
    v.map_or(J::Null, |v| J::Int(v.into()))
}

/// Push an optional field unless it is at its zero value (null, false, 0, "", empty), as
/// Go's `omitempty` leaves it out: most goroutines are not current, not locked, have no
/// labels, no error and no inlined or wrapper frames, and JSON of 100,000 goroutines is
/// mostly such fields otherwise.
fn opt_field<'a>(fields: &mut Vec<(&'static str, J<'a>)>, key: &'static str, v: J<'a>) {
    let zero = match &v {
        J::Null | J::Bool(false) | J::Int(0) => true,
        J::Str(s) => s.is_empty(),
        J::Arr(a) => a.is_empty(),
        J::Map(m) => m.is_empty(),
        _ => false,
    };
    if !zero {
        fields.push((key, v));
    }
}

fn frame_json(f: &Frame) -> J<'_> {
    let mut o = vec![
        ("func", J::Str(&f.func)),
        ("file", J::Str(&f.file)),
        ("line", J::Int(f.line.into())),
        ("pc", J::Int(f.pc.0.into())),
        ("entry", J::Int(f.entry.0.into())),
    ];
    opt_field(&mut o, "inlined", J::Bool(f.inlined));
    opt_field(&mut o, "wrapper", J::Bool(f.wrapper));
    J::Obj(o)
}

fn location_json(l: &Location) -> J<'_> {
    J::Obj(vec![
        ("func", J::Str(&l.func)),
        ("file", J::Str(&l.file)),
        ("line", J::Int(l.line.into())),
        ("pc", J::Int(l.pc.0.into())),
    ])
}

/// Frames as JSON text, each written once: goroutines share most of their frames (same
/// pc, function and line), and JSON of 100,000 goroutines writes millions of them.
struct FrameJson {
    ind: Option<usize>,
    level: usize,
    map: FxHashMap<FrameKey, Arc<str>>,
}

/// What a frame's JSON depends on: pc, function and file (interned pointers), line,
/// inlined, wrapper, entry.
type FrameKey = (Pc, usize, usize, u32, bool, bool, Pc);

impl FrameJson {
    /// Frames written at `level` of indentation `ind`.
    fn new(ind: Option<usize>, level: usize) -> Self {
        FrameJson {
            ind,
            level,
            map: FxHashMap::default(),
        }
    }

    fn get(&mut self, f: &Frame) -> J<'static> {
        let ptr = |s: &Arc<str>| Arc::as_ptr(s) as *const u8 as usize;
        let key = (
            f.pc,
            ptr(&f.func),
            ptr(&f.file),
            f.line,
            f.inlined,
            f.wrapper,
            f.entry,
        );
        let (ind, level) = (self.ind, self.level);
        let text = self.map.entry(key).or_insert_with(|| {
            let mut s = String::new();
            frame_json(f).write(&mut s, ind, level);
            Arc::from(s)
        });
        J::Raw(text.clone())
    }
}

/// A goroutine with the keys of the Python records, those at their zero value left out
/// ([`opt_field`]; `user_frame` and `m_id` are left out only when unknown: 0 is an index
/// and an M). `frames`: the window of `depth`; `user_frame` indexes them,
/// `frames_skipped` counts the innermost left out.
fn goroutine_json<'g>(
    g: &'g Goroutine,
    depth: Option<usize>,
    top: bool,
    fj: &mut FrameJson,
) -> J<'g> {
    let (skipped, shown) = window(g, depth, top);
    let mut o = vec![
        ("goid", J::Int(g.goid.0.into())),
        ("addr", J::Int(g.addr.0.into())),
        ("status", J::Int(g.status.into())),
        ("status_name", J::Str(&g.status_name)),
        ("state", J::Str(&g.state)),
    ];
    opt_field(&mut o, "wait_reason", J::Str(&g.wait_reason));
    opt_field(&mut o, "waitsince", J::Int(g.waitsince.into()));
    o.extend([
        ("pc", J::Int(g.pc.into())),
        ("sp", J::Int(g.sp.into())),
        ("bp", J::Int(g.bp.into())),
        ("regs", J::Str(g.regs.as_str())),
        ("stack_lo", J::Int(g.stack_lo.into())),
        ("stack_hi", J::Int(g.stack_hi.into())),
        ("frames", J::Arr(shown.iter().map(|f| fj.get(f)).collect())),
    ]);
    opt_field(&mut o, "frames_skipped", J::Int(skipped as i128));
    opt_field(&mut o, "stack_error", opt_str(g.stack_error.as_deref()));
    opt_field(&mut o, "truncated", J::Bool(g.truncated));
    opt_field(&mut o, "fp_mismatches", J::Int(g.fp_mismatches as i128));
    if let Some(i) = g.user_frame.and_then(|i| i.checked_sub(skipped)) {
        o.push(("user_frame", J::Int(i as i128)));
    }
    opt_field(&mut o, "main_module_frame", J::Bool(g.main_module_frame));
    if let Some(l) = created_by(g) {
        o.push(("go_statement", location_json(l)));
    }
    opt_field(&mut o, "start_func", opt_str(g.start_func.as_deref()));
    opt_field(&mut o, "parent_goid", opt_int(g.parent_goid.map(|p| p.0)));
    opt_field(&mut o, "labels", J::Map(label_map(g)));
    opt_field(&mut o, "thread_id", opt_int(g.thread_id));
    if let Some(m) = g.m_id {
        o.push(("m_id", J::Int(m.into())));
    }
    opt_field(&mut o, "locked_to_thread", J::Bool(g.locked_to_thread));
    opt_field(&mut o, "system", J::Bool(g.system));
    opt_field(&mut o, "current", J::Bool(g.current));
    opt_field(&mut o, "error", opt_str(g.error.as_deref()));
    if !g.waits_on.is_empty() {
        let on = g.waits_on.iter().map(|w| {
            J::Obj(vec![
                ("kind", J::Str(w.kind.as_str())),
                ("addr", J::Own(format!("{:#x}", w.addr))),
                ("op", J::Str(w.op.as_str())),
            ])
        });
        o.push(("waits_on", J::Arr(on.collect())));
    }
    if let Some(p) = &g.panic {
        o.push((
            "panic",
            J::Arr(p.iter().map(|l| J::Str(l.as_str())).collect()),
        ));
    }
    J::Obj(o)
}

/// A group, its fields at their zero value left out as [`goroutine_json`]'s are.
fn group_json<'g>(b: &Group<'g>, depth: Option<usize>, top: bool) -> J<'g> {
    let first: &'g Goroutine = b.first;
    let (skipped, shown) = window(first, depth, top);
    let mut o = vec![
        ("state", J::Own(b.state.clone())),
        ("frames", J::Arr(shown.iter().map(frame_json).collect())),
    ];
    opt_field(&mut o, "frames_skipped", J::Int(skipped as i128));
    if let Some(c) = created_by(first) {
        o.push(("created_by", location_json(c)));
    }
    o.extend([
        (
            "goids",
            J::Arr(b.goids.iter().map(|i| J::Int((*i).into())).collect()),
        ),
        ("count", J::Int(b.goids.len() as i128)),
    ]);
    opt_field(&mut o, "current", J::Bool(b.current));
    if let Some(i) = first.user_frame.and_then(|i| i.checked_sub(skipped)) {
        o.push(("user_frame", J::Int(i as i128)));
    }
    J::Obj(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Location;

    #[test]
    fn mode_names_parse_and_are_the_stubs() {
        for name in Mode::NAMES {
            assert!(Mode::parse(name, false).is_some(), "{name}");
        }
        assert!(Mode::parse("lists", false).is_none());
        let stub = include_str!("../../python/wslgo/_native.pyi");
        let start = stub
            .find("Mode: TypeAlias = Literal[")
            .expect("the stub's Mode");
        let body = &stub[start..];
        let body = &body[..body.find(']').expect("the Literal's end")];
        let names: Vec<&str> = body.split('"').skip(1).step_by(2).collect();
        assert_eq!(names, Mode::NAMES);
    }

    fn frame(func: &Arc<str>, file: &Arc<str>, line: u32) -> Frame {
        Frame {
            pc: Pc(0x1010),
            func: func.clone(),
            file: file.clone(),
            line,
            inlined: false,
            entry: Pc(0x1000),
            wrapper: false,
        }
    }

    fn gs() -> Vec<Goroutine> {
        let park: Arc<str> = Arc::from("runtime.gopark");
        let proc_go: Arc<str> = Arc::from("/usr/lib/go/src/runtime/proc.go");
        let work: Arc<str> = Arc::from("main.worker");
        let main_go: Arc<str> = Arc::from("/home/u/p/cmd/w/main.go");
        let mk = |goid: u64, cur: bool| {
            let mut g = Goroutine::unreadable(0, String::new());
            g.error = None;
            g.goid = GoId(goid);
            g.state = if cur { "running" } else { "chan receive" }.into();
            g.current = cur;
            g.frames = vec![frame(&park, &proc_go, 435), frame(&work, &main_go, 17)].into();
            g.user_frame = Some(1);
            g.go_statement = Some(Arc::new(Location {
                func: "main.main".into(),
                file: "/home/u/p/cmd/w/main.go".into(),
                line: 9,
                pc: Pc(1),
            }));
            g.parent_goid = Some(GoId(1));
            g
        };
        vec![mk(1, true), mk(7, false), mk(8, false)]
    }

    fn text(gs: &[Goroutine], mode: Mode, depth: Option<usize>) -> String {
        text_in(gs, mode, depth, &Style::default())
    }

    fn text_in(gs: &[Goroutine], mode: Mode, depth: Option<usize>, st: &Style) -> String {
        let shown: Vec<&Goroutine> = gs.iter().collect();
        let mut out = String::new();
        let mut f = |s: &str| -> Result<(), ()> {
            out.push_str(s);
            Ok(())
        };
        let mut sink = Sink::new(&mut f);
        render(&shown, mode, depth, st, "none", &mut sink).unwrap();
        sink.finish().unwrap();
        out
    }

    #[test]
    fn default_view_shows_the_current_stack_and_groups() {
        let got = text(&gs(), Mode::Default, None);
        let want = "goroutine 1 [running]:\nruntime.gopark()\n\t/usr/lib/go/src/runtime/proc.go:435 +0x10\nmain.worker()\n\t/home/u/p/cmd/w/main.go:17 +0x10\n\nother goroutines: 2 in 1 group\n       2 [chan receive] main.worker at cmd/w/main.go:17  ids: 7, 8";
        assert_eq!(got, want);
    }

    #[test]
    fn groups_fold_and_elide() {
        // a depth counts from the user frame; the frames before it fold into one line
        let got = text(&gs(), Mode::Group, Some(1));
        let want = "* 1 goroutine [running]: 1\n    ...1 frame folded: runtime.gopark...\n    main.worker  cmd/w/main.go:17\n\n2 goroutines [chan receive]: 7, 8\n    ...1 frame folded: runtime.gopark...\n    main.worker  cmd/w/main.go:17\n    created by main.main  cmd/w/main.go:9";
        assert_eq!(got, want);
        let full = text(&gs()[1..], Mode::Full, Some(1));
        assert!(full.starts_with("goroutine 7 [chan receive]:\n...1 frame folded: runtime.gopark...\nmain.worker()\n\t/home/u/p/cmd/w/main.go:17 +0x10\ncreated by main.main"), "{full}");
        // --top: from the innermost frame, the rest elided
        let top = Style {
            top: true,
            ..Style::default()
        };
        let full = text_in(&gs()[1..], Mode::Full, Some(1), &top);
        assert!(full.contains("runtime.gopark()\n\t/usr/lib/go/src/runtime/proc.go:435 +0x10\n...1 frame elided...\ncreated by main.main in goroutine 1\n\t/home/u/p/cmd/w/main.go:9"), "{full}");
        assert!(!full.contains("folded"), "{full}");
        let got = text_in(&gs(), Mode::Group, Some(1), &top);
        assert!(
            got.starts_with(
                "* 1 goroutine [running]: 1\n    runtime.gopark  runtime/proc.go:435\n\n"
            ),
            "{got}"
        );
    }

    #[test]
    fn grouping_folds_same_state_frames_and_go_statement() {
        let mk = |goid: u64, state: &str, func: &str, current: bool, created: u32| {
            let mut g = gs().remove(1);
            g.goid = GoId(goid);
            g.state = state.into();
            g.current = current;
            let f = Arc::from(func);
            g.frames = vec![frame(&f, &Arc::from("f.go"), 3)].into();
            g.go_statement = Some(Arc::new(Location {
                func: "main.main".into(),
                file: "main.go".into(),
                line: created,
                pc: Pc(u64::from(created)),
            }));
            g
        };
        let all = [
            mk(5, "chan receive", "main.a", false, 10),
            mk(2, "chan receive", "main.a", false, 10),
            mk(9, "sleep", "main.b", true, 10),
            mk(3, "chan receive", "main.c", false, 10),
            mk(4, "select", "main.a", false, 10),
            mk(6, "chan receive", "main.a", false, 20),
        ];
        let refs: Vec<&Goroutine> = all.iter().collect();
        let b = group(&refs, None, false, None);
        // the current goroutine's group first, then larger ones, then by smallest goid
        let ids: Vec<Vec<u64>> = b.iter().map(|b| b.goids.clone()).collect();
        assert_eq!(ids, [vec![9], vec![2, 5], vec![3], vec![4], vec![6]]);
        assert!(b[0].current && !b[1].current);
        assert_eq!(created_by(b[4].first).map(|c| c.line), Some(20));
        // the main goroutine has no creator, whatever its record says
        let mut main = mk(1, "running", "main.main", false, 10);
        main.goid = GoId(1);
        assert!(created_by(&main).is_none());
    }

    #[test]
    fn fold_text_names_the_first_and_the_last() {
        let gs = gs();
        let f = &gs[0].frames;
        assert_eq!(fold_text(&f[..0]), "");
        assert_eq!(fold_text(&f[..1]), "...1 frame folded: runtime.gopark...");
        assert_eq!(
            fold_text(f),
            "...2 frames folded: runtime.gopark, main.worker..."
        );
        let three = [f[0].clone(), f[1].clone(), f[0].clone()];
        assert_eq!(
            fold_text(&three),
            "...3 frames folded: runtime.gopark ... runtime.gopark..."
        );
        // depth 0 shows nothing and folds nothing
        assert_eq!(window(&gs[0], Some(0), false), (0, &f[..0]));
    }

    #[test]
    fn states_show_minutes_of_waiting_like_the_runtime() {
        let mut gs = gs();
        gs[1].waitsince = 1_000;
        gs[2].waitsince = 1_000;
        gs[2].locked_to_thread = true;
        let now = Some(1_000 + 12 * 60_000_000_000 + 5);
        assert_eq!(state_text(&gs[1], now), "chan receive, 12 minutes");
        assert_eq!(
            state_text(&gs[2], now),
            "chan receive, 12 minutes, locked to thread"
        );
        assert_eq!(
            state_text(&gs[1], Some(1_000 + 59_000_000_000)),
            "chan receive"
        );
        assert_eq!(state_text(&gs[0], now), "running");
        let shown: Vec<&Goroutine> = gs.iter().collect();
        let mut out = String::new();
        let mut f = |s: &str| -> Result<(), ()> {
            out.push_str(s);
            Ok(())
        };
        let mut sink = Sink::new(&mut f);
        let st = Style {
            now,
            ..Style::default()
        };
        render(&shown, Mode::List, None, &st, "", &mut sink).unwrap();
        sink.finish().unwrap();
        assert!(
            out.contains("      7 [chan receive, 12 minutes] main.worker at cmd/w/main.go:17"),
            "{out}"
        );
    }

    #[test]
    fn json_forms_carry_the_same_goroutines() {
        let compact = text(
            &gs(),
            Mode::Json {
                grouped: false,
                pretty: false,
            },
            None,
        );
        assert!(
            compact.starts_with("{\"goroutines\":[{\"goid\":1,"),
            "{compact}"
        );
        assert!(!compact.contains('\n'));
        let pretty = text(
            &gs(),
            Mode::Json {
                grouped: false,
                pretty: true,
            },
            None,
        );
        assert!(
            pretty.starts_with("{\n \"goroutines\": [\n  {\n   \"goid\": 1,"),
            "{pretty}"
        );
        let lines = text(&gs(), Mode::Jsonl { grouped: false }, None);
        assert_eq!(lines.lines().count(), 3);
        assert!(lines.lines().nth(2).unwrap().starts_with("{\"goid\":8,"));
        let mut n = String::new();
        for i in [0i128, 7, -12, 1 << 70, u64::MAX as i128] {
            push_int(&mut n, i);
            n.push(' ');
        }
        assert_eq!(n, format!("0 7 -12 {} {} ", 1i128 << 70, u64::MAX));
        let mut s = String::new();
        push_json_str(&mut s, "a\"b\\\u{1b}");
        assert_eq!(s, "\"a\\\"b\\\\\\u001b\"");
    }
}
