//! Bytes -> a saved snapshot file (`--save`, read by `wslgo diff` and `wslgo-diff`): the
//! input is read as the file itself (gzip) and, gzipped here, as its JSON Lines, so
//! mutations reach the header and goroutine lines past the gzip framing. What reads is
//! compared with itself and with an empty moment, and the diff rendered as text and JSON.
//! Every call must return (no panic, bounded time and memory: the reader's limits).
#![no_main]

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use libfuzzer_sys::fuzz_target;
use wslgo::views::diff::{diff, render_json, render_text};
use wslgo::views::snapfile::Saved;

fn exercise(saved: &Saved) {
    let empty = Saved {
        gs: Vec::new(),
        ..saved.clone()
    };
    for (a, b) in [(saved, saved), (&empty, saved), (saved, &empty)] {
        let d = diff(a, b);
        let _ = render_text(&d, true);
        let _ = render_json(&d, false);
    }
    let _ = saved.clock();
    let _ = saved.to_bytes();
}

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = Saved::read(data) {
        exercise(&s);
    }
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    if gz.write_all(data).is_ok() {
        if let Ok(bytes) = gz.finish() {
            if let Ok(s) = Saved::read(bytes.as_slice()) {
                exercise(&s);
            }
        }
    }
});
