//! The wait view's text and JSON ([`crate::runtime::waits::Waits`]): cycles first, then one block per
//! object, most waiters first. Program text (type and function names, files) goes through
//! [`crate::text`]'s one escaping rule. [`render`] is what `wslgo waits` and `wslgo-waits` print.

use crate::ids::GoId;
use std::fmt::Write;

use crate::error::Result;
use crate::runtime::target::Target;
use crate::runtime::waits::{ChainEnd, Object, Place, WaitModel, Waits};
use crate::runtime::{Options, ThreadRegs};
use crate::text::{escape, push_json_str};

/// Goroutine ids listed per line before the rest are counted.
const MAX_IDS: usize = 16;

fn ids(out: &mut String, goids: &[u64]) {
    for (i, g) in goids.iter().take(MAX_IDS).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{g}");
    }
    if goids.len() > MAX_IDS {
        let _ = write!(out, " ... ({} in all)", goids.len());
    }
}

fn addr(a: u64) -> String {
    format!("{a:#x}")
}

fn place_text(p: Place) -> String {
    match p {
        Place::Heap { base, size } => format!("heap object {base:#x}, {size} bytes"),
        Place::Data => "data".into(),
        Place::Bss => "bss".into(),
        Place::Unknown => String::new(),
    }
}

fn object_text(out: &mut String, o: &Object, now: Option<i64>) {
    let _ = write!(out, "{} {}", o.kind.as_str(), addr(o.addr));
    if let Some(t) = &o.type_name {
        let _ = write!(out, "  {}", escape(t));
    }
    if let Some(c) = &o.chan {
        let _ = write!(out, "  len {} cap {}", c.len, c.cap);
        if c.closed {
            out.push_str(" closed");
        }
        let _ = write!(
            out,
            "  {} to send, {} to receive",
            c.send_waiting, c.recv_waiting
        );
    }
    let p = place_text(o.place);
    if !p.is_empty() {
        let _ = write!(out, "  ({p})");
    }
    out.push('\n');
    let mut ops: Vec<&str> = o.waiters.iter().map(|w| w.op.as_str()).collect();
    ops.dedup();
    ops.sort_unstable();
    ops.dedup();
    let _ = writeln!(out, "  {} waiting:", o.waiters.len());
    for op in ops {
        let ws = o.waiters.iter().filter(|w| w.op.as_str() == op);
        let g: Vec<u64> = ws.clone().map(|w| w.goid).collect();
        let _ = write!(out, "    {op}: ");
        ids(out, &g);
        let longest = ws.filter_map(|w| wait_s(w.waitsince, now)).reduce(f64::max);
        if let Some(s) = longest.filter(|s| *s >= 1.0) {
            let _ = write!(out, "  (longest wait {s:.0} s)");
        }
        out.push('\n');
    }
    if o.suspects.is_empty() {
        out.push_str("  can unblock it: nobody (no other goroutine's stack points into it)\n");
    } else {
        out.push_str("  can unblock it:\n");
        for s in &o.suspects {
            let _ = writeln!(
                out,
                "    {} {} at {}:{}",
                s.goid,
                escape(&s.func),
                escape(&s.file),
                s.line
            );
        }
    }
}

/// The text view. `now` is the runtime's clock (nanotime) for how long waiters have waited;
/// without it, relative to the newest time the runtime recorded.
pub fn text(w: &Waits, now: Option<i64>) -> String {
    let now = clock(w, now);
    let mut out = String::new();
    if w.objects.is_empty() {
        out.push_str("No goroutine waits on a channel or sync object.\n");
    }
    for c in &w.cycles {
        out.push_str("cycle: goroutines ");
        ids(&mut out, &c.goids);
        out.push_str(" wait on each other through");
        for o in &c.objects {
            let _ = write!(out, " {}", addr(*o));
        }
        out.push('\n');
    }
    if !w.cycles.is_empty() {
        out.push('\n');
    }
    for (i, o) in w.objects.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        object_text(&mut out, o, now);
    }
    for e in &w.errors {
        let _ = writeln!(out, "warning: {}", escape(e));
    }
    out
}

fn json_opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => push_json_str(out, s),
        None => out.push_str("null"),
    }
}

/// Seconds a waiter has waited at `now` (the runtime's nanotime), when the runtime recorded
/// since when (`g.waitsince`, set by the garbage collector).
fn wait_s(waitsince: i64, now: Option<i64>) -> Option<f64> {
    let now = now?;
    (waitsince > 0 && now >= waitsince).then(|| (now - waitsince) as f64 / 1e9)
}

/// The clock wait times are measured against: `now`, else the newest `waitsince` of the
/// waiters (a core has no clock: times are then relative to the latest recorded).
fn clock(w: &Waits, now: Option<i64>) -> Option<i64> {
    now.or_else(|| {
        w.objects
            .iter()
            .flat_map(|o| o.waiters.iter().map(|x| x.waitsince))
            .filter(|t| *t > 0)
            .max()
    })
}

/// The JSON document: `{"objects": [...], "cycles": [...], "errors": [...]}`; `now` as
/// for [`text`].
pub fn json(w: &Waits, now: Option<i64>) -> String {
    let relative = now.is_none();
    let now = clock(w, now);
    let mut out = String::from("{\"objects\": [");
    for (i, o) in w.objects.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str("{\"kind\": ");
        push_json_str(&mut out, o.kind.as_str());
        out.push_str(", \"addr\": ");
        push_json_str(&mut out, &addr(o.addr));
        out.push_str(", \"type\": ");
        json_opt_str(&mut out, o.type_name.as_deref());
        match &o.chan {
            Some(c) => {
                let _ = write!(
                    out,
                    ", \"len\": {}, \"cap\": {}, \"closed\": {}, \"send_waiting\": {}, \"recv_waiting\": {}",
                    c.len, c.cap, c.closed, c.send_waiting, c.recv_waiting
                );
            }
            None => out.push_str(", \"len\": null, \"cap\": null, \"closed\": null"),
        }
        out.push_str(", \"place\": ");
        match o.place {
            Place::Heap { base, size } => {
                out.push_str("\"heap\", \"heap_object\": ");
                push_json_str(&mut out, &addr(base));
                let _ = write!(out, ", \"heap_size\": {size}");
            }
            Place::Data => out.push_str("\"data\""),
            Place::Bss => out.push_str("\"bss\""),
            Place::Unknown => out.push_str("null"),
        }
        out.push_str(", \"waiters\": [");
        for (k, x) in o.waiters.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{{\"goid\": {}, \"op\": ", x.goid);
            push_json_str(&mut out, x.op.as_str());
            match wait_s(x.waitsince, now) {
                Some(s) => {
                    let _ = write!(out, ", \"wait_s\": {s:.3}}}");
                }
                None => out.push_str(", \"wait_s\": null}"),
            }
        }
        out.push_str("], \"suspects\": [");
        for (k, s) in o.suspects.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{{\"goid\": {}, \"func\": ", s.goid);
            push_json_str(&mut out, &s.func);
            out.push_str(", \"file\": ");
            push_json_str(&mut out, &s.file);
            let _ = write!(out, ", \"line\": {}, \"slot\": ", s.line);
            push_json_str(&mut out, &addr(s.slot));
            out.push_str(", \"var\": ");
            json_opt_str(&mut out, s.var.as_deref());
            out.push('}');
        }
        out.push_str("]}");
    }
    out.push_str("], \"cycles\": [");
    for (i, c) in w.cycles.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str("{\"goids\": [");
        for (k, g) in c.goids.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{g}");
        }
        out.push_str("], \"objects\": [");
        for (k, o) in c.objects.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            push_json_str(&mut out, &addr(*o));
        }
        out.push_str("]}");
    }
    let _ = write!(
        out,
        "], \"wait_relative\": {}, \"errors\": [",
        relative && now.is_some()
    );
    for (i, e) in w.errors.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_json_str(&mut out, e);
    }
    out.push_str("]}\n");
    out
}

/// The chain from goroutine `goid` as text: one line per goroutine, what it waits on and
/// the goroutine followed, then how it ends.
pub fn chain_text(w: &Waits, goid: u64) -> String {
    let (steps, end) = w.chain(goid);
    let mut out = String::new();
    for st in &steps {
        let o = &w.objects[st.object];
        let op = o
            .waiters
            .iter()
            .find(|x| x.goid == st.goid)
            .map_or("wait", |x| x.op.as_str());
        let _ = write!(
            out,
            "goroutine {} [{}] {op} on {} {}",
            st.goid,
            escape(w.states.get(&st.goid).map_or("", |s| s)),
            o.kind.as_str(),
            addr(o.addr)
        );
        if let Some(t) = &o.type_name {
            let _ = write!(out, " ({})", escape(t));
        }
        out.push('\n');
        if let Some(s) = st.suspect.and_then(|i| o.suspects.get(i)) {
            let _ = write!(
                out,
                "  can be unblocked by goroutine {} ({} at {}:{})",
                s.goid,
                escape(&s.func),
                escape(&s.file),
                s.line
            );
            if o.suspects.len() > 1 {
                let _ = write!(out, "; {} others can reach it", o.suspects.len() - 1);
            }
            out.push('\n');
        }
    }
    let _ = match end {
        ChainEnd::NotBlocked(g) => writeln!(
            out,
            "goroutine {g} [{}] waits on no channel or sync object",
            escape(w.states.get(&g).map_or("", |s| s))
        ),
        ChainEnd::Cycle(g) => writeln!(out, "back at goroutine {g}: a wait cycle"),
        ChainEnd::Nobody(a) => writeln!(
            out,
            "nobody can unblock {}: no other goroutine's stack points into it",
            addr(a)
        ),
        ChainEnd::NoSuchGoroutine(g) => writeln!(out, "no goroutine {g}"),
    };
    out
}

/// The chain as JSON: `{"chain": [{"goid", "state", "kind", "addr", "op", "next"}],
/// "end": {"kind": "not_blocked"|"cycle"|"nobody"|"no_goroutine", "goid"|"addr"}}`.
pub fn chain_json(w: &Waits, goid: u64) -> String {
    let (steps, end) = w.chain(goid);
    let mut out = String::from("{\"chain\": [");
    for (i, st) in steps.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let o = &w.objects[st.object];
        let _ = write!(out, "{{\"goid\": {}, \"state\": ", st.goid);
        json_opt_str(&mut out, w.states.get(&st.goid).map(|s| &**s));
        out.push_str(", \"kind\": ");
        push_json_str(&mut out, o.kind.as_str());
        out.push_str(", \"addr\": ");
        push_json_str(&mut out, &addr(o.addr));
        out.push_str(", \"op\": ");
        let op = o
            .waiters
            .iter()
            .find(|x| x.goid == st.goid)
            .map(|x| x.op.as_str());
        json_opt_str(&mut out, op);
        out.push_str(", \"next\": ");
        match st.suspect.and_then(|i| o.suspects.get(i)) {
            Some(s) => {
                let _ = write!(out, "{}", s.goid);
            }
            None => out.push_str("null"),
        }
        out.push('}');
    }
    out.push_str("], \"end\": ");
    let _ = match end {
        ChainEnd::NotBlocked(g) => write!(out, "{{\"kind\": \"not_blocked\", \"goid\": {g}}}"),
        ChainEnd::Cycle(g) => write!(out, "{{\"kind\": \"cycle\", \"goid\": {g}}}"),
        ChainEnd::Nobody(a) => write!(out, "{{\"kind\": \"nobody\", \"addr\": \"{a:#x}\"}}"),
        ChainEnd::NoSuchGoroutine(g) => {
            write!(out, "{{\"kind\": \"no_goroutine\", \"goid\": {g}}}")
        }
    };
    out.push_str("}\n");
    out
}

/// What `wslgo waits` and `wslgo-waits` print for `target`: one enumeration of its
/// goroutines (`threads` for the running ones, `current_tid` marking the current one), the
/// objects they wait on, then the text or JSON document; with `goid`, the chain from that
/// goroutine. `now`: the runtime's clock for wait times (None for a core).
pub fn render(
    target: &Target,
    threads: &[ThreadRegs],
    current_tid: Option<i64>,
    goid: Option<GoId>,
    json_out: bool,
    now: Option<i64>,
) -> Result<String> {
    let opts = Options {
        current_tid,
        ..Options::default()
    };
    let gs = target.goroutines(threads, &opts)?;
    let rt = target.runtime();
    let model = WaitModel::new(rt)?;
    let w = model.analyze(rt, &rt.target(target.mem(), target.bias()), &gs);
    Ok(match (goid, json_out) {
        (Some(g), true) => chain_json(&w, g.0),
        (Some(g), false) => chain_text(&w, g.0),
        (None, true) => json(&w, now),
        (None, false) => text(&w, now),
    })
}
