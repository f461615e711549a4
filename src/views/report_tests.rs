//! The report's page on fake goroutines, waits and leaks: hostile program text escaped
//! everywhere it appears, groups, ranges, the chart, the graph with its cycle, the leak
//! section (its groups, a check that could not run, none leaked).

use super::*;
use crate::runtime::leaks::Leaked;
use crate::views::testdata::{fake, g, leaky, snapshot, EVIL};

fn html() -> (Page, String) {
    let (snap, waits) = fake();
    let header = Header {
        program: format!("/tmp/{EVIL}/prog"),
        go_version: Some("go1.24.1".into()),
        settings: vec![("-ldflags".into(), EVIL.into())],
        ..Header::default()
    };
    let p = page_of(&snap, &waits, &Ok(Leaks::default()), header, None);
    let text = page(&p).expect("the template renders");
    (p, text)
}

#[test]
fn program_text_is_escaped_everywhere() {
    let (_, text) = html();
    assert!(!text.contains("<img"), "unescaped markup in the page");
    assert!(
        !text.contains("</script><script>"),
        "a function name closed the script"
    );
    assert!(text.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // the label set, the label filter's data, the panic, the type name, the build
    // setting, the error, the title: each escaped copy counted.
    assert!(text.matches("&lt;img src=x onerror=alert(1)&gt;").count() >= 7);
    assert!(text.contains("&amp; &quot;quoted&quot;"));
    // one <script> element: the page's own
    assert_eq!(text.matches("<script").count(), 1);
    assert_eq!(text.matches("<img").count(), 0);
}

#[test]
fn one_file_without_network() {
    let (_, text) = html();
    for needle in ["http://", "https://", "src=\"", "@import", "url(http"] {
        let hits: Vec<&str> = text
            .match_indices(needle)
            .map(|(i, _)| &text[i.saturating_sub(30)..(i + 40).min(text.len())])
            .filter(|ctx| !ctx.contains("http://www.w3.org/2000/svg"))
            .collect();
        assert!(hits.is_empty(), "{needle}: {hits:?}");
    }
    assert!(text.contains("default-src 'none'"));
    assert!(text.starts_with("<!DOCTYPE html>"));
}

#[test]
fn groups_carry_their_stack_once_and_ids_as_ranges() {
    let (p, text) = html();
    let workers = p
        .groups
        .iter()
        .find(|r| r.location.starts_with("main.worker"))
        .expect("the workers' group");
    assert_eq!(workers.count, 6);
    assert_eq!(workers.ids, "5-9, 11");
    assert_eq!(
        workers.created_by.as_deref(),
        Some("main.main at u/p/main.go:9")
    );
    assert_eq!(text.matches("ids 5-9, 11").count(), 1);
    // the current goroutine's group first
    assert!(p.groups[0].current);
    let abba = p
        .groups
        .iter()
        .find(|r| r.count == 2)
        .expect("the deadlock");
    assert_eq!(
        abba.labels,
        vec![format!("evil={EVIL} id=20"), format!("evil={EVIL} id=21")]
    );
    assert!(abba.funcs.contains("main.abba"));
    assert_eq!(p.total, 9);
}

#[test]
fn the_chart_counts_states() {
    let (p, _) = html();
    let bars: Vec<(&str, usize)> = p
        .chart
        .bars
        .iter()
        .map(|b| (b.label.as_str(), b.count))
        .collect();
    assert_eq!(
        bars,
        vec![("chan receive", 6), ("sync.Mutex.Lock", 2), ("running", 1)]
    );
    assert!(p.chart.bars[0].w > p.chart.bars[1].w);
    assert_eq!(p.chart.bars[2].class, "running");
}

#[test]
fn the_graph_marks_the_cycle() {
    let (p, text) = html();
    let gr = &p.graph;
    assert_eq!(gr.nodes.iter().filter(|n| n.kind == "object").count(), 2);
    assert!(gr.nodes.iter().all(|n| n.cycle), "{:?}", gr.nodes);
    // both deadlocked goroutines are one group: one group node, a waits and an
    // unblocks edge per object, all in the cycle
    assert_eq!(gr.nodes.iter().filter(|n| n.kind == "group").count(), 1);
    assert_eq!(gr.edges.len(), 4);
    assert!(gr.edges.iter().all(|e| e.cycle));
    assert_eq!(
        gr.cycles,
        vec!["goroutines 20-21 wait on each other through 0x1000, 0x2000"]
    );
    assert!(text.contains("class=\"edge waits cycle\""));
    assert!(text.contains("wait cycle: goroutines 20-21"));
}

#[test]
fn no_waits_says_so() {
    let snap = snapshot(vec![g(3, "sleep", "main.nap")]);
    let p = page_of(
        &snap,
        &Waits::default(),
        &Ok(Leaks::default()),
        Header::default(),
        None,
    );
    let text = page(&p).unwrap();
    assert!(text.contains("No goroutine waits on a channel or sync object."));
    assert!(!text.contains("id=\"panic\""));
    assert!(text.contains("The current goroutine") || p.header.crash.is_none());
}

#[test]
fn helpers() {
    assert_eq!(id_ranges(&[]), "");
    assert_eq!(id_ranges(&[1, 2, 3, 7, 9, 10]), "1-3, 7, 9-10");
    assert_eq!(id_ranges(&[4]), "4");
    assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(utc(1_796_618_293), "2026-12-07 04:38:13 UTC");
    assert_eq!(signal_name(6), "SIGABRT (6)");
    assert_eq!(signal_name(0), "");
    assert_eq!(signal_name(64), "signal 64");
    assert_eq!(cut("abcdef", 4), "abc…");
    assert_eq!(cut("abc", 4), "abc");
}

#[test]
fn source_lines_around_the_user_frame_through_the_path_map() {
    let dir = std::env::temp_dir().join(format!("wslgo-report-src-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body: String = (1..=30).map(|i| format!("line {i} <b>\n")).collect();
    std::fs::write(dir.join("main.go"), body).unwrap();
    let mut pm = PathMap::new();
    pm.add("/build/src", dir.to_str().unwrap(), "test").unwrap();
    let s = snippet("/build/src/main.go", 12, Some(&pm)).expect("mapped and read");
    assert_eq!(s.lines.first().map(|l| l.n), Some(7));
    assert_eq!(s.lines.last().map(|l| l.n), Some(17));
    assert_eq!(
        s.lines.iter().find(|l| l.here).map(|l| l.text.as_str()),
        Some("line 12 <b>")
    );
    assert!(snippet("/build/src/main.go", 12, None).is_none());
    assert!(snippet("/build/src/main.go", 99, Some(&pm)).is_none());
    let mut p = Page::default();
    p.header.crash = Some(Crash {
        goid: 1,
        source: Some(s),
        ..Crash::default()
    });
    let text = page(&p).unwrap();
    assert!(text.contains("line 12 &lt;b&gt;"));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn render_leaks(leaks: &Result<Leaks>) -> (Page, String) {
    let (snap, waits, _) = leaky();
    let p = page_of(&snap, &waits, leaks, Header::default(), None);
    let text = page(&p).expect("the template renders");
    (p, text)
}

#[test]
fn leaked_goroutines_in_groups_with_their_causes() {
    let (_, _, leaks) = leaky();
    let (p, text) = render_leaks(&Ok(leaks.clone()));
    let lk = &p.leaks;
    assert!(!lk.failed);
    assert_eq!(lk.summary, leak_summary(&leaks).trim_end());
    assert!(lk
        .summary
        .starts_with("4 leaked of 12 blocked goroutines checked; 3.0 MiB of heap"));
    assert_eq!(lk.count, 4);
    let got: Vec<(&str, usize, &str, Vec<&str>)> = lk
        .groups
        .iter()
        .map(|r| (r.id.as_str(), r.count, r.ids.as_str(), r.causes.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("l0", 2, "30-31", vec!["unreachable"]),
            ("l1", 1, "11", vec!["unreachable"]),
            ("l2", 1, "32", vec!["nil chan"]),
        ]
    );
    // each leaked group links to its group in the table, which links back and counts
    // its leaked members
    for lg in &lk.groups {
        let twin = lg.twin.as_deref().expect("a twin in the table");
        let row = p
            .groups
            .iter()
            .find(|r| format!("#{}", r.id) == twin)
            .expect("the twin");
        assert_eq!(row.twin.as_deref(), Some(format!("#{}", lg.id).as_str()));
        assert_eq!(row.location, lg.location);
        assert_eq!(row.leaked, lg.count);
    }
    let workers = p
        .groups
        .iter()
        .find(|r| r.location.starts_with("main.worker"))
        .expect("the workers' group");
    assert_eq!((workers.count, workers.leaked), (6, 1));
    assert_eq!(p.groups.iter().map(|r| r.leaked).sum::<usize>(), 4);
    // the leak section's warnings: the objects not found (ids as ranges), the error
    assert_eq!(
        lk.warnings[0],
        "3 blocked goroutines wait on an object not found (taken as runnable): 7-9"
    );
    assert_eq!(lk.warnings[1], format!("a span {EVIL} is unreadable"));
    // rendered: the groups carry their stack once, hostile text is text
    assert!(text.contains("<section id=\"leaks\">"));
    assert!(text.contains("Leaked goroutines: 3 groups of 4"));
    assert_eq!(
        text.matches("ids 30-31").count(),
        2,
        "the table and the section"
    );
    assert!(text.contains("<p class=\"cause\">leaked: nil chan (<a href=\"#g"));
    assert!(text.contains("class=\"mark leak\" href=\"#l1\">1 leaked</a>"));
    assert!(
        !text.contains("</script><script>"),
        "a function name closed the script"
    );
    assert_eq!(text.matches("<script").count(), 1);
    assert_eq!(text.matches("<img").count(), 0);
    assert!(text.contains("a span &lt;img src=x onerror=alert(1)&gt; is unreadable"));
    assert!(
        text.contains("main.leak&lt;&#x2f;script&gt;"),
        "the leaker's name as text"
    );
    assert!(!text.contains("id=\"no-leaks\""));
}

#[test]
fn a_leak_check_that_cannot_run_is_one_line_and_the_rest_unchanged() {
    let err = Error::Unsupported(format!("no heap layout for {EVIL}\nsecond line"));
    let (p, text) = render_leaks(&Err(err));
    let lk = &p.leaks;
    assert!(lk.failed && lk.groups.is_empty() && lk.warnings.is_empty());
    assert_eq!(
        lk.summary,
        format!("the leak check cannot run: unsupported: no heap layout for {EVIL}\\nsecond line")
    );
    assert!(text.contains(
        "<p id=\"leak-summary\" class=\"note warning\">the leak check cannot run: unsupported: no heap layout for &lt;img src=x onerror=alert(1)&gt;\\nsecond line</p>"
    ));
    assert!(!text.contains("id=\"no-leaks\"") && !text.contains("id=\"leak-groups\""));
    // the other sections are those of a page whose check found nothing
    let (none, _) = render_leaks(&Ok(Leaks::default()));
    assert_eq!(json(&p.header), json(&none.header));
    assert_eq!(json(&p.chart), json(&none.chart));
    assert_eq!(json(&p.groups), json(&none.groups));
    assert_eq!(json(&p.graph), json(&none.graph));
    assert_eq!(text.matches("<img").count(), 0);
}

#[test]
fn a_heap_that_cannot_be_read_still_lists_the_leaks_by_construction() {
    let leaks = Leaks {
        leaked: vec![Leaked {
            goid: 32,
            cause: Cause::NilChan,
            objects: Vec::new(),
        }],
        blocked: 12,
        cannot: Some(format!("the heap cannot be read: {EVIL}")),
        ..Leaks::default()
    };
    let (p, text) = render_leaks(&Ok(leaks));
    assert!(!p.leaks.failed);
    assert_eq!(
        p.leaks.summary,
        format!(
            "leaks cannot be determined: the heap cannot be read: {EVIL}; 1 blocked forever by construction or by the runtime"
        )
    );
    assert_eq!(p.leaks.groups.len(), 1);
    assert_eq!(p.leaks.groups[0].ids, "32");
    assert_eq!(text.matches("<img").count(), 0);
}

#[test]
fn none_leaked_says_so_with_the_summary() {
    let leaks = Leaks {
        blocked: 9,
        heap_bytes: 1 << 20,
        ..Leaks::default()
    };
    let (p, text) = render_leaks(&Ok(leaks));
    assert_eq!(p.leaks.count, 0);
    assert!(p.groups.iter().all(|r| r.leaked == 0 && r.twin.is_none()));
    assert!(p
        .leaks
        .summary
        .starts_with("0 leaked of 9 blocked goroutines checked; 1.0 MiB of heap"));
    assert!(text.contains("<p id=\"no-leaks\">No leaked goroutines.</p>"));
    assert!(!text.contains("class=\"mark leak\""));
    assert!(!text.contains("id=\"leak-filter-count\""));
}

/// A section of the page as JSON, to compare it whole.
fn json<T: Serialize>(x: &T) -> String {
    serde_json::to_string(x).expect("a section serializes")
}
