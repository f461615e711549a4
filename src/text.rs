//! Text the debugged program controls (pprof labels, function and file names, the Go
//! version and build settings, wait reasons read from the binary) is escaped once, where
//! output is formatted, so it can neither drive the terminal (ESC/OSC/BEL sequences) nor
//! forge lines (newlines), and a NUL never breaks a consumer that wants C strings.
//! JSON output carries the raw text instead: JSON has its own escapes.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for characters that are shown escaped: C0 and C1 controls, DEL, the backslash
/// (so an escape in the output is never ambiguous), line/paragraph separators and the
/// bidirectional overrides that reorder what a terminal shows.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || c == '\\'
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Append `s` as a JSON string literal: quotes, backslash and the usual escapes, and every
/// other character [`needs_escape`] names as `\uXXXX`, so JSON output is as safe on a
/// terminal as the text output (the one JSON string writer of the crate).
pub fn push_json_str(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    // Names and paths are nearly always plain ASCII: copied whole.
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` with every [`needs_escape`] character written as `\n`, `\r`, `\t`, `\\`, `\xNN`
/// (below U+0100) or `\u{NNNN}`; borrowed unchanged when there is nothing to escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    let plain_ascii = |b: u8| (0x20..0x7f).contains(&b) && b != b'\\';
    if s.bytes().all(plain_ascii) || !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) && u32::from(c) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `v` in decimal, written into `buf` (no allocation and no formatter machinery: the
/// goroutine list, JSON and symbolize output write millions of integers).
pub fn decimal(mut v: u64, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        if let Some(d) = buf.get_mut(at) {
            *d = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || at == 0 {
            break;
        }
    }
    std::str::from_utf8(buf.get(at..).unwrap_or_default()).unwrap_or("0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_plain_text_is_borrowed() {
        assert!(matches!(escape("main.main"), Cow::Borrowed(_)));
        assert!(matches!(escape("héllo wörld ✓"), Cow::Borrowed(_)));
        assert_eq!(
            escape("a\x1b]0;x\x07b\nc\0d\\e\u{9b}f\u{202e}g\t"),
            "a\\x1b]0;x\\x07b\\nc\\x00d\\\\e\\x9bf\\u{202e}g\\t"
        );
    }

    #[test]
    fn decimal_writes_every_u64() {
        for v in [0u64, 7, 10, 1_234_567_890, u64::MAX] {
            assert_eq!(decimal(v, &mut [0u8; 20]), v.to_string());
        }
    }
}
