//! Output formats of `wslgo symbolize`: addr2line-style text and JSON lines.

use std::fmt::Write as _;

use super::Frame;
use crate::text::{decimal, escape};

/// How [`format_frames`] prints one pc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameFormat {
    /// Print every inlined frame (innermost first), not only the innermost position.
    pub inlines: bool,
    /// One JSON object per pc instead of text.
    pub json: bool,
    /// Text only: print the pc on its own line before its frames (like `addr2line -a`).
    pub addresses: bool,
}

/// A borrowed frame: what the formatter needs, without owning the strings (the pclntab
/// path formats straight from the table bytes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrameRef<'a> {
    pub(crate) function: &'a str,
    pub(crate) file: &'a str,
    pub(crate) line: u32,
    pub(crate) inlined: bool,
}

impl<'a> From<&'a Frame> for FrameRef<'a> {
    fn from(f: &'a Frame) -> Self {
        FrameRef {
            function: &f.function,
            file: &f.file,
            line: f.line,
            inlined: f.inlined,
        }
    }
}

/// Append the lines for `pc` to `out`.
///
/// Text, without `inlines`: `FUNCTION` then `FILE:LINE`, where FUNCTION is the physical
/// (outermost) function and FILE:LINE the innermost position — what `go tool addr2line`
/// prints. With `inlines`: one `FUNCTION` / `FILE:LINE` pair per frame, innermost first,
/// inlined frames marked ` (inlined)`. Unknown pcs print `??` and `??:0`.
/// JSON: `{"address":"0x..","frames":[{"function":..,"file":..,"line":..,"inlined":..}]}`.
pub fn format_frames(pc: u64, frames: &[Frame], fmt: FrameFormat, out: &mut Vec<String>) {
    let refs: Vec<FrameRef<'_>> = frames.iter().map(FrameRef::from).collect();
    let mut s = String::new();
    write_frames(pc, &refs, fmt, &mut s);
    out.extend(s.lines().map(str::to_string));
}

/// [`format_frames`] into one string, every line ended by `\n`.
pub(crate) fn write_frames(pc: u64, frames: &[FrameRef<'_>], fmt: FrameFormat, out: &mut String) {
    if fmt.json {
        let _ = write!(out, "{{\"address\":\"{pc:#x}\",\"frames\":[");
        for (i, f) in frames.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"function\":");
            crate::text::push_json_str(out, f.function);
            out.push_str(",\"file\":");
            crate::text::push_json_str(out, f.file);
            let _ = write!(out, ",\"line\":{},\"inlined\":{}}}", f.line, f.inlined);
        }
        out.push_str("]}\n");
        return;
    }
    if fmt.addresses {
        let _ = writeln!(out, "{pc:#x}");
    }
    if fmt.inlines {
        if frames.is_empty() {
            out.push_str("??\n??:0\n");
        }
        for f in frames {
            out.push_str(&escape(f.function));
            if f.inlined {
                out.push_str(" (inlined)");
            }
            out.push('\n');
            write_pos(out, f.file, f.line);
        }
    } else if let (Some(outer), Some(inner)) = (frames.last(), frames.first()) {
        write_text(out, outer.function, inner.file, inner.line);
    } else {
        out.push_str("??\n??:0\n");
    }
}

/// The two text lines of one pc without inlines: `FUNCTION` and `FILE:LINE`.
pub(crate) fn write_text(out: &mut String, function: &str, file: &str, line: u32) {
    out.push_str(&escape(function));
    out.push('\n');
    write_pos(out, file, line);
}

fn write_pos(out: &mut String, file: &str, line: u32) {
    if file.is_empty() {
        out.push_str("??:0\n");
    } else {
        out.push_str(&escape(file));
        out.push(':');
        out.push_str(decimal(line.into(), &mut [0u8; 20]));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr(function: &str, line: u32, inlined: bool) -> Frame {
        Frame {
            function: function.into(),
            file: "/a \"b\".go".into(),
            line,
            inlined,
        }
    }

    #[test]
    fn text_uses_outer_name_and_inner_position() {
        let frames = [fr("main.add", 7, true), fr("main.main", 20, false)];
        let mut out = Vec::new();
        format_frames(0x10, &frames, FrameFormat::default(), &mut out);
        assert_eq!(out, ["main.main", "/a \"b\".go:7"]);
    }

    #[test]
    fn positions_and_unknown_pcs() {
        let mut out = String::new();
        write_pos(&mut out, "f.go", 0);
        write_pos(&mut out, "f.go", u32::MAX);
        write_pos(&mut out, "", 9);
        assert_eq!(out, "f.go:0\nf.go:4294967295\n??:0\n");
        let mut out = Vec::new();
        let fmt = FrameFormat {
            inlines: true,
            addresses: true,
            ..Default::default()
        };
        format_frames(0x10, &[], fmt, &mut out);
        assert_eq!(out, ["0x10", "??", "??:0"]);
        let frames = [fr("main.add", 7, true), fr("main.main", 20, false)];
        let mut out = Vec::new();
        format_frames(0x10, &frames, fmt, &mut out);
        assert_eq!(
            out,
            [
                "0x10",
                "main.add (inlined)",
                "/a \"b\".go:7",
                "main.main",
                "/a \"b\".go:20"
            ]
        );
    }

    #[test]
    fn json_escapes() {
        let mut out = Vec::new();
        let fmt = FrameFormat {
            json: true,
            ..Default::default()
        };
        format_frames(0x10, &[fr("x", 1, false)], fmt, &mut out);
        assert_eq!(
            out,
            [
                r#"{"address":"0x10","frames":[{"function":"x","file":"/a \"b\".go","line":1,"inlined":false}]}"#
            ]
        );
    }
}
