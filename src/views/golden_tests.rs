//! Every view's bytes on one fixed set of fake goroutines, waits and leaks, against the
//! golden files in `src/views/snapshots/` (insta). A change to any view's output (a space,
//! a column, an escape, a JSON key) fails here and shows as a diff; when it is meant,
//! `INSTA_UPDATE=always cargo test --lib golden` rewrites the files and the review reads
//! the change. (`tests/golden_views.py` compares two wheels on real cores: the same
//! question for what the fakes cannot hold.)

use insta::assert_snapshot;

use super::testdata::{leaky, EVIL};
use super::*;
use crate::runtime::target::Snapshot;
use crate::views::snapfile::Saved;

/// The runtime clock of the fakes: goroutines 5..=9 have waited 90 s, 20 and 21 an hour.
const NOW: i64 = 10_000_000_000_000;

/// [`leaky`] with wait times and a system goroutine.
fn golden() -> (
    Snapshot,
    crate::runtime::waits::Waits,
    crate::runtime::leaks::Leaks,
) {
    let (mut snap, waits, leaks) = leaky();
    let mut gs = std::mem::take(&mut snap.gs).into_vec();
    for g in &mut gs {
        match g.goid.0 {
            5..=9 => g.waitsince = NOW - 90_000_000_000,
            20 | 21 => g.waitsince = NOW - 3_600_000_000_000,
            _ => {}
        }
    }
    let mut sys = super::testdata::g(2, "force gc (idle)", "runtime.forcegchelper");
    sys.system = true;
    gs.push(sys);
    gs.sort_by_key(|g| g.goid);
    snap.gs = gs.into();
    (snap, waits, leaks)
}

fn view(mode: Mode) -> View {
    let mut v = View::new(mode);
    v.style.now = Some(NOW);
    v.no_goroutine = "no current goroutine".into();
    v
}

fn text(snap: &Snapshot, v: &View) -> String {
    render_text(snap, v, Some(NOW)).0
}

#[test]
fn golden_goroutine_views() {
    let (snap, _, _) = golden();
    for name in Mode::NAMES {
        let m = Mode::parse(name, false).unwrap_or_else(|| panic!("mode {name}"));
        assert_snapshot!(format!("view-{name}"), text(&snap, &view(m)));
    }
    let pretty = Mode::parse("json", true).expect("json");
    assert_snapshot!("view-json-pretty", text(&snap, &view(pretty)));
    let mut top = view(Mode::Full);
    top.depth = Some(1);
    top.style.top = true;
    assert_snapshot!("view-full-top-depth-1", text(&snap, &top));
    assert_snapshot!(
        "summary-and-brief",
        format!(
            "{}\n{}",
            summary(snap.gs.iter(), &snap.others),
            brief(snap.gs.iter(), &snap.others, 6, &Style::default())
        )
    );
}

#[test]
fn golden_filters() {
    let (snap, _, _) = golden();
    let filtered = |f: Filter| {
        let mut v = view(Mode::List);
        v.filter = f;
        render_text(&snap, &v, Some(NOW))
    };
    let cases: Vec<(&str, Filter)> = vec![
        (
            "state",
            Filter {
                states: vec!["chan receive".into()],
                ..Filter::default()
            },
        ),
        (
            "func",
            Filter {
                func: Some(func_regex(r"main\.abba").expect("regex")),
                ..Filter::default()
            },
        ),
        (
            "labels",
            Filter {
                labels: vec!["id=20".into()],
                ..Filter::default()
            },
        ),
        (
            "min-wait",
            Filter {
                min_wait: Some(60_000_000_000),
                ..Filter::default()
            },
        ),
        (
            "user",
            Filter {
                user_only: true,
                ..Filter::default()
            },
        ),
        (
            "ids",
            Filter {
                goids: vec![crate::ids::GoId(5), crate::ids::GoId(999)],
                only_ids: true,
                ..Filter::default()
            },
        ),
    ];
    for (name, f) in cases {
        let (out, r) = filtered(f);
        assert_snapshot!(format!("filter-{name}"), format!("{out}\n--\n{r:?}"));
    }
}

#[test]
fn golden_waits_and_leaks() {
    let (snap, waits, leaks) = golden();
    assert_snapshot!("waits-text", waits::text(&waits, Some(NOW)));
    assert_snapshot!("waits-json", waits::json(&waits, Some(NOW)));
    assert_snapshot!("waits-chain-text", waits::chain_text(&waits, 20));
    assert_snapshot!("waits-chain-json", waits::chain_json(&waits, 20));
    assert_snapshot!("leaks-text", leaks::text(&snap, &leaks));
    assert_snapshot!("leaks-json", leaks::json(&snap, &leaks));
}

#[test]
fn golden_saved_snapshot_and_diff() {
    let (before, _, _) = golden();
    let (mut after, _, _) = golden();
    // three more workers, the deadlock gone, one leaked sender left
    let mut gs = std::mem::take(&mut after.gs).into_vec();
    gs.retain(|g| !matches!(g.goid.0, 20 | 21 | 30));
    for id in 40..43 {
        gs.push(super::testdata::g(id, "chan receive", "main.worker"));
    }
    after.gs = gs.into();
    let a = Saved::of(
        &before,
        format!("/src/{EVIL}"),
        "c0ffee".into(),
        1_796_619_967_000_000_000,
        Some(NOW),
    );
    let b = Saved::of(
        &after,
        format!("/src/{EVIL}"),
        "c0ffee".into(),
        1_796_620_027_000_000_000,
        Some(NOW + 60_000_000_000),
    );
    let mut gz = Vec::new();
    a.write(&mut gz).expect("write to memory");
    let mut jsonl = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut jsonl)
        .expect("gunzip");
    assert_snapshot!("saved-jsonl", jsonl);
    let d = diff::diff(&a, &b);
    assert_snapshot!("diff-text", diff::render_text(&d, false));
    assert_snapshot!("diff-text-all", diff::render_text(&d, true));
    assert_snapshot!("diff-json", diff::render_json(&d, true));
}

#[test]
fn golden_report_page() {
    let (snap, waits, leaks) = golden();
    let header = report::Header {
        program: format!("/tmp/{EVIL}/prog"),
        go_version: Some("go1.24.1".into()),
        settings: vec![("-ldflags".into(), EVIL.into())],
        ..report::Header::default()
    };
    let p = report::page_of(&snap, &waits, &Ok(leaks), header, None);
    assert_snapshot!(
        "report-page",
        report::page(&p).expect("the template renders")
    );
}
