//! Saved snapshots (`--save FILE`): the goroutines of one moment, kept to be compared with
//! another ([`crate::views::diff`]).
//!
//! The file is gzipped JSON Lines (format 1):
//!
//! ```text
//! {"format":"wslgo-snapshot","version":1,"build_id":"…","binary":"…","time_nanos":…,"now":…,"goroutines":N}
//! {"id":1,"status":"waiting","state":"chan receive","wait":"chan receive","waitsince":0,
//!  "pcs":[4785342,…],"location":"main.main /src/main.go:12","user_pc":4785342,"created_by":"",
//!  "parent":0,"system":false,"labels":[["k","v"]]}
//! ```
//!
//! The first line is the header: `time_nanos` is the wall clock of the moment (ns since the
//! Unix epoch; a core's mtime), `now` the runtime's clock (nanotime) then, or null when
//! unknown (a core: wait times are then relative to the newest `waitsince`). One line per
//! goroutine follows: `pcs` are the physical frames' pcs, innermost first; `location` the
//! user frame (`func file:line`) and `user_pc` its pc; `created_by` the `go` statement.
//! Readers ignore unknown fields; a newer `version` is refused with one line. `zcat FILE |
//! jq` reads it.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Map, Value};

use crate::runtime::fxhash::FxHashMap;
use crate::runtime::target::Snapshot;
use crate::runtime::Goroutine;
use crate::text::push_json_str;
use crate::{Error, Result};

/// The format's name, in the header.
pub const FORMAT: &str = "wslgo-snapshot";
/// The version this code writes and the newest it reads.
pub const VERSION: u64 = 1;
/// A line longer than this is refused (a goroutine of 10,000 frames is ~120 KiB).
const MAX_LINE: u64 = 4 << 20;
/// At most this many goroutines are read from a file.
const MAX_GOROUTINES: usize = 20_000_000;
/// At most this many bytes of JSON (a million goroutines are ~300 MB).
const MAX_TOTAL: u64 = 4 << 30;

/// One goroutine of a saved snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedG {
    /// Goroutine id.
    pub id: u64,
    /// Status name (`waiting`, `runnable`, ...).
    pub status: String,
    /// What `runtime.Stack` prints between brackets (the wait reason when waiting).
    pub state: String,
    /// Wait reason (empty when none).
    pub wait: String,
    /// `waitsince` (runtime nanotime; 0 unknown).
    pub waitsince: i64,
    /// pcs of the physical frames, innermost first.
    pub pcs: Vec<u64>,
    /// The user frame, `func file:line` (empty when none).
    pub location: String,
    /// The user frame's pc (0 when none).
    pub user_pc: u64,
    /// The `go` statement that created it, `func file:line` (empty when none).
    pub created_by: String,
    /// The creating goroutine's id (0 unknown).
    pub parent: u64,
    /// A runtime (system) goroutine.
    pub system: bool,
    /// pprof labels.
    pub labels: Vec<(String, String)>,
}

impl SavedG {
    /// Blocked: parked by the scheduler (`waiting`).
    pub fn blocked(&self) -> bool {
        self.status == "waiting"
    }
}

/// A saved snapshot: when it was taken and its goroutines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Saved {
    /// The binary's build id (hex, empty if none).
    pub build_id: String,
    /// The binary's path as given.
    pub binary: String,
    /// Wall clock of the moment, ns since the Unix epoch.
    pub time_nanos: i64,
    /// The runtime's clock (nanotime) then, when known.
    pub now: Option<i64>,
    /// The goroutines (dead ones left out), in allgs order.
    pub gs: Vec<SavedG>,
}

fn located(func: &str, file: &str, line: u32) -> String {
    if func.is_empty() {
        String::new()
    } else {
        format!("{func} {file}:{line}")
    }
}

/// What goroutines sharing a stack share: pcs, user location and its pc.
type StackFacts = (Vec<u64>, String, u64);

/// Goroutines of identical stacks share their `Frames`: each stack's facts are made once.
#[derive(Default)]
struct Cache {
    stacks: FxHashMap<(usize, Option<usize>), StackFacts>,
    created: FxHashMap<usize, String>,
}

fn saved_g(g: &Goroutine, cache: &mut Cache) -> SavedG {
    let (pcs, location, user_pc) = cache
        .stacks
        .entry((g.frames.id(), g.user_frame))
        .or_insert_with(|| {
            (
                g.frames
                    .iter()
                    .filter(|f| !f.inlined)
                    .map(|f| f.pc.0)
                    .collect(),
                g.user_location()
                    .map(|f| located(&f.func, &f.file, f.line))
                    .unwrap_or_default(),
                g.user_location().map_or(0, |f| f.pc.0),
            )
        })
        .clone();
    let created_by = match g.go_statement.as_ref().filter(|_| g.goid.0 != 1) {
        Some(l) => cache
            .created
            .entry(Arc::as_ptr(l) as usize)
            .or_insert_with(|| located(&l.func, &l.file, l.line))
            .clone(),
        None => String::new(),
    };
    SavedG {
        id: g.goid.0,
        status: g.status_name.to_string(),
        state: g.state.to_string(),
        wait: g.wait_reason.to_string(),
        waitsince: g.waitsince,
        pcs,
        location,
        user_pc,
        created_by,
        parent: g.parent_goid.map_or(0, |p| p.0),
        system: g.system,
        labels: g.labels.clone(),
    }
}

/// Appends `g` as one JSON line (written by hand: serde_json's `Value` per goroutine costs
/// ten times as much at 100,000 goroutines).
fn push_line(out: &mut String, g: &SavedG) {
    use std::fmt::Write as _;
    let str_field = |out: &mut String, key: &str, v: &str| {
        let _ = write!(out, ",\"{key}\":");
        push_json_str(out, v);
    };
    let _ = write!(out, "{{\"id\":{}", g.id);
    str_field(out, "status", &g.status);
    str_field(out, "state", &g.state);
    str_field(out, "wait", &g.wait);
    let _ = write!(out, ",\"waitsince\":{},\"pcs\":[", g.waitsince);
    for (i, pc) in g.pcs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{pc}");
    }
    out.push(']');
    str_field(out, "location", &g.location);
    let _ = write!(out, ",\"user_pc\":{}", g.user_pc);
    str_field(out, "created_by", &g.created_by);
    let _ = write!(
        out,
        ",\"parent\":{},\"system\":{},\"labels\":[",
        g.parent, g.system
    );
    for (i, (k, v)) in g.labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        push_json_str(out, k);
        out.push(',');
        push_json_str(out, v);
        out.push(']');
    }
    out.push_str("]}\n");
}

impl Saved {
    /// The saved form of `snap` (taken with whole stacks), at wall clock `time_nanos` and
    /// runtime clock `now` (None for a core).
    pub fn of(
        snap: &Snapshot,
        binary: String,
        build_id: String,
        time_nanos: i64,
        now: Option<i64>,
    ) -> Saved {
        let mut cache = Cache::default();
        Saved {
            build_id,
            binary,
            time_nanos,
            now,
            gs: snap
                .gs
                .iter()
                .filter(|g| g.error.is_none() && g.status_name.as_ref() != "dead")
                .map(|g| saved_g(g, &mut cache))
                .collect(),
        }
    }

    /// The runtime clock wait times are measured against: `now`, else the newest
    /// `waitsince` held.
    pub fn clock(&self) -> Option<i64> {
        self.now
            .or_else(|| self.gs.iter().map(|g| g.waitsince).filter(|w| *w > 0).max())
    }

    /// Writes the file's bytes (gzipped JSON Lines) to `out`.
    pub fn write(&self, out: impl Write) -> std::io::Result<()> {
        let mut gz = GzEncoder::new(out, Compression::fast());
        let header = json!({
            "format": FORMAT,
            "version": VERSION,
            "build_id": self.build_id,
            "binary": self.binary,
            "time_nanos": self.time_nanos,
            "now": self.now,
            "goroutines": self.gs.len(),
        });
        let mut line = header.to_string();
        line.push('\n');
        // Lines are gathered into chunks: the encoder costs per write.
        for g in &self.gs {
            push_line(&mut line, g);
            if line.len() >= 1 << 16 {
                gz.write_all(line.as_bytes())?;
                line.clear();
            }
        }
        gz.write_all(line.as_bytes())?;
        gz.finish()?.flush()
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing to a Vec fails only on allocation failure, which aborts anyway.
        let _ = self.write(&mut out);
        out
    }

    /// Reads a snapshot file (bounded: lines of at most 4 MiB, 20,000,000 goroutines,
    /// 4 GiB of JSON).
    pub fn read(input: impl Read) -> Result<Saved> {
        let bad = |line: usize, what: &str| {
            Error::BadInput(format!("not a wslgo snapshot: line {line}: {what}"))
        };
        let mut r = BufReader::new(GzDecoder::new(input));
        let mut buf = Vec::new();
        let mut total = 0u64;
        let mut next_line = |buf: &mut Vec<u8>, n: usize| -> Result<bool> {
            buf.clear();
            let got = (&mut r)
                .take(MAX_LINE)
                .read_until(b'\n', buf)
                .map_err(|e| Error::BadInput(format!("not a wslgo snapshot (a gzip file): {e}")))?;
            if got as u64 == MAX_LINE && buf.last() != Some(&b'\n') {
                return Err(bad(n, "longer than 4 MiB"));
            }
            total += got as u64;
            if total > MAX_TOTAL {
                return Err(bad(n, "more than 4 GiB of goroutines"));
            }
            Ok(got > 0)
        };
        if !next_line(&mut buf, 1)? {
            return Err(Error::BadInput("not a wslgo snapshot: empty".into()));
        }
        let header: Map<String, Value> =
            serde_json::from_slice(&buf).map_err(|_| bad(1, "no header"))?;
        if header.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(bad(1, "no wslgo-snapshot header"));
        }
        let version = header.get("version").and_then(Value::as_u64).unwrap_or(0);
        if version == 0 || version > VERSION {
            return Err(Error::BadInput(format!(
                "wslgo snapshot version {version}: this wslgo reads versions 1 to {VERSION}"
            )));
        }
        let text = |m: &Map<String, Value>, k: &str| {
            m.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let int = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_i64);
        let mut saved = Saved {
            build_id: text(&header, "build_id"),
            binary: text(&header, "binary"),
            time_nanos: int(&header, "time_nanos").unwrap_or(0),
            now: int(&header, "now"),
            gs: Vec::new(),
        };
        let mut n = 1;
        while next_line(&mut buf, n + 1)? {
            n += 1;
            if saved.gs.len() >= MAX_GOROUTINES {
                return Err(bad(n, "more than 20,000,000 goroutines"));
            }
            let m: Map<String, Value> =
                serde_json::from_slice(&buf).map_err(|e| bad(n, &e.to_string()))?;
            let id = m
                .get("id")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad(n, "no goroutine id"))?;
            let pcs = m
                .get("pcs")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            let labels = m
                .get("labels")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|kv| {
                            let kv = kv.as_array()?;
                            Some((
                                kv.first()?.as_str()?.to_string(),
                                kv.get(1)?.as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            saved.gs.push(SavedG {
                id,
                status: text(&m, "status"),
                state: text(&m, "state"),
                wait: text(&m, "wait"),
                waitsince: int(&m, "waitsince").unwrap_or(0),
                pcs,
                location: text(&m, "location"),
                user_pc: m.get("user_pc").and_then(Value::as_u64).unwrap_or(0),
                created_by: text(&m, "created_by"),
                parent: m.get("parent").and_then(Value::as_u64).unwrap_or(0),
                system: m.get("system").and_then(Value::as_bool).unwrap_or(false),
                labels,
            });
        }
        Ok(saved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn g(id: u64, status: &str, state: &str, loc: &str, pcs: &[u64]) -> SavedG {
        SavedG {
            id,
            status: status.into(),
            state: state.into(),
            wait: if status == "waiting" {
                state.into()
            } else {
                String::new()
            },
            pcs: pcs.to_vec(),
            location: loc.into(),
            ..SavedG::default()
        }
    }

    #[test]
    fn a_snapshot_reads_back_as_written() {
        let mut one = g(
            7,
            "waiting",
            "chan receive",
            "main.f /a.go:3",
            &[0x401000, 0x402000],
        );
        one.labels = vec![("k".into(), "v\n\u{1b}".into())];
        one.created_by = "main.main /a.go:9".into();
        one.parent = 1;
        one.user_pc = 0x402000;
        let s = Saved {
            build_id: "abcd".into(),
            binary: "/bin/x".into(),
            time_nanos: 1_700_000_000_000_000_000,
            now: Some(5_000),
            gs: vec![one, g(9, "runnable", "runnable", "", &[])],
        };
        let bytes = s.to_bytes();
        assert_eq!(&bytes[..2], b"\x1f\x8b");
        assert_eq!(Saved::read(&bytes[..]).unwrap(), s);
    }

    #[test]
    fn bad_files_are_one_line_errors() {
        let err = |b: &[u8]| Saved::read(b).unwrap_err().to_string();
        assert!(err(b"").contains("not a wslgo snapshot"), "{}", err(b""));
        assert!(err(b"\x7fELF").contains("not a wslgo snapshot"));
        let gz = |text: &str| {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(text.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        assert!(err(&gz("{}\n")).contains("no wslgo-snapshot header"));
        let newer = gz("{\"format\":\"wslgo-snapshot\",\"version\":99}\n");
        assert!(err(&newer).contains("version 99"), "{}", err(&newer));
        let no_id = gz("{\"format\":\"wslgo-snapshot\",\"version\":1}\n{\"state\":\"x\"}\n");
        assert!(err(&no_id).contains("line 2: no goroutine id"));
        let long = format!(
            "{{\"format\":\"wslgo-snapshot\",\"version\":1}}\n{}",
            "x".repeat(5 << 20)
        );
        assert!(err(&gz(&long)).contains("longer than 4 MiB"));
    }

    #[test]
    fn damaged_files_are_errors_never_panics() {
        let mut gs: Vec<SavedG> = (1..40)
            .map(|i| g(i, "waiting", "chan receive", "main.f /a.go:3", &[i, i + 1]))
            .collect();
        gs[3].labels = vec![("k".into(), "v".into())];
        let bytes = Saved {
            gs,
            ..Saved::default()
        }
        .to_bytes();
        for cut in 0..bytes.len() {
            let _ = Saved::read(&bytes[..cut]);
        }
        for i in 0..bytes.len() {
            for bit in [0x01, 0x80] {
                let mut b = bytes.clone();
                b[i] ^= bit;
                let _ = Saved::read(&b[..]);
            }
        }
        // The JSON itself damaged (gzip intact): a clear line, or a partial read.
        let mut text = Vec::new();
        GzDecoder::new(&bytes[..]).read_to_end(&mut text).unwrap();
        for cut in (0..text.len()).step_by(7) {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(&text[..cut]).unwrap();
            let _ = Saved::read(&e.finish().unwrap()[..]);
        }
    }

    #[test]
    fn the_clock_falls_back_to_the_newest_waitsince() {
        let mut s = Saved::default();
        s.gs.push(SavedG {
            waitsince: 10,
            ..SavedG::default()
        });
        s.gs.push(SavedG {
            waitsince: 30,
            ..SavedG::default()
        });
        assert_eq!(s.clock(), Some(30));
        s.now = Some(50);
        assert_eq!(s.clock(), Some(50));
    }
}
