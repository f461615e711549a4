//! The pprof goroutine profile of a [`Snapshot`]: its user goroutines as the gzipped
//! profile.proto `runtime/pprof` writes (debug=0), one sample per distinct (stack, labels).

use crate::pprof::goroutines::{samples, ExtraLabels};
use crate::pprof::{write_count_profile, CountProfile, Mapping};
use crate::runtime::target::{Snapshot, Target};
use crate::runtime::{GoRuntime, Goroutine};

/// The executable's text mapping (the PT_LOAD holding the Go text), relocated by `bias`.
fn mapping(rt: &GoRuntime, bias: u64) -> Vec<Mapping> {
    let bin = rt.binary();
    let text = rt.pclntab().text_start();
    let Some(seg) = bin
        .segments()
        .iter()
        .find(|s| s.addr <= text && text < s.addr.saturating_add(s.size))
    else {
        return Vec::new();
    };
    vec![Mapping {
        start: seg.addr.wrapping_add(bias),
        limit: seg.addr.wrapping_add(seg.size).wrapping_add(bias),
        offset: seg.file_range.0,
        file: bin
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        build_id: bin.build_id_hex().unwrap_or_default(),
    }]
}

/// The gzipped goroutineleak profile (sample type `goroutineleak`/`count`, as Go 1.26+'s
/// `pprof.Lookup("goroutineleak")` writes it) of the goroutines `leaked` of `snap`.
pub fn goroutineleak_profile(
    target: &Target,
    snap: &Snapshot,
    leaked: &[u64],
    time_nanos: i64,
) -> Vec<u8> {
    let set: std::collections::HashSet<u64> = leaked.iter().copied().collect();
    count_profile(
        target,
        snap.gs.iter().filter(|g| set.contains(&g.goid.0)),
        "goroutineleak",
        time_nanos,
        ExtraLabels::default(),
    )
}

/// The gzipped goroutine profile of `snap` (an enumeration of `target` with whole stacks),
/// stamped `time_nanos`, with wslgo's `extra` labels.
pub fn goroutine_profile(
    target: &Target,
    snap: &Snapshot,
    time_nanos: i64,
    extra: ExtraLabels,
) -> Vec<u8> {
    count_profile(target, snap.gs.iter(), "goroutine", time_nanos, extra)
}

/// The gzipped count profile named `name` (its sample type, e.g. `goroutine` or
/// `goroutineleak`) of the user goroutines among `gs` (read from `target` with whole
/// stacks), stamped `time_nanos`.
pub fn count_profile<'a>(
    target: &Target,
    gs: impl Iterator<Item = &'a Goroutine>,
    name: &str,
    time_nanos: i64,
    extra: ExtraLabels,
) -> Vec<u8> {
    let rt = target.runtime();
    let profile = CountProfile {
        name: name.into(),
        samples: samples(gs, rt.pclntab(), extra),
        mappings: mapping(rt, target.bias()),
        time_nanos,
    };
    write_count_profile(&profile)
}
