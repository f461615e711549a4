//! The HTML report (`wslgo report`, `wslgo-report`): one self-contained page of a core or
//! a stop, with its CSS, JS and SVG inline and no request to the network. A [`Page`] is
//! built from one snapshot and one wait analysis ([`build`]), then rendered by minijinja
//! from `templates/report.html` with HTML auto-escaping ([`page`]): every string from the
//! program (labels, panic text, paths, type names) is data of the template, never markup.
//!
//! Each section is one field of [`Page`] and one block of the template: a new section is
//! a field filled by [`build`] and a block that shows it (the leaked goroutines were the
//! last: [`LeakSection`], from the leak check over the same enumeration and wait facts).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use minijinja::value::Value;
use minijinja::{context, AutoEscape, Environment};
use serde::Serialize;

use super::filter::label_map;
use super::leaks::summary as leak_summary;
use super::list::short_path;
use super::render::{group, state_text, summary, Group};
use super::Filter;
use crate::error::{Error, Result};
use crate::pathmap::PathMap;
use crate::runtime::fxhash::FxHashMap;
use crate::runtime::leaks::{Cause, LeakModel, Leaks};
use crate::runtime::target::{Scope, Snapshot, SnapshotOptions, Target};
use crate::runtime::waits::{WaitModel, Waits};
use crate::runtime::{Frame, Goroutine, ThreadRegs, DEFAULT_MAX_DEPTH};
use crate::text::escape;

const PAGE: &str = include_str!("templates/report.html");
const CSS: &str = include_str!("templates/report.css");
const JS: &str = include_str!("templates/report.js");

/// Bars of the state chart at most (the rest are summed in one `other` bar).
const MAX_BARS: usize = 30;
/// Distinct label sets shown per group at most.
const MAX_LABEL_SETS: usize = 8;
/// Objects drawn in the wait-for graph at most (most waiters first).
const MAX_OBJECTS: usize = 40;
/// Goroutine groups drawn in the wait-for graph at most.
const MAX_GRAPH_GROUPS: usize = 60;
/// Characters of a graph node's label at most (the full text is its tooltip).
const NODE_CHARS: usize = 52;
/// Source lines shown on each side of the user frame's line.
const CONTEXT_LINES: u32 = 5;
/// Source files larger than this are not read for the excerpt.
const MAX_SOURCE_BYTES: u64 = 16 << 20;

/// What [`build`] needs besides the target.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Maps the binary's source paths to readable files (the source excerpt).
    pub path_map: Option<PathMap>,
}

/// The whole page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Page {
    /// The program, the build, the crash.
    pub header: Header,
    /// Goroutines per state or wait reason.
    pub chart: Chart,
    /// The goroutine groups, as `wslgo-bt all` groups them.
    pub groups: Vec<GroupRow>,
    /// Who waits on what, and who can unblock it.
    pub graph: Graph,
    /// The leaked goroutines.
    pub leaks: LeakSection,
    /// Goroutines in all.
    pub total: usize,
}

/// The page's header.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Header {
    /// The executable's path.
    pub program: String,
    /// `go1.24.11`.
    pub go_version: Option<String>,
    /// The main module `path version`.
    pub module: Option<String>,
    /// Build settings in order.
    pub settings: Vec<(String, String)>,
    /// `core file PATH`, `process PID`.
    pub source: String,
    /// When the core was written (its modification time, UTC).
    pub written: Option<String>,
    /// The signal that ended the process (a core's first thread).
    pub signal: Option<String>,
    /// `panic: ...` lines of each panicking goroutine.
    pub panic: Vec<String>,
    /// A fatal error thrown on a system stack.
    pub fatal: Option<String>,
    /// The crashing (else the current) goroutine.
    pub crash: Option<Crash>,
    /// `N goroutines (M system)`.
    pub summary: String,
}

/// The crashing goroutine's stack and the source around its user frame.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Crash {
    /// Its id.
    pub goid: u64,
    /// Its state.
    pub state: String,
    /// Its frames, innermost first.
    pub frames: Vec<FrameRow>,
    /// The source around the user frame, when the file is readable.
    pub source: Option<Snippet>,
}

/// One frame.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FrameRow {
    /// Function.
    pub func: String,
    /// File as the binary names it.
    pub file: String,
    /// Line.
    pub line: u32,
    /// This is the user frame.
    pub user: bool,
}

/// Lines of a source file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snippet {
    /// The file read (the path map applied).
    pub file: String,
    /// The lines.
    pub lines: Vec<SourceLine>,
}

/// One source line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceLine {
    /// Its number.
    pub n: u32,
    /// Its text.
    pub text: String,
    /// The frame's line.
    pub here: bool,
}

/// The state chart's geometry.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Chart {
    /// SVG width.
    pub width: u32,
    /// SVG height.
    pub height: u32,
    /// One bar per state, most goroutines first.
    pub bars: Vec<Bar>,
}

/// One bar.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Bar {
    /// The state or wait reason.
    pub label: String,
    /// Goroutines in it.
    pub count: usize,
    /// Top of the bar.
    pub y: u32,
    /// Width of the bar.
    pub w: u32,
    /// CSS class: `running`, `runnable`, `syscall`, `waiting`, `other`.
    pub class: &'static str,
}

/// One group of goroutines with the same state, stack and `go` statement.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GroupRow {
    /// Its anchor (`g3`).
    pub id: String,
    /// Goroutines in it.
    pub count: usize,
    /// Their state.
    pub state: String,
    /// The user frame (`func at file:line`).
    pub location: String,
    /// The `go` statement (`func at file:line`).
    pub created_by: Option<String>,
    /// Distinct label sets (`k=v k=v`), at most [`MAX_LABEL_SETS`].
    pub labels: Vec<String>,
    /// Label sets left out.
    pub more_labels: usize,
    /// Goroutine ids as ranges (`1-5, 9`).
    pub ids: String,
    /// The stack, carried once.
    pub frames: Vec<FrameRow>,
    /// The current goroutine is a member.
    pub current: bool,
    /// Every function of the stack and the `go` statement, one per line (the filter's).
    pub funcs: String,
    /// Members the leak check found leaked.
    pub leaked: usize,
    /// Why they leaked (`unreachable`, `nil chan`, ...), each once.
    pub causes: Vec<&'static str>,
    /// The same group in the other list: a group's leaked members in the leak section
    /// (`#l0`), a leaked group's whole group in the table (`#g3`).
    pub twin: Option<String>,
    /// The leaked members' ids, ascending (the twins are found by them; not shown).
    #[serde(skip)]
    pub leaked_ids: Vec<u64>,
}

/// The leak check's section: its summary line and the leaked goroutines in groups.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LeakSection {
    /// The summary line as `wslgo leaks` prints it, or why the check could not run.
    pub summary: String,
    /// The check could not run (`summary` says why; nothing else is shown).
    pub failed: bool,
    /// Leaked goroutines in all.
    pub count: usize,
    /// Their groups (anchors `l0`, `l1`, ...), as the table groups them.
    pub groups: Vec<GroupRow>,
    /// Blocked goroutines whose object was not found, parts that could not be read.
    pub warnings: Vec<String>,
}

/// The wait-for graph's geometry.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Graph {
    /// SVG width.
    pub width: u32,
    /// SVG height.
    pub height: u32,
    /// Goroutine groups and objects.
    pub nodes: Vec<Node>,
    /// `waits on` and `can unblock` edges.
    pub edges: Vec<Edge>,
    /// One line per cycle.
    pub cycles: Vec<String>,
    /// Objects not drawn.
    pub objects_left_out: usize,
    /// Lines about what could not be read.
    pub errors: Vec<String>,
}

/// A node of the graph.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Node {
    /// `group` or `object`.
    pub kind: &'static str,
    /// The group row's anchor, for a group.
    pub href: Option<String>,
    /// Left.
    pub x: u32,
    /// Top.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
    /// The label (cut).
    pub label: String,
    /// The whole text.
    pub title: String,
    /// Part of a wait cycle.
    pub cycle: bool,
}

/// An edge of the graph.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Edge {
    /// The SVG path.
    pub d: String,
    /// `waits` (group -> object) or `unblocks` (object -> group).
    pub kind: &'static str,
    /// Part of a wait cycle.
    pub cycle: bool,
}

/// The report of `target`: one enumeration with every stack and the panics, its wait
/// analysis, the page.
pub fn render(
    target: &Target,
    threads: &[ThreadRegs],
    current_tid: Option<i64>,
    opts: &ReportOptions,
) -> Result<String> {
    page(&build(target, threads, current_tid, opts)?)
}

/// The [`Page`] of `target`.
pub fn build(
    target: &Target,
    threads: &[ThreadRegs],
    current_tid: Option<i64>,
    opts: &ReportOptions,
) -> Result<Page> {
    let mut snap = target.snapshot(
        threads,
        &SnapshotOptions {
            include_dead: false,
            current_tid,
            max_depth: DEFAULT_MAX_DEPTH,
            scope: Scope::All,
            panics: true,
            waits: false,
        },
    )?;
    let rt = target.runtime();
    let (waits, leaks) = match WaitModel::new(rt) {
        Ok(model) => {
            // The analysis takes one slice: the records are moved into it and back, not
            // cloned (100,000 of them). The leak check reads the same wait facts.
            let gs = std::mem::take(&mut snap.gs).into_vec();
            let t = rt.target(target.mem(), target.bias());
            let w = model.analyze(rt, &t, &gs);
            let st = &rt.layout().status;
            let l = LeakModel::new(rt).map(|m| m.find_with(&t, &gs, &w, st.waiting, st.scan));
            snap.gs = gs.into();
            (w, l)
        }
        Err(e) => (
            Waits {
                errors: vec![format!("wait objects: {e}")],
                ..Waits::default()
            },
            Err(e),
        ),
    };
    let bin = rt.binary();
    let mut header = Header {
        program: bin
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        ..Header::default()
    };
    if let Ok(bi) = bin.build_info() {
        header.go_version = Some(bi.go_version);
        header.module = bi.main_module.map(|(p, v)| format!("{p} {v}"));
        header.settings = bi.settings;
    }
    header.source = match (target.core_path(), target.pid()) {
        (Some(p), _) => format!("core file {}", p.display()),
        (None, Some(pid)) => format!("process {pid}"),
        _ => "the debugger's target".into(),
    };
    header.written = target
        .core_path()
        .and_then(|p| std::fs::metadata(p).ok()?.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| utc(d.as_secs()));
    header.signal = target
        .core_threads()
        .first()
        .map(|t| signal_name(t.signal))
        .filter(|s| !s.is_empty());
    Ok(page_of(
        &snap,
        &waits,
        &leaks,
        header,
        opts.path_map.as_ref(),
    ))
}

/// The page of a snapshot, its wait analysis and its leak check (or why that could not
/// run), with `header`'s program facts (the part of [`build`] that reads no memory: the
/// unit tests' entry).
pub fn page_of(
    snap: &Snapshot,
    waits: &Waits,
    leaks: &Result<Leaks>,
    mut header: Header,
    pm: Option<&PathMap>,
) -> Page {
    let shown = Filter::default().select(snap.gs.iter(), None);
    let groups = group(&shown, None, false, None);
    let by_goid: FxHashMap<u64, &Goroutine> = shown.iter().map(|g| (g.goid.0, *g)).collect();
    let causes: FxHashMap<u64, Cause> = leaks
        .as_ref()
        .map(|l| l.leaked.iter().map(|x| (x.goid, x.cause)).collect())
        .unwrap_or_default();
    let mut rows: Vec<GroupRow> = groups
        .iter()
        .enumerate()
        .map(|(i, b)| group_row(format!("g{i}"), b, &by_goid, &causes))
        .collect();
    let leak_section = leak_section(leaks, &shown, &by_goid, &causes, &mut rows);
    for (_, lines) in snap.panics() {
        header.panic.extend(lines);
    }
    header.fatal = snap.fatal.clone();
    header.summary = summary(snap.gs.iter(), &snap.others);
    let crash = snap
        .panics()
        .first()
        .and_then(|(goid, _)| snap.goroutine(*goid))
        .or_else(|| snap.current());
    header.crash = crash.map(|g| crash_of(g, pm));
    Page {
        header,
        chart: chart(shown.iter().copied()),
        graph: graph(&groups, waits),
        groups: rows,
        leaks: leak_section,
        total: snap.len(),
    }
}

/// The HTML of a page.
pub fn page(p: &Page) -> Result<String> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    let bad = |e: minijinja::Error| Error::Unsupported(format!("the report template: {e}"));
    env.add_template("report.html", PAGE).map_err(bad)?;
    let t = env.get_template("report.html").map_err(bad)?;
    t.render(context! {
        page => Value::from_serialize(p),
        css => Value::from_safe_string(CSS.to_string()),
        js => Value::from_safe_string(JS.to_string()),
        version => crate::VERSION,
    })
    .map_err(bad)
}

fn frame_row(f: &Frame, user: bool) -> FrameRow {
    FrameRow {
        func: f.func.to_string(),
        file: f.file.to_string(),
        line: f.line,
        user,
    }
}

fn location(func: &str, file: &str, line: u32) -> String {
    format!("{func} at {}:{line}", short_path(file))
}

/// The leak section of `leaks`; the table's `rows` (of the same goroutines `shown`) get
/// their twins in it. A leaked group is a group of the table cut to its leaked members
/// (same state, stack and `go` statement), so each has exactly one twin.
fn leak_section(
    leaks: &Result<Leaks>,
    shown: &[&Goroutine],
    by_goid: &FxHashMap<u64, &Goroutine>,
    causes: &FxHashMap<u64, Cause>,
    rows: &mut [GroupRow],
) -> LeakSection {
    let l = match leaks {
        Ok(l) => l,
        Err(e) => {
            return LeakSection {
                summary: format!("the leak check cannot run: {}", escape(&e.to_string())),
                failed: true,
                ..LeakSection::default()
            }
        }
    };
    let leaked: Vec<&Goroutine> = shown
        .iter()
        .copied()
        .filter(|g| causes.contains_key(&g.goid.0))
        .collect();
    let mut groups: Vec<GroupRow> = group(&leaked, None, false, None)
        .iter()
        .enumerate()
        .map(|(i, b)| group_row(format!("l{i}"), b, by_goid, causes))
        .collect();
    let row_of: FxHashMap<u64, usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.leaked > 0)
        .flat_map(|(i, r)| r.leaked_ids.iter().map(move |id| (*id, i)))
        .collect();
    for lg in &mut groups {
        let Some(i) = lg.leaked_ids.first().and_then(|id| row_of.get(id)) else {
            continue;
        };
        if let Some(r) = rows.get_mut(*i) {
            r.twin = Some(format!("#{}", lg.id));
            lg.twin = Some(format!("#{}", r.id));
        }
    }
    let mut warnings = Vec::new();
    if !l.undetermined.is_empty() {
        let mut ids = l.undetermined.clone();
        ids.sort_unstable();
        warnings.push(format!(
            "{} blocked goroutines wait on an object not found (taken as runnable): {}",
            ids.len(),
            id_ranges(&ids)
        ));
    }
    warnings.extend(l.errors.iter().map(|e| escape(e).into_owned()));
    LeakSection {
        summary: leak_summary(l).trim_end().to_string(),
        failed: false,
        count: leaked.len(),
        groups,
        warnings,
    }
}

fn group_row(
    id: String,
    b: &Group<'_>,
    by_goid: &FxHashMap<u64, &Goroutine>,
    leaks: &FxHashMap<u64, Cause>,
) -> GroupRow {
    let g = b.first;
    let user = g.user_frame.filter(|u| *u < g.frames.len());
    let loc = user
        .or((!g.frames.is_empty()).then_some(0))
        .and_then(|u| g.frames.get(u))
        .map_or_else(|| "?".to_string(), |f| location(&f.func, &f.file, f.line));
    let created = g
        .go_statement
        .as_deref()
        .filter(|c| !c.func.is_empty() && g.goid.0 != 1);
    let mut sets: BTreeSet<String> = BTreeSet::new();
    let mut more = 0usize;
    for id in &b.goids {
        let Some(m) = by_goid.get(id) else { continue };
        if m.labels.is_empty() {
            continue;
        }
        let kv: Vec<String> = label_map(m)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let s = kv.join(" ");
        if sets.len() < MAX_LABEL_SETS || sets.contains(&s) {
            sets.insert(s);
        } else {
            more += 1;
        }
    }
    let mut funcs: Vec<&str> = g.frames.iter().map(|f| &*f.func).collect();
    if let Some(c) = created {
        funcs.push(&c.func);
    }
    let mut leaked_ids = Vec::new();
    let mut why: BTreeSet<Cause> = BTreeSet::new();
    if !leaks.is_empty() {
        for id in &b.goids {
            if let Some(c) = leaks.get(id) {
                leaked_ids.push(*id);
                why.insert(*c);
            }
        }
    }
    GroupRow {
        id,
        count: b.goids.len(),
        state: b.state.clone(),
        location: loc,
        created_by: created.map(|c| location(&c.func, &c.file, c.line)),
        labels: sets.into_iter().collect(),
        more_labels: more,
        ids: id_ranges(&b.goids),
        frames: g
            .frames
            .iter()
            .enumerate()
            .map(|(k, f)| frame_row(f, Some(k) == user))
            .collect(),
        current: b.current,
        funcs: funcs.join("\n"),
        leaked: leaked_ids.len(),
        causes: why.into_iter().map(Cause::as_str).collect(),
        twin: None,
        leaked_ids,
    }
}

fn crash_of(g: &Goroutine, pm: Option<&PathMap>) -> Crash {
    let user = g.user_frame.filter(|u| *u < g.frames.len());
    Crash {
        goid: g.goid.0,
        state: state_text(g, None),
        frames: g
            .frames
            .iter()
            .enumerate()
            .map(|(k, f)| frame_row(f, Some(k) == user))
            .collect(),
        source: user
            .and_then(|u| g.frames.get(u))
            .and_then(|f| snippet(&f.file, f.line, pm)),
    }
}

/// The lines around `line` of `file` (the path map applied), when it is a readable
/// regular file of at most [`MAX_SOURCE_BYTES`].
pub fn snippet(file: &str, line: u32, pm: Option<&PathMap>) -> Option<Snippet> {
    let local = match pm {
        Some(pm) => pm.to_local(file),
        None => file.to_string(),
    };
    let path = Path::new(&local);
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_SOURCE_BYTES || line == 0 {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let first = line.saturating_sub(CONTEXT_LINES).max(1);
    let lines: Vec<SourceLine> = text
        .lines()
        .enumerate()
        .map(|(i, t)| (u32::try_from(i + 1).unwrap_or(u32::MAX), t))
        .skip_while(|(n, _)| *n < first)
        .take_while(|(n, _)| *n <= line.saturating_add(CONTEXT_LINES))
        .map(|(n, t)| SourceLine {
            n,
            text: t.to_string(),
            here: n == line,
        })
        .collect();
    lines
        .iter()
        .any(|l| l.here)
        .then_some(Snippet { file: local, lines })
}

/// Sorted ids as ranges: `1-3, 7, 9-10`.
pub fn id_ranges(ids: &[u64]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(&start) = ids.get(i) {
        let mut end = start;
        while ids.get(i + 1) == Some(&(end + 1)) {
            end += 1;
            i += 1;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        if end == start {
            let _ = write!(out, "{start}");
        } else {
            let _ = write!(out, "{start}-{end}");
        }
        i += 1;
    }
    out
}

fn status_class(g: &Goroutine) -> &'static str {
    if g.error.is_some() {
        return "other";
    }
    match &*g.status_name {
        "running" => "running",
        "runnable" => "runnable",
        "syscall" => "syscall",
        "waiting" => "waiting",
        _ => "other",
    }
}

/// The bar chart of goroutines per state (the wait reason of a waiting one).
pub fn chart<'g>(gs: impl Iterator<Item = &'g Goroutine>) -> Chart {
    let mut counts: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    for g in gs {
        let label = if g.error.is_some() {
            "unreadable".to_string()
        } else if !g.state.is_empty() {
            g.state.to_string()
        } else if !g.status_name.is_empty() {
            g.status_name.to_string()
        } else {
            "?".to_string()
        };
        *counts.entry((label, status_class(g))).or_default() += 1;
    }
    let mut v: Vec<((String, &'static str), usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if v.len() > MAX_BARS {
        let rest: usize = v.iter().skip(MAX_BARS - 1).map(|x| x.1).sum();
        v.truncate(MAX_BARS - 1);
        v.push((("other states".into(), "other"), rest));
    }
    let max = v.iter().map(|x| x.1).max().unwrap_or(1).max(1);
    const ROW: u32 = 24;
    const BAR_MAX: u32 = 460;
    let bars: Vec<Bar> = v
        .into_iter()
        .enumerate()
        .map(|(i, ((label, class), count))| Bar {
            label,
            count,
            y: u32::try_from(i).unwrap_or(0) * ROW,
            w: u32::try_from((count as u64 * u64::from(BAR_MAX)) / max as u64)
                .unwrap_or(BAR_MAX)
                .max(2),
            class,
        })
        .collect();
    Chart {
        width: 820,
        height: u32::try_from(bars.len()).unwrap_or(0) * ROW + 4,
        bars,
    }
}

/// `s` cut to `n` characters (an ellipsis marks the cut).
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The wait-for graph: goroutine groups on the left, the objects they wait on on the
/// right; `waits` edges from a group to an object, `unblocks` edges (dashed) from an
/// object to the groups whose stacks point into it; the goroutines and objects of a
/// cycle marked.
fn graph(groups: &[Group<'_>], w: &Waits) -> Graph {
    let mut group_of: FxHashMap<u64, usize> = FxHashMap::default();
    for (i, b) in groups.iter().enumerate() {
        for id in &b.goids {
            group_of.insert(*id, i);
        }
    }
    let in_cycle: BTreeSet<u64> = w.cycles.iter().flat_map(|c| c.goids.clone()).collect();
    let cycle_objs: BTreeSet<u64> = w.cycles.iter().flat_map(|c| c.objects.clone()).collect();
    let objects: Vec<_> = w.objects.iter().take(MAX_OBJECTS).collect();
    // Groups in order of first use; edges as (group slot, object index, kind, cycle).
    let mut slots: Vec<usize> = Vec::new();
    let mut slot_of: FxHashMap<usize, usize> = FxHashMap::default();
    let mut edges: BTreeMap<(usize, usize, &'static str), bool> = BTreeMap::new();
    let mut slot = |gi: usize, slots: &mut Vec<usize>| -> Option<usize> {
        if let Some(s) = slot_of.get(&gi) {
            return Some(*s);
        }
        if slots.len() >= MAX_GRAPH_GROUPS {
            return None;
        }
        slot_of.insert(gi, slots.len());
        slots.push(gi);
        Some(slots.len() - 1)
    };
    for (oi, o) in objects.iter().enumerate() {
        let oc = cycle_objs.contains(&o.addr);
        for wt in &o.waiters {
            let Some(gi) = group_of.get(&wt.goid) else {
                continue;
            };
            let Some(s) = slot(*gi, &mut slots) else {
                continue;
            };
            *edges.entry((s, oi, "waits")).or_default() |= oc && in_cycle.contains(&wt.goid);
        }
        for su in &o.suspects {
            let Some(gi) = group_of.get(&su.goid) else {
                continue;
            };
            let Some(s) = slot(*gi, &mut slots) else {
                continue;
            };
            *edges.entry((s, oi, "unblocks")).or_default() |= oc && in_cycle.contains(&su.goid);
        }
    }
    const ROW: u32 = 40;
    const H: u32 = 30;
    const GX: u32 = 8;
    const GW: u32 = 380;
    const OX: u32 = 600;
    const OW: u32 = 340;
    let row_y = |i: usize| 8 + u32::try_from(i).unwrap_or(0) * ROW;
    let mut nodes: Vec<Node> = Vec::new();
    for (s, gi) in slots.iter().enumerate() {
        let Some(b) = groups.get(*gi) else { continue };
        let f = b
            .first
            .user_frame
            .and_then(|u| b.first.frames.get(u))
            .or_else(|| b.first.frames.first());
        let func = f.map_or("?", |f| &*f.func);
        let title = format!(
            "{} goroutine{} [{}] {func} (ids {})",
            b.goids.len(),
            if b.goids.len() == 1 { "" } else { "s" },
            b.state,
            id_ranges(&b.goids)
        );
        nodes.push(Node {
            kind: "group",
            href: Some(format!("#g{gi}")),
            x: GX,
            y: row_y(s),
            w: GW,
            h: H,
            label: cut(
                &format!("{}× [{}] {func}", b.goids.len(), b.state),
                NODE_CHARS,
            ),
            title,
            cycle: b.goids.iter().any(|g| in_cycle.contains(g)),
        });
    }
    for (oi, o) in objects.iter().enumerate() {
        let mut title = format!("{} {:#x}", o.kind.as_str(), o.addr);
        if let Some(t) = &o.type_name {
            title.push(' ');
            title.push_str(t);
        }
        let _ = write!(title, " ({} waiting)", o.waiters.len());
        nodes.push(Node {
            kind: "object",
            href: None,
            x: OX,
            y: row_y(oi),
            w: OW,
            h: H,
            label: cut(&title, NODE_CHARS - 8),
            title,
            cycle: cycle_objs.contains(&o.addr),
        });
    }
    let edges: Vec<Edge> = edges
        .into_iter()
        .map(|((s, oi, kind), cycle)| {
            let (gy, oy) = (row_y(s) + H / 2, row_y(oi) + H / 2);
            let d = if kind == "waits" {
                let (x1, x2) = (GX + GW, OX);
                let m = (x1 + x2) / 2;
                format!(
                    "M{x1},{} C{m},{} {m},{} {x2},{}",
                    gy - 4,
                    gy - 4,
                    oy - 4,
                    oy - 4
                )
            } else {
                let (x1, x2) = (OX, GX + GW);
                let m = (x1 + x2) / 2;
                format!(
                    "M{x1},{} C{m},{} {m},{} {x2},{}",
                    oy + 5,
                    oy + 25,
                    gy + 25,
                    gy + 5
                )
            };
            Edge { d, kind, cycle }
        })
        .collect();
    let rows = slots.len().max(objects.len());
    let cycles = w
        .cycles
        .iter()
        .map(|c| {
            let objs: Vec<String> = c.objects.iter().map(|a| format!("{a:#x}")).collect();
            format!(
                "goroutines {} wait on each other through {}",
                id_ranges(&c.goids),
                objs.join(", ")
            )
        })
        .collect();
    Graph {
        width: OX + OW + 8,
        height: if rows == 0 { 0 } else { row_y(rows) + 24 },
        nodes,
        edges,
        cycles,
        objects_left_out: w.objects.len().saturating_sub(objects.len()),
        errors: w.errors.clone(),
    }
}

/// `SIGSEGV (11)`: the Linux signal numbers of amd64 and arm64 a Go program dies of.
pub fn signal_name(n: u32) -> String {
    let name = match n {
        0 => return String::new(),
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        19 => "SIGSTOP",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        31 => "SIGSYS",
        _ => return format!("signal {n}"),
    };
    format!("{name} ({n})")
}

/// `2026-12-07 04:38:13 UTC` of seconds since the epoch.
pub fn utc(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
