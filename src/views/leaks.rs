//! The leak view (`wslgo leaks`, `wslgo-leaks`): a one-line summary, then the leaked
//! goroutines grouped as `wslgo-bt all` groups them; or one JSON document. The facts come
//! from [`crate::runtime::leaks`].

use std::fmt::Write;

use super::{render_text, Filter, Mode, View};
use crate::error::Result;
use crate::runtime::leaks::{LeakModel, Leaks};
use crate::runtime::target::{Scope, Snapshot, SnapshotOptions, Target};
use crate::runtime::{Goroutine, ThreadRegs, DEFAULT_MAX_DEPTH};
use crate::text::{escape, push_json_str};

/// What is not a root, said with every answer.
pub const NOT_ROOTS: &str = "finalizers and cleanups are not roots";

/// The leak check of a snapshot taken with whole stacks.
pub fn check(target: &Target, snap: &Snapshot) -> Result<Leaks> {
    let rt = target.runtime();
    let model = LeakModel::new(rt)?;
    let gs: Vec<Goroutine> = snap.gs.iter().cloned().collect();
    Ok(model.find(rt, &rt.target(target.mem(), target.bias()), &gs))
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
}

/// The one-line summary.
pub fn summary(l: &Leaks) -> String {
    match &l.cannot {
        Some(why) => format!(
            "leaks cannot be determined: {}; {} blocked forever by construction or by the runtime\n",
            escape(why),
            l.leaked.len()
        ),
        None => format!(
            "{} leaked of {} blocked goroutines checked; {} of heap, {} scanned in {:.2} s ({NOT_ROOTS})\n",
            l.leaked.len(),
            l.blocked,
            mib(l.heap_bytes),
            mib(l.scanned_bytes),
            l.seconds
        ),
    }
}

fn view(l: &Leaks, mode: Mode) -> View {
    let mut v = View::new(mode);
    v.filter = Filter {
        goids: l.goids().into_iter().map(crate::ids::GoId).collect(),
        ..Filter::default()
    };
    v
}

/// The text: the summary, then the leaked goroutines in groups, then warnings.
pub fn text(snap: &Snapshot, l: &Leaks) -> String {
    let mut out = summary(l);
    if !l.leaked.is_empty() {
        out.push('\n');
        out.push_str(&render_text(snap, &view(l, Mode::Group), None).0);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    if !l.undetermined.is_empty() {
        let _ = writeln!(
            out,
            "warning: {} blocked goroutines wait on an object not found (taken as runnable): {:?}",
            l.undetermined.len(),
            l.undetermined
        );
    }
    for e in &l.errors {
        let _ = writeln!(out, "warning: {}", escape(e));
    }
    out
}

/// The JSON document: `{"leaked": [{"goid", "cause", "objects"}], "groups": [...],
/// "blocked": N, "heap_bytes": N, "scanned_bytes": N, "seconds": F, "cannot": null|"why",
/// "not_roots": "...", "errors": [...]}`.
pub fn json(snap: &Snapshot, l: &Leaks) -> String {
    let mut out = String::from("{\"leaked\": [");
    for (i, x) in l.leaked.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{{\"goid\": {}, \"cause\": ", x.goid);
        push_json_str(&mut out, x.cause.as_str());
        out.push_str(", \"objects\": [");
        for (k, (kind, a)) in x.objects.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            let _ = write!(
                out,
                "{{\"kind\": \"{}\", \"addr\": \"{a:#x}\"}}",
                kind.as_str()
            );
        }
        out.push_str("]}");
    }
    out.push_str("], \"groups\": ");
    let groups = render_text(
        snap,
        &view(
            l,
            Mode::Json {
                grouped: true,
                pretty: false,
            },
        ),
        None,
    )
    .0;
    // The grouped JSON view is `{"buckets":[...]}`: its list.
    let list = groups
        .trim()
        .strip_prefix("{\"buckets\":")
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or("[]");
    out.push_str(list);
    let _ = write!(
        out,
        ", \"blocked\": {}, \"heap_bytes\": {}, \"scanned_bytes\": {}, \"seconds\": {:.3}, \"cannot\": ",
        l.blocked, l.heap_bytes, l.scanned_bytes, l.seconds
    );
    match &l.cannot {
        Some(c) => push_json_str(&mut out, c),
        None => out.push_str("null"),
    }
    out.push_str(", \"not_roots\": ");
    push_json_str(&mut out, NOT_ROOTS);
    out.push_str(", \"errors\": [");
    for (i, e) in l.errors.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_json_str(&mut out, e);
    }
    out.push_str("]}\n");
    out
}

/// What `wslgo leaks` and `wslgo-leaks` print for `target`.
pub fn render(
    target: &Target,
    threads: &[ThreadRegs],
    current_tid: Option<i64>,
    json_out: bool,
) -> Result<String> {
    let snap = target.snapshot(
        threads,
        &SnapshotOptions {
            include_dead: false,
            current_tid,
            max_depth: DEFAULT_MAX_DEPTH,
            scope: Scope::All,
            panics: false,
            waits: false,
        },
    )?;
    let l = check(target, &snap)?;
    Ok(if json_out {
        json(&snap, &l)
    } else {
        text(&snap, &l)
    })
}
