//! Go build info, as the linker writes it into `.go.buildinfo` (Go 1.18+ inline format).
//!
//! Layout: 14-byte magic `\xff Go buildinf:`, pointer size, flags (bit 1: inline strings),
//! padding to 32 bytes, then two uvarint-length-prefixed strings: the Go version and the
//! module info text (framed by 16 sentinel bytes on each side).

use crate::error::{Error, Result};

/// The magic that starts `.go.buildinfo`.
pub(super) const MAGIC: &[u8] = b"\xff Go buildinf:";

/// Parsed Go build information.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// Go version, e.g. `go1.24.11`.
    pub go_version: String,
    /// Main package path (`path` line), e.g. `command-line-arguments`.
    pub path: String,
    /// Main module path and version (`mod` line), if any.
    pub main_module: Option<(String, String)>,
    /// Build settings (`build` lines) in order: `-gcflags`, `-ldflags`, `CGO_ENABLED`, ...
    pub settings: Vec<(String, String)>,
}

impl BuildInfo {
    /// Parse from the bytes starting at the magic.
    pub fn parse(raw: &[u8]) -> Result<Self> {
        let bad = |d: &str| Error::corrupt("build info", d.to_string());
        if raw.len() < 32 || !raw.starts_with(MAGIC) {
            return Err(bad("missing magic"));
        }
        let flags = raw[15];
        if flags & 2 == 0 {
            return Err(Error::Unsupported(
                "build info from Go before 1.18 (pointer format)".into(),
            ));
        }
        let mut rest = &raw[32..];
        let version = read_str(&mut rest).ok_or_else(|| bad("truncated version string"))?;
        let modinfo = read_str(&mut rest).ok_or_else(|| bad("truncated module info"))?;
        let modinfo = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
            &modinfo[16..modinfo.len() - 16]
        } else {
            modinfo
        };
        let mut info = BuildInfo {
            go_version: String::from_utf8_lossy(version).into_owned(),
            ..Default::default()
        };
        for line in String::from_utf8_lossy(modinfo).lines() {
            let mut parts = line.splitn(2, '\t');
            let (kind, rest) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            match kind {
                "path" => info.path = rest.to_string(),
                "mod" => {
                    let mut f = rest.split('\t');
                    let m = f.next().unwrap_or("").to_string();
                    let v = f.next().unwrap_or("").to_string();
                    info.main_module = Some((m, v));
                }
                "build" => {
                    if let Some(kv) = build_setting(rest) {
                        info.settings.push(kv);
                    }
                }
                _ => {}
            }
        }
        Ok(info)
    }

    /// Value of a build setting (`-gcflags`, `-ldflags`, `CGO_ENABLED`, `GOARCH`, ...).
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// (major, minor, patch) of the Go version, e.g. (1, 24, 11); `None` for devel builds.
    pub fn version_tuple(&self) -> Option<(u32, u32, u32)> {
        parse_go_version(&self.go_version)
    }
}

/// One `build` line's key and value as `debug/buildinfo` reads them: the linker quotes a
/// key or value holding spaces, tabs, quotes or `=` (`-gcflags="all=-N -l"`), so a quoted
/// one is unquoted; `None` for a line Go would reject (no key, a bad quote).
fn build_setting(kv: &str) -> Option<(String, String)> {
    let (key, raw) = if kv.starts_with(['"', '`']) {
        let end = quoted_len(kv)?;
        (unquote(&kv[..end])?, kv[end..].strip_prefix('=')?)
    } else {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k.to_string(), v)
    };
    if key.is_empty() {
        return None;
    }
    let value = if raw.starts_with(['"', '`']) {
        unquote(raw)?
    } else {
        raw.to_string()
    };
    Some((key, value))
}

/// The length of the Go string literal `s` starts with (`strconv.QuotedPrefix`).
fn quoted_len(s: &str) -> Option<usize> {
    let q = s.chars().next()?;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        if q == '"' && escaped {
            escaped = false;
        } else if q == '"' && c == '\\' {
            escaped = true;
        } else if c == q {
            return Some(i + 1);
        }
    }
    None
}

/// A whole Go string literal (`"..."` with Go's escapes, or `` `...` ``) as its text
/// (`strconv.Unquote`); `None` if it is not one.
fn unquote(s: &str) -> Option<String> {
    if let Some(raw) = s.strip_prefix('`') {
        return raw
            .strip_suffix('`')
            .filter(|r| !r.contains('`'))
            .map(str::to_string);
    }
    let body = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(body.len());
    let mut it = body.chars();
    while let Some(c) = it.next() {
        if c == '"' || c == '\n' {
            return None;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let hex = |it: &mut std::str::Chars<'_>, n: usize| -> Option<u32> {
            let digits: String = it.by_ref().take(n).collect();
            (digits.len() == n).then(|| u32::from_str_radix(&digits, 16).ok())?
        };
        match it.next()? {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => out.push('\''),
            'x' => out.push(char::from_u32(hex(&mut it, 2)?)?),
            'u' => out.push(char::from_u32(hex(&mut it, 4)?)?),
            'U' => out.push(char::from_u32(hex(&mut it, 8)?)?),
            d @ '0'..='7' => {
                let rest: String = it.by_ref().take(2).collect();
                let v = u32::from_str_radix(&format!("{d}{rest}"), 8).ok()?;
                out.push(char::from_u32(v).filter(|_| rest.len() == 2 && v < 256)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Parse `go1.24.11`, `go1.21`, `go1.26rc1`, `go1.22.3 X:nocoverageredesign` into a tuple.
pub(super) fn parse_go_version(v: &str) -> Option<(u32, u32, u32)> {
    let v = v.strip_prefix("go")?;
    let v = v.split([' ', '-', '+']).next()?;
    let mut it = v.split('.');
    let major = it.next()?.parse().ok()?;
    let minor_s = it.next()?;
    let minor_digits: String = minor_s.chars().take_while(|c| c.is_ascii_digit()).collect();
    let minor = minor_digits.parse().ok()?;
    let patch = it
        .next()
        .and_then(|p| {
            p.chars()
                .take_while(|c| c.is_ascii_digit())
                .collect::<String>()
                .parse()
                .ok()
        })
        .unwrap_or(0);
    Some((major, minor, patch))
}

fn read_str<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let mut n: u64 = 0;
    let mut shift = 0;
    let mut i = 0;
    loop {
        let b = *buf.get(i)?;
        i += 1;
        n |= u64::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let n = usize::try_from(n).ok()?;
    let s = buf.get(i..i.checked_add(n)?)?;
    *buf = &buf[i + n..];
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(version: &str, modinfo: &str) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.push(8);
        v.push(2);
        v.resize(32, 0);
        for s in [version.as_bytes(), modinfo.as_bytes()] {
            v.push(s.len() as u8);
            v.extend_from_slice(s);
        }
        v
    }

    #[test]
    fn parses_version_and_settings() {
        let m = "path\tcommand-line-arguments\nbuild\t-gcflags=all=-N -l\nbuild\tCGO_ENABLED=0\n";
        let info = BuildInfo::parse(&encode("go1.24.11", m)).unwrap();
        assert_eq!(info.go_version, "go1.24.11");
        assert_eq!(info.path, "command-line-arguments");
        assert_eq!(info.setting("-gcflags"), Some("all=-N -l"));
        assert_eq!(info.setting("CGO_ENABLED"), Some("0"));
        assert_eq!(info.version_tuple(), Some((1, 24, 11)));
    }

    #[test]
    fn quoted_settings_are_unquoted_as_debug_buildinfo_does() {
        let m = "build\t-gcflags=\"all=-N -l\"\nbuild\t\"k=1\"=\"a\\tb\\x41\\u00e9\"\n\
                 build\t=nokey\nbuild\tbad=\"open\n";
        // between the linker's 16-byte sentinels, as in a binary
        let framed = format!("{}{m}{}", "0".repeat(16), "1".repeat(16));
        let info = BuildInfo::parse(&encode("go1.24.11", &framed)).unwrap();
        assert_eq!(
            info.setting("-gcflags"),
            Some("all=-N -l"),
            "{:?}",
            info.settings
        );
        assert_eq!(info.setting("k=1"), Some("a\tbA\u{e9}"));
        assert_eq!(info.settings.len(), 2, "{:?}", info.settings);
        assert_eq!(unquote("`-s -w`").as_deref(), Some("-s -w"));
        assert_eq!(unquote(r#""\101\"\\""#).as_deref(), Some("A\"\\"));
        assert_eq!(unquote(r#""\q""#), None);
    }

    #[test]
    fn truncated_is_error() {
        let b = encode("go1.24.11", "path\tx\n");
        assert!(BuildInfo::parse(&b[..34]).is_err());
        assert!(BuildInfo::parse(&b[..10]).is_err());
    }

    #[test]
    fn versions() {
        assert_eq!(parse_go_version("go1.21"), Some((1, 21, 0)));
        assert_eq!(parse_go_version("go1.26rc1"), Some((1, 26, 0)));
        assert_eq!(parse_go_version("go1.22.3 X:foo"), Some((1, 22, 3)));
        assert_eq!(parse_go_version("devel"), None);
    }
}
