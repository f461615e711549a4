//! Every goroutine view, formatted from one [`Snapshot`]: the one-line list, full stacks,
//! grouped stacks, `wslgo-bt`'s default view, the stop context, the summary, JSON and JSON
//! Lines, and runtime-gdb.py's `info goroutines`; with the [`Filter`]s that choose the
//! goroutines. The layer above `runtime`: `runtime` never imports it, and the binding
//! only converts arguments to a [`View`] and hands the text on.

pub mod diff;
pub mod filter;
pub mod leaks;
mod list;
pub mod pprof;
mod render;
pub mod report;
pub mod snapfile;
pub mod waits;

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
pub(crate) mod testdata;

pub use filter::{func_regex, Filter};
pub use render::{brief, summary, Mode, Sink, Style, CHUNK};

use crate::ids::GoId;
use crate::runtime::target::Snapshot;
use crate::runtime::Goroutine;

/// What a view shows and how: the mode, the goroutines, the frames and the decoration.
#[derive(Debug, Clone)]
pub struct View {
    /// The format.
    pub mode: Mode,
    /// The goroutines shown.
    pub filter: Filter,
    /// Frames per goroutine at most (from the user frame; from the innermost with
    /// `style.top`).
    pub depth: Option<usize>,
    /// Decoration, the thread numbers and `--top`.
    pub style: Style,
    /// The line the default view shows when no goroutine is current.
    pub no_goroutine: String,
    /// The goroutine shown as current instead of the one the snapshot's thread runs (gdb's
    /// `wslgo-goroutine N` selection); None keeps the snapshot's.
    pub current_goid: Option<u64>,
}

impl View {
    /// A view in `mode` of every goroutine, plain.
    pub fn new(mode: Mode) -> View {
        View {
            mode,
            filter: Filter::default(),
            depth: None,
            style: Style::default(),
            no_goroutine: String::new(),
            current_goid: None,
        }
    }
}

/// What a [`render`] showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Goroutines shown.
    pub shown: usize,
    /// Ids asked for that the snapshot does not hold, sorted.
    pub missing: Vec<GoId>,
    /// Wait times are relative to the newest timestamp in the snapshot (no clock given).
    pub relative: bool,
}

/// Filter, order and format `snap` as `view` says into `sink`. `now` is the runtime's
/// clock (nanotime) for wait durations; without it they are relative to the newest
/// `waitsince` the snapshot holds.
pub fn render<E>(
    snap: &Snapshot,
    view: &View,
    now: Option<i64>,
    sink: &mut Sink<'_, E>,
) -> Result<Rendered, E> {
    let relative = now.is_none();
    let now = now.or_else(|| snap.gs.iter().map(|g| g.waitsince).filter(|w| *w > 0).max());
    // A copy only when the selection moves the mark (the records are read-only).
    let moved: Vec<Goroutine>;
    let gs: Vec<&Goroutine> = match view.current_goid {
        Some(n) if snap.gs.iter().any(|g| g.current != (g.goid.0 == n)) => {
            moved = snap
                .gs
                .iter()
                .map(|g| {
                    let mut g = g.clone();
                    g.current = g.goid.0 == n;
                    g
                })
                .collect();
            moved.iter().collect()
        }
        _ => snap.gs.iter().collect(),
    };
    let shown = view.filter.select(gs.iter().copied(), now);
    let mut st = view.style.clone();
    st.now = now;
    st.fatal = snap.fatal.clone();
    render::render(&shown, view.mode, view.depth, &st, &view.no_goroutine, sink)?;
    Ok(Rendered {
        shown: shown.len(),
        missing: view.filter.missing(snap.gs.iter()),
        relative: relative && now.is_some(),
    })
}

/// Why [`render_streamed`] stopped.
#[derive(Debug)]
pub enum Stopped<E> {
    /// `write` failed: its error (the formatting was stopped).
    Write(E),
    /// The view cannot be made (a state filter that names no state of the program).
    Failed(crate::Error),
    /// The formatting thread panicked: its message.
    Panicked(String),
}

/// [`render`], handing the text to `write` in chunks of about [`CHUNK`] bytes while a
/// second thread goes on formatting: writing (a debugger's output) costs about as much per
/// byte as formatting (JSON of 100,000 goroutines is 140 MB), so the two overlap. A few
/// chunks wait at most; when `write` fails, the formatting stops and its error is returned.
/// The view's state filters are checked against the program's states first.
pub fn render_streamed<E>(
    snap: &Snapshot,
    view: &View,
    now: Option<i64>,
    mut write: impl FnMut(String) -> Result<(), E>,
) -> Result<Rendered, Stopped<E>> {
    view.filter
        .check_states(&snap.state_names)
        .map_err(Stopped::Failed)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<String>(4);
    std::thread::scope(|s| {
        let maker = s.spawn(move || {
            let mut flush = |chunk: &str| tx.send(chunk.to_string()).map_err(|_| ());
            let mut sink = Sink::new(&mut flush);
            // Err: the writer stopped taking chunks (its error is the one reported).
            render(snap, view, now, &mut sink)
                .and_then(|r| sink.finish().map(|()| r))
                .ok()
        });
        let mut wrote = Ok(());
        for chunk in rx.iter() {
            if let Err(e) = write(chunk) {
                wrote = Err(e);
                break;
            }
        }
        drop(rx);
        let made = maker.join();
        wrote.map_err(Stopped::Write)?;
        match made {
            Ok(Some(r)) => Ok(r),
            // the receiver lives until every chunk is taken: unreachable
            Ok(None) => Err(Stopped::Panicked("the view's output stopped".into())),
            Err(panic) => Err(Stopped::Panicked(crate::error::panic_message(&*panic))),
        }
    })
}

/// [`render`] into a string.
pub fn render_text(snap: &Snapshot, view: &View, now: Option<i64>) -> (String, Rendered) {
    let mut text = String::new();
    let mut flush = |chunk: &str| -> Result<(), std::convert::Infallible> {
        text.push_str(chunk);
        Ok(())
    };
    let mut sink = Sink::new(&mut flush);
    let r = render(snap, view, now, &mut sink)
        .and_then(|r| sink.finish().map(|()| r))
        .unwrap_or_else(|e| match e {});
    (text, r)
}
