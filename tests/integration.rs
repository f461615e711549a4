//! Every integration test in one binary: the crate is linked once instead of once per
//! file, and `tests/common`'s answers (fixture paths, toolchains, `go tool` runs) are
//! shared by all of them. `cargo test --test integration symbols::` runs one file.

mod common;
mod dwarf;
mod goroot_constants;
mod goroutines_fake;
mod goroutines_layout;
mod layers;
mod leaks_core;
mod leaks_layout;
mod locate;
mod pclntab;
mod pclntab_cross;
mod pclntab_noheaders;
mod pclntab_regressions;
mod removed;
mod symbols;
mod values;
mod waits_core;
mod waits_layout;
