//! `info()`'s hints say what was removed from a binary and how that is known: the linker's
//! `-ldflags=-w` / `-s` (the build settings say so) or a tool run after the build (objcopy,
//! strip), which the build settings cannot know about; a `.gnu_debuglink` names where the
//! debug info went. Real binaries: the dwsyms fixture, objcopy'd and stripped here.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{fixture, versions};
use wslgo::symbols::Symbols;

fn hints(path: &Path) -> Vec<String> {
    Symbols::open(path).expect("open").info().hints
}

fn run(tool: &str, args: &[&str]) {
    let st = Command::new(tool).args(args).status().expect("run tool");
    assert!(st.success(), "{tool} {args:?}");
}

#[test]
fn removed_after_the_build_is_not_ldflags() {
    let dir = std::env::temp_dir().join(format!("wslgo-removed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    for v in versions() {
        let debug = fixture("dwsyms", &v, "debug");
        let s = |name: &str| dir.join(format!("{v}-{name}")).display().to_string();
        let src = debug.display().to_string();

        run("objcopy", &["--strip-debug", &src, &s("nodebug")]);
        let h = hints(Path::new(&s("nodebug")));
        assert!(
            h.iter()
                .any(|h| h.contains("removed after the build") && h.contains("-ldflags has no -w")),
            "{h:?}"
        );
        assert!(
            !h.iter().any(|h| h.contains("built with -ldflags=-w")),
            "{h:?}"
        );

        run("objcopy", &["--only-keep-debug", &src, &s("debugfile")]);
        run(
            "objcopy",
            &[
                "--strip-debug",
                &format!("--add-gnu-debuglink={}", s("debugfile")),
                &src,
                &s("linked"),
            ],
        );
        let h = hints(Path::new(&s("linked")));
        let name = format!("{v}-debugfile");
        assert!(
            h.iter().any(|h| h.contains(&format!("kept in {name}"))),
            "{h:?}"
        );

        run("strip", &["--strip-all", &src, "-o", &s("strip")]);
        let h = hints(Path::new(&s("strip")));
        assert!(
            h.iter().any(|h| h.starts_with("stripped after the build")),
            "{h:?}"
        );

        let linker = hints(&fixture("dwsyms", &v, "stripped"));
        assert!(
            linker
                .iter()
                .any(|h| h.starts_with("stripped (-ldflags=-s)")),
            "{linker:?}"
        );
        assert!(
            linker.iter().any(|h| h.contains("built with -ldflags=-w")),
            "{linker:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
