//! What was removed from a binary and how that is known: the linker's `-ldflags=-w` / `-s`
//! (the build settings in `.go.buildinfo` say so), or a tool run after the build (`strip`,
//! `objcopy --strip-debug`, `objcopy --only-keep-debug` + `--add-gnu-debuglink`), which the
//! build settings cannot know about.

use crate::binary::Binary;

/// Whether `flag` (`-w`, `-s`) is one of the words of an `-ldflags` build setting.
fn ldflag(ldflags: &str, flag: &str) -> bool {
    ldflags
        .split(|c: char| c.is_whitespace() || c == '\'' || c == '"')
        .any(|w| w == flag)
}

/// The hint for a binary without DWARF: which of the two ways removed it.
pub(super) fn no_dwarf_hint(bin: &Binary, ldflags: Option<&str>) -> String {
    if ldflags.is_some_and(|f| ldflag(f, "-w")) {
        return "built with -ldflags=-w: no DWARF, locals and types unavailable; rebuild without -w"
            .into();
    }
    let link = debuglink(bin);
    let how = match (ldflags, &link) {
        (_, Some(file)) => format!(
            "removed after the build and kept in {file} (.gnu_debuglink: objcopy --only-keep-debug / --add-gnu-debuglink)"
        ),
        (Some(_), None) => {
            "removed after the build (strip or objcopy: the build settings' -ldflags has no -w)"
                .into()
        }
        (None, None) => "not in the file (no build settings say how it was removed)".into(),
    };
    format!("no DWARF: the .debug_* sections were {how}; locals and types unavailable")
}

/// The hint's cause for a binary without `.symtab`.
pub(super) fn no_symtab_cause(ldflags: Option<&str>) -> &'static str {
    if ldflags.is_some_and(|f| ldflag(f, "-s")) {
        "stripped (-ldflags=-s)"
    } else if ldflags.is_some() {
        "stripped after the build (strip or objcopy: the build settings' -ldflags has no -s)"
    } else {
        "stripped"
    }
}

/// The file `.gnu_debuglink` names (where the removed DWARF went), if any.
fn debuglink(bin: &Binary) -> Option<String> {
    let raw = bin.section_raw(".gnu_debuglink")?;
    let end = raw.iter().position(|b| *b == 0)?;
    let name = std::str::from_utf8(raw.get(..end)?).ok()?;
    (!name.is_empty()).then(|| crate::text::escape(name).into_owned())
}

#[cfg(test)]
mod tests {
    use super::ldflag;

    #[test]
    fn ldflags_words() {
        assert!(ldflag("-s -w", "-w"));
        assert!(ldflag("\"-s -w\"", "-s"));
        assert!(ldflag("-X main.v=1 -w", "-w"));
        assert!(!ldflag("-X main.w=-w2", "-w"));
        assert!(!ldflag("", "-s"));
    }
}
