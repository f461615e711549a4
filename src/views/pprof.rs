//! The pprof goroutine profile of a [`Snapshot`]: its user goroutines as the gzipped
//! profile.proto `runtime/pprof` writes (debug=0), one sample per distinct (stack, labels).

use crate::pprof::{goroutines::samples, write_count_profile, CountProfile, Mapping};
use crate::runtime::target::{Snapshot, Target};
use crate::runtime::GoRuntime;

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
    let rt = target.runtime();
    let set: std::collections::HashSet<u64> = leaked.iter().copied().collect();
    let profile = CountProfile {
        name: "goroutineleak".into(),
        samples: samples(
            snap.gs.iter().filter(|g| set.contains(&g.goid)),
            rt.pclntab(),
        ),
        mappings: mapping(rt, target.bias()),
        time_nanos,
    };
    write_count_profile(&profile)
}

/// The gzipped goroutine profile of `snap` (an enumeration of `target` with whole stacks),
/// stamped `time_nanos`.
pub fn goroutine_profile(target: &Target, snap: &Snapshot, time_nanos: i64) -> Vec<u8> {
    let rt = target.runtime();
    let profile = CountProfile {
        name: "goroutine".into(),
        samples: samples(snap.gs.iter(), rt.pclntab()),
        mappings: mapping(rt, target.bias()),
        time_nanos,
    };
    write_count_profile(&profile)
}
