//! Output formats of `wslgo symbolize`: addr2line-style text and JSON lines.

use std::fmt::Write as _;

use super::Frame;

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

/// Append the lines for `pc` to `out`.
///
/// Text, without `inlines`: `FUNCTION` then `FILE:LINE`, where FUNCTION is the physical
/// (outermost) function and FILE:LINE the innermost position — what `go tool addr2line`
/// prints. With `inlines`: one `FUNCTION` / `FILE:LINE` pair per frame, innermost first,
/// inlined frames marked ` (inlined)`. Unknown pcs print `??` and `??:0`.
/// JSON: `{"address":"0x..","frames":[{"function":..,"file":..,"line":..,"inlined":..}]}`.
pub fn format_frames(pc: u64, frames: &[Frame], fmt: FrameFormat, out: &mut Vec<String>) {
    if fmt.json {
        let mut s = format!("{{\"address\":\"{pc:#x}\",\"frames\":[");
        for (i, f) in frames.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str("{\"function\":");
            json_str(&mut s, &f.function);
            s.push_str(",\"file\":");
            json_str(&mut s, &f.file);
            let _ = write!(s, ",\"line\":{},\"inlined\":{}}}", f.line, f.inlined);
        }
        s.push_str("]}");
        out.push(s);
        return;
    }
    if fmt.addresses {
        out.push(format!("{pc:#x}"));
    }
    if frames.is_empty() {
        out.push("??".into());
        out.push("??:0".into());
        return;
    }
    let pos = |f: &Frame| {
        if f.file.is_empty() {
            "??:0".to_string()
        } else {
            format!("{}:{}", f.file, f.line)
        }
    };
    if fmt.inlines {
        for f in frames {
            let mark = if f.inlined { " (inlined)" } else { "" };
            out.push(format!("{}{mark}", f.function));
            out.push(pos(f));
        }
    } else if let (Some(outer), Some(inner)) = (frames.last(), frames.first()) {
        out.push(outer.function.clone());
        out.push(pos(inner));
    }
}

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
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
