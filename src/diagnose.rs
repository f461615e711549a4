//! `wslgo diagnose-log`: the known failures in a gdb, delve or VS Code log, each with its
//! cause and fix.
//!
//! Each [`Pattern`] matches the stable part of a real message (what every release and
//! every variant of it prints), compiled once into one [`regex::RegexSet`]: matching is
//! linear in the line's length whatever the line holds. A log is fed as bytes in chunks
//! ([`Scanner::feed`]); memory stays bounded whatever its size: a line is matched on its
//! first [`MAX_LINE`] bytes, and at most [`MAX_KEPT`] line numbers and unknown lines are
//! kept (the counts are exact).

use regex::{Regex, RegexSet};

/// A known failure: its name, the regex of its stable wording (case-insensitive), why it
/// happens and how to fix it.
#[derive(Debug, Clone, Copy)]
pub struct Pattern {
    /// Short name (`econnrefused`, `ptrace-denied`, ...), stable for `--json` users.
    pub name: &'static str,
    /// The regex (Rust `regex` syntax, matched case-insensitively on one line).
    pub regex: &'static str,
    /// Why it happens.
    pub cause: &'static str,
    /// What to do.
    pub fix: &'static str,
}

/// The known failures, most specific first (a line is counted under the first that
/// matches).
pub const PATTERNS: &[Pattern] = &[
    Pattern {
        name: "econnrefused",
        regex: r"(?-u:\b)ECONNREFUSED(?-u:\b)|connect: connection refused",
        cause: "nothing reachable listens on the debugger port: dlv/gdbserver is not running, \
                or it listens on 127.0.0.1 inside WSL2 (NAT mode) and Windows cannot reach it",
        fix: "start it listening on all interfaces (dlv --headless --listen=:2345, gdbserver \
              :2345) or use networkingMode=mirrored; `wslgo doctor` checks the port",
    },
    Pattern {
        name: "api-version",
        regex: r"API version mismatch|unsupported API version|unknown API version|--api-version",
        cause: "the client and the headless dlv speak different API versions",
        fix: "start dlv with --api-version=2 and update the Go extension (or dlv) so they match",
    },
    Pattern {
        name: "go-too-old-for-delve",
        regex: r"is too old for this version of Delve",
        cause: "the program's Go is older than the oldest Go this dlv supports",
        fix: "install a dlv release that supports that Go, or build with a newer Go \
              (--check-go-version=false only silences it)",
    },
    Pattern {
        name: "delve-too-old-for-go",
        regex: r"Delve is too old for Go version|Go version \S+ is too new|too old for Go version",
        cause: "this dlv predates the Go release that built the program",
        fix: "go install github.com/go-delve/delve/cmd/dlv@latest (inside WSL)",
    },
    Pattern {
        name: "ptrace-denied",
        regex: concat!(
            r"could not (?:launch process|attach to pid \d+):.*operation not permitted",
            r"|ptrace: Operation not permitted",
            r"|Error disabling address space randomization: Operation not permitted",
        ),
        cause: "the kernel refused ptrace: kernel.yama.ptrace_scope, a container without \
                CAP_SYS_PTRACE, or WSL1's emulated ptrace",
        fix: "sudo sysctl -w kernel.yama.ptrace_scope=0 (attach), run with CAP_SYS_PTRACE / \
              --security-opt seccomp=unconfined in containers, or move the distro to WSL2",
    },
    Pattern {
        name: "oom-killed",
        regex: concat!(
            r"^\s*Killed\s*$|exit(?:ed|ing)? (?:with )?(?:status|code):? 137(?-u:\b)",
            r"|terminated with signal SIGKILL|exit code 137",
        ),
        cause: "the process (or the debugger) was killed with SIGKILL, usually by the OOM \
                killer of a cgroup memory limit or of the WSL2 VM",
        fix: "raise the memory limit ([wsl2] memory=8GB in .wslconfig, cgroup MemoryMax); \
              `wslgo doctor` shows the limit",
    },
    Pattern {
        name: "pie-memory",
        regex: r"Cannot access memory at address 0x[0-9a-f]+|Cannot insert breakpoint \d+",
        cause: "a breakpoint or read at a link-time address of a PIE before the program runs \
                (the load address is only known after `run`/`starti`)",
        fix: "set breakpoints by function or FILE:LINE (wslgo-break), or `starti` first; \
              build with -buildmode=exe to avoid PIE",
    },
    Pattern {
        name: "source-newer",
        regex: r"Source file is more recent than executable",
        cause: "the source changed after the build: lines shown and breakpoints may be off",
        fix: "rebuild the program",
    },
    Pattern {
        name: "no-source-file",
        regex: r#"No source file named |could not find file |No line \d+ in file ""#,
        cause: "the path the editor sends is not a file of the binary (Windows vs WSL path, \
                another checkout, -trimpath)",
        fix: "add a path-map rule: set wslgo path-map FROM TO (or substitutePath/sourceFileMap \
              in launch.json); `wslgo why BIN FILE:LINE` names the rule",
    },
    Pattern {
        name: "pending-breakpoint",
        regex: concat!(
            r"Make breakpoint pending on future shared library load",
            r"|Breakpoint \d+ \(.*\) pending\.|Unverified breakpoint",
        ),
        cause: "the breakpoint's location is unknown now (path mismatch, or the code is not \
                loaded)",
        fix: "check the path with `wslgo why BIN FILE:LINE`; add a path-map rule if the file \
              is spelled differently in the binary",
    },
    Pattern {
        name: "no-statement",
        regex: r"could not find statement at ",
        cause: "no code on that line: a comment or declaration, or a line the optimizer removed",
        fix: "move the breakpoint to a line with code, or build with -gcflags=all='-N -l'; \
              `wslgo why BIN FILE:LINE` shows the nearest lines",
    },
    Pattern {
        name: "optimized",
        regex: r"Warning: debugging optimized function|<optimized out>|\(optimized\)",
        cause: "the program was built with optimizations: variables vanish, lines are skipped",
        fix: "go build -gcflags=all='-N -l'",
    },
];

/// Words that make a line no pattern knows count as an unknown error or warning.
const ERRORISH: &str = r"(?i-u)\b(?:error|warning|fail(?:ed|ure)?|cannot|could not|unable|refused|denied|fatal|panic|not found|no such)\b";

/// A bare "Warning:" heading (gdb puts the message on the next lines): not unknown.
const BARE: &str = r"(?i)^\s*(?:warning|error):?\s*$";

/// The bytes of one line that are matched and kept; the rest of a longer line is skipped.
pub const MAX_LINE: usize = 1 << 20;

/// Line numbers kept per known problem, and unknown lines kept (the counts stay exact).
pub const MAX_KEPT: usize = 1000;

/// Characters of a line kept to show (`first`, unknown lines).
pub const MAX_SHOWN: usize = 300;

/// A known problem found in the log.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Which pattern.
    pub pattern: &'static Pattern,
    /// The first [`MAX_KEPT`] line numbers (1-based) where it appears.
    pub lines: Vec<u64>,
    /// How many lines it appears on.
    pub count: u64,
    /// The first such line (trimmed, at most [`MAX_SHOWN`] characters), as the log has it.
    pub first: String,
}

/// What a log holds: known problems in [`PATTERNS`] order, and the unknown error lines.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The known problems found.
    pub hits: Vec<Hit>,
    /// The first [`MAX_KEPT`] unknown error/warning lines: (line number, text).
    pub unknown: Vec<(u64, String)>,
    /// How many unknown error/warning lines there are.
    pub unknown_count: u64,
    /// How many lines the log has.
    pub total: u64,
}

/// Reads a log fed in chunks of bytes and builds its [`Report`].
#[derive(Debug)]
pub struct Scanner {
    set: RegexSet,
    errorish: Regex,
    bare: Regex,
    partial: Vec<u8>,
    hits: Vec<Option<Hit>>,
    report: Report,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

/// `line` trimmed and cut to [`MAX_SHOWN`] characters (with `...` when cut).
fn shown(line: &str) -> String {
    let t = line.trim();
    match t.char_indices().nth(MAX_SHOWN) {
        Some((at, _)) => format!("{}...", &t[..at]),
        None => t.to_string(),
    }
}

impl Scanner {
    /// A scanner with the patterns compiled.
    pub fn new() -> Self {
        let set = RegexSet::new(PATTERNS.iter().map(|p| format!("(?i){}", p.regex)))
            .unwrap_or_else(|_| RegexSet::empty());
        let regex = |rx: &str| Regex::new(rx).unwrap_or_else(|_| Regex::new("$^").unwrap());
        Self {
            set,
            errorish: regex(ERRORISH),
            bare: regex(BARE),
            partial: Vec::new(),
            hits: vec![None; PATTERNS.len()],
            report: Report::default(),
        }
    }

    /// Feed the next bytes of the log (any chunking; lines end at `\n`).
    pub fn feed(&mut self, mut chunk: &[u8]) {
        while let Some(nl) = chunk.iter().position(|&b| b == b'\n') {
            self.keep(&chunk[..nl]);
            let line = std::mem::take(&mut self.partial);
            self.line_bytes(&line);
            self.partial = line;
            self.partial.clear();
            chunk = &chunk[nl + 1..];
        }
        self.keep(chunk);
    }

    /// Add to the current line up to [`MAX_LINE`] bytes.
    fn keep(&mut self, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn line_bytes(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        self.line(&text);
    }

    /// Take one line (without its `\n`; a trailing `\r` is ignored).
    pub fn line(&mut self, line: &str) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        self.report.total += 1;
        let n = self.report.total;
        if let Some(i) = self.set.matches(line).iter().next() {
            let Some(slot) = self.hits.get_mut(i) else {
                return;
            };
            let hit = slot.get_or_insert_with(|| Hit {
                pattern: &PATTERNS[i],
                lines: Vec::new(),
                count: 0,
                first: shown(line),
            });
            hit.count += 1;
            if hit.lines.len() < MAX_KEPT {
                hit.lines.push(n);
            }
            return;
        }
        if self.errorish.is_match(line) && !self.bare.is_match(line) {
            self.report.unknown_count += 1;
            if self.report.unknown.len() < MAX_KEPT {
                self.report.unknown.push((n, shown(line)));
            }
        }
    }

    /// The report (a last line without `\n` counts).
    pub fn finish(mut self) -> Report {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line_bytes(&line);
        }
        self.report.hits = self.hits.into_iter().flatten().collect();
        self.report
    }
}

/// The report of a whole log text.
pub fn diagnose_text(text: &str) -> Report {
    let mut s = Scanner::new();
    s.feed(text.as_bytes());
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&'static str> {
        diagnose_text(text)
            .hits
            .iter()
            .map(|h| h.pattern.name)
            .collect()
    }

    #[test]
    fn every_pattern_compiles() {
        for p in PATTERNS {
            assert!(Regex::new(p.regex).is_ok(), "{}", p.name);
        }
        assert!(Regex::new(ERRORISH).is_ok() && Regex::new(BARE).is_ok());
    }

    #[test]
    fn short_forms_match_their_stable_part() {
        assert_eq!(
            names("could not find statement at main.go:3"),
            ["no-statement"]
        );
        assert_eq!(
            names("Command failed: could not find statement at /x/main.go:12, please use a line with a statement"),
            ["no-statement"]
        );
        assert_eq!(
            names("connect ECONNREFUSED 172.20.0.1:2345"),
            ["econnrefused"]
        );
        assert_eq!(names("Killed"), ["oom-killed"]);
        assert_eq!(names("hello\nworld"), Vec::<&str>::new());
    }

    #[test]
    fn lines_chunks_counts_and_bounds() {
        let mut s = Scanner::new();
        for chunk in "ptrace: Operation not permitted.\r\nwarning: something odd\nKil"
            .as_bytes()
            .chunks(3)
        {
            s.feed(chunk);
        }
        s.feed(b"led\n");
        let r = s.finish();
        assert_eq!(r.total, 3);
        let found: Vec<_> = r
            .hits
            .iter()
            .map(|h| (h.pattern.name, h.lines.clone()))
            .collect();
        assert_eq!(found, [("ptrace-denied", vec![1]), ("oom-killed", vec![3])]);
        assert_eq!(r.hits[0].first, "ptrace: Operation not permitted.");
        assert_eq!(r.unknown, [(2, "warning: something odd".to_string())]);

        let many = "Killed\n".repeat(MAX_KEPT + 5);
        let r = diagnose_text(&many);
        assert_eq!(r.hits[0].count, (MAX_KEPT + 5) as u64);
        assert_eq!(r.hits[0].lines.len(), MAX_KEPT);
        let long = format!("error: {}\n", "x".repeat(MAX_LINE * 2));
        let r = diagnose_text(&long);
        assert_eq!((r.total, r.unknown_count), (1, 1));
        assert!(r.unknown[0].1.len() <= MAX_SHOWN + 3);
    }

    #[test]
    fn log_bombs_are_linear() {
        // Each is a 400 KB line that a backtracking regex takes tens of seconds on.
        for unit in [
            "could not launch process:",
            "could not attach to pid 1:",
            "Breakpoint 1 (",
        ] {
            let line = unit.repeat(400_000 / unit.len());
            let r = diagnose_text(&line);
            assert_eq!(r.total, 1);
            assert!(r.hits.is_empty(), "{unit}");
        }
        let line = format!(
            "{}operation not permitted",
            "could not launch process:".repeat(16_000)
        );
        assert_eq!(names(&line), ["ptrace-denied"]);
    }
}
