//! `wslgo diff` / `wslgo-diff`: two moments of a program compared ([`Saved`] snapshots of
//! cores, processes or files). Groups are goroutines of the same state and user location,
//! counted before and after, biggest growth first; `new` are ids only in the later one,
//! `gone` ids only in the earlier; `stuck` are ids blocked (`waiting`) in both at the same
//! pcs, with how long they have waited when the runtime knows (`waitsince`), else at least
//! the time between the two moments.

use std::fmt::Write;

use super::snapfile::{Saved, SavedG};
use crate::runtime::fxhash::{FxHashMap, FxHashSet};
use crate::text::{escape, push_json_str};

/// One group's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDelta {
    /// What `runtime.Stack` prints between brackets.
    pub state: String,
    /// The user location, `func file:line`.
    pub location: String,
    /// Goroutines in it before.
    pub before: usize,
    /// Goroutines in it after.
    pub after: usize,
}

impl GroupDelta {
    /// after - before.
    pub fn delta(&self) -> i64 {
        self.after as i64 - self.before as i64
    }
}

/// A goroutine blocked at the same pcs in both moments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stuck {
    /// Goroutine id.
    pub id: u64,
    /// Its state (the wait reason).
    pub state: String,
    /// Its user location.
    pub location: String,
    /// The user frame's pc (the innermost pc when it has none).
    pub pc: u64,
    /// How long it has waited at the later moment, when the runtime knows (`waitsince`).
    pub waited_ns: Option<i64>,
    /// At least this long: the time between the two moments (their wall clocks).
    pub at_least_ns: i64,
}

/// Two moments compared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// Groups, biggest growth first (then biggest after, then state and location).
    pub groups: Vec<GroupDelta>,
    /// Ids only in the later moment, ascending.
    pub new: Vec<u64>,
    /// Ids only in the earlier moment, ascending.
    pub gone: Vec<u64>,
    /// Blocked at the same pcs in both, by id.
    pub stuck: Vec<Stuck>,
    /// Later wall clock minus the earlier one (ns).
    pub elapsed_ns: i64,
}

/// Compares `a` (before) with `b` (after).
pub fn diff(a: &Saved, b: &Saved) -> Diff {
    let mut counts: FxHashMap<(&str, &str), (usize, usize)> = FxHashMap::default();
    for g in &a.gs {
        counts.entry((&g.state, &g.location)).or_default().0 += 1;
    }
    for g in &b.gs {
        counts.entry((&g.state, &g.location)).or_default().1 += 1;
    }
    let mut groups: Vec<GroupDelta> = counts
        .into_iter()
        .map(|((state, location), (before, after))| GroupDelta {
            state: state.to_string(),
            location: location.to_string(),
            before,
            after,
        })
        .collect();
    groups.sort_by(|x, y| {
        y.delta()
            .cmp(&x.delta())
            .then(y.after.cmp(&x.after))
            .then_with(|| (&x.state, &x.location).cmp(&(&y.state, &y.location)))
    });
    let before: FxHashMap<u64, &SavedG> = a.gs.iter().map(|g| (g.id, g)).collect();
    let after_ids: FxHashSet<u64> = b.gs.iter().map(|g| g.id).collect();
    let mut new: Vec<u64> =
        b.gs.iter()
            .map(|g| g.id)
            .filter(|id| !before.contains_key(id))
            .collect();
    new.sort_unstable();
    let mut gone: Vec<u64> =
        a.gs.iter()
            .map(|g| g.id)
            .filter(|id| !after_ids.contains(id))
            .collect();
    gone.sort_unstable();
    let elapsed_ns = b.time_nanos.saturating_sub(a.time_nanos);
    let clock = b.clock();
    let mut stuck: Vec<Stuck> =
        b.gs.iter()
            .filter(|g| g.blocked() && !g.pcs.is_empty())
            .filter(|g| {
                before
                    .get(&g.id)
                    .is_some_and(|old| old.blocked() && old.pcs == g.pcs)
            })
            .map(|g| Stuck {
                id: g.id,
                state: g.state.clone(),
                location: g.location.clone(),
                pc: if g.user_pc != 0 {
                    g.user_pc
                } else {
                    g.pcs.first().copied().unwrap_or(0)
                },
                waited_ns: clock
                    .filter(|c| g.waitsince > 0 && *c >= g.waitsince)
                    .map(|c| c - g.waitsince),
                at_least_ns: elapsed_ns.max(0),
            })
            .collect();
    stuck.sort_by_key(|s| s.id);
    Diff {
        groups,
        new,
        gone,
        stuck,
        elapsed_ns,
    }
}

/// A duration as `1.5s`, `3m20s`, `2h5m`.
pub fn duration(ns: i64) -> String {
    let s = ns as f64 / 1e9;
    if s < 60.0 {
        format!("{s:.1}s")
    } else if s < 3600.0 {
        format!("{}m{}s", (s / 60.0) as i64, (s % 60.0) as i64)
    } else {
        format!("{}h{}m", (s / 3600.0) as i64, ((s % 3600.0) / 60.0) as i64)
    }
}

/// At most this many ids listed in text (JSON has all).
const IDS_SHOWN: usize = 40;

fn ids_line(out: &mut String, what: &str, ids: &[u64]) {
    let _ = write!(out, "{what}: {}", ids.len());
    if !ids.is_empty() {
        out.push_str(" (");
        let shown: Vec<String> = ids.iter().take(IDS_SHOWN).map(u64::to_string).collect();
        out.push_str(&shown.join(" "));
        if ids.len() > IDS_SHOWN {
            let _ = write!(out, " … {} more", ids.len() - IDS_SHOWN);
        }
        out.push(')');
    }
    out.push('\n');
}

fn place(location: &str) -> &str {
    if location.is_empty() {
        "(no user frame)"
    } else {
        location
    }
}

/// The text report: groups that changed (all with `all_groups`), new, gone, stuck.
pub fn render_text(d: &Diff, all_groups: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} apart; goroutine groups (state, user location): before -> after (delta)",
        duration(d.elapsed_ns)
    );
    let mut unchanged = 0;
    for g in &d.groups {
        if g.delta() == 0 && !all_groups {
            unchanged += 1;
            continue;
        }
        let _ = writeln!(
            out,
            "{:>7} -> {:<7} ({:+})  [{}] {}",
            g.before,
            g.after,
            g.delta(),
            escape(&g.state),
            escape(place(&g.location))
        );
    }
    if unchanged > 0 {
        let _ = writeln!(out, "({unchanged} groups unchanged)");
    }
    ids_line(&mut out, "new", &d.new);
    ids_line(&mut out, "gone", &d.gone);
    let _ = writeln!(
        out,
        "stuck: {} (blocked at the same pc in both)",
        d.stuck.len()
    );
    for s in d.stuck.iter().take(IDS_SHOWN) {
        let how_long = match s.waited_ns {
            Some(w) => duration(w),
            None => format!(">= {}", duration(s.at_least_ns)),
        };
        let _ = writeln!(
            out,
            "  goroutine {} [{}, {how_long}] {} pc={:#x}",
            s.id,
            escape(&s.state),
            escape(place(&s.location)),
            s.pc
        );
    }
    if d.stuck.len() > IDS_SHOWN {
        let _ = writeln!(out, "  … {} more", d.stuck.len() - IDS_SHOWN);
    }
    out
}

/// The JSON report: `groups` (`state`, `location`, `before`, `after`, `delta`), `new`,
/// `gone`, `stuck` (`id`, `state`, `location`, `pc`, `waited_ns` or null, `at_least_ns`),
/// `elapsed_ns`. Written by hand (a serde_json `Value` per stuck goroutine cost 0.4 s at
/// 100,000); `pretty` indents it through serde_json.
pub fn render_json(d: &Diff, pretty: bool) -> String {
    let mut o = String::with_capacity(64 + d.stuck.len() * 120 + d.new.len() * 8);
    let _ = write!(o, "{{\"elapsed_ns\":{},\"groups\":[", d.elapsed_ns);
    for (i, g) in d.groups.iter().enumerate() {
        o.push_str(if i > 0 { ",{\"state\":" } else { "{\"state\":" });
        push_json_str(&mut o, &g.state);
        o.push_str(",\"location\":");
        push_json_str(&mut o, &g.location);
        let _ = write!(
            o,
            ",\"before\":{},\"after\":{},\"delta\":{}}}",
            g.before,
            g.after,
            g.delta()
        );
    }
    for (key, ids) in [("new", &d.new), ("gone", &d.gone)] {
        let _ = write!(o, "],\"{key}\":[");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(o, "{id}");
        }
    }
    o.push_str("],\"stuck\":[");
    for (i, s) in d.stuck.iter().enumerate() {
        let _ = write!(
            o,
            "{}{{\"id\":{},\"state\":",
            if i > 0 { "," } else { "" },
            s.id
        );
        push_json_str(&mut o, &s.state);
        o.push_str(",\"location\":");
        push_json_str(&mut o, &s.location);
        let _ = write!(o, ",\"pc\":{},\"waited_ns\":", s.pc);
        match s.waited_ns {
            Some(w) => {
                let _ = write!(o, "{w}");
            }
            None => o.push_str("null"),
        }
        let _ = write!(o, ",\"at_least_ns\":{}}}", s.at_least_ns);
    }
    o.push_str("]}");
    if pretty {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&o) {
            return serde_json::to_string_pretty(&v).unwrap_or(o);
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn g(id: u64, status: &str, state: &str, loc: &str, pcs: &[u64]) -> SavedG {
        SavedG {
            id,
            status: status.into(),
            state: state.into(),
            pcs: pcs.to_vec(),
            location: loc.into(),
            ..SavedG::default()
        }
    }

    fn moment(time_nanos: i64, gs: Vec<SavedG>) -> Saved {
        Saved {
            time_nanos,
            gs,
            ..Saved::default()
        }
    }

    #[test]
    fn a_leak_grows_its_group_and_its_ids_are_new() {
        let leak = "main.leak /a.go:5";
        let mut a = vec![
            g(1, "waiting", "sleep", "main.main /a.go:9", &[10, 20]),
            g(2, "waiting", "chan receive", leak, &[30, 40]),
            g(3, "runnable", "runnable", "main.work /a.go:1", &[50]),
            g(4, "waiting", "select", "main.sel /a.go:2", &[60]),
        ];
        let mut b = a.clone();
        b.retain(|g| g.id != 3);
        b.extend((10..13).map(|i| g(i, "waiting", "chan receive", leak, &[30, 40])));
        // 4 woke and blocked again elsewhere: not stuck.
        b.iter_mut().find(|g| g.id == 4).unwrap().pcs = vec![61];
        a[1].waitsince = 100;
        let mut after = moment(3_000_000_000, b);
        after.gs.iter_mut().find(|g| g.id == 2).unwrap().waitsince = 100;
        after.now = Some(1_000_000_100);
        let d = diff(&moment(1_500_000_000, a), &after);
        assert_eq!(d.elapsed_ns, 1_500_000_000);
        assert_eq!(
            d.groups[0],
            GroupDelta {
                state: "chan receive".into(),
                location: leak.into(),
                before: 1,
                after: 4
            }
        );
        assert_eq!(d.groups.last().unwrap().delta(), -1);
        assert_eq!(d.new, vec![10, 11, 12]);
        assert_eq!(d.gone, vec![3]);
        let ids: Vec<u64> = d.stuck.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![1, 2]);
        assert_eq!(d.stuck[0].waited_ns, None);
        assert_eq!(d.stuck[0].at_least_ns, 1_500_000_000);
        assert_eq!(d.stuck[1].waited_ns, Some(1_000_000_000));
        assert_eq!(d.stuck[1].pc, 30);

        let text = render_text(&d, false);
        assert!(text.starts_with("1.5s apart"), "{text}");
        assert!(text.contains("      1 -> 4       (+3)  [chan receive] main.leak /a.go:5"));
        assert!(
            text.contains("new: 3 (10 11 12)\ngone: 1 (3)\nstuck: 2"),
            "{text}"
        );
        assert!(text.contains("goroutine 1 [sleep, >= 1.5s] main.main /a.go:9 pc=0xa"));
        assert!(text.contains("goroutine 2 [chan receive, 1.0s]"));
        assert!(text.contains("(2 groups unchanged)"), "{text}");

        let v: Value = serde_json::from_str(&render_json(&d, false)).unwrap();
        assert_eq!(v["groups"][0]["before"], 1);
        assert_eq!(v["groups"][0]["after"], 4);
        assert_eq!(v["groups"][0]["location"], leak);
        assert_eq!(v["new"], json!([10, 11, 12]));
        assert_eq!(v["gone"], json!([3]));
        assert_eq!(v["stuck"][1]["waited_ns"], 1_000_000_000);
        assert_eq!(v["stuck"][0]["waited_ns"], Value::Null);
    }

    #[test]
    fn program_text_is_escaped_and_long_id_lists_are_cut() {
        let a = moment(0, vec![]);
        let b = moment(
            0,
            (1..=100)
                .map(|i| g(i, "waiting", "chan\x1b[31m", "main.\n /a.go:1", &[1]))
                .collect(),
        );
        let text = render_text(&diff(&a, &b), false);
        assert!(!text.contains('\x1b') && text.contains("chan\\x1b[31m"));
        assert!(text.contains("main.\\n /a.go:1"));
        assert!(text.contains("… 60 more)"), "{text}");
        let v: Value = serde_json::from_str(&render_json(&diff(&a, &b), true)).unwrap();
        assert_eq!(v["new"].as_array().unwrap().len(), 100);
        assert_eq!(v["groups"][0]["state"], "chan\x1b[31m");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(1_500_000_000), "1.5s");
        assert_eq!(duration(200_000_000_000), "3m20s");
        assert_eq!(duration(7_500_000_000_000), "2h5m");
    }
}
