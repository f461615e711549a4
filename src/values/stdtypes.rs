//! Standard-library types printed in words, from their raw words: time.Duration, time.Time
//! (time/time.go's wall/ext encoding), sync.Mutex and sync.RWMutex (sync/mutex.go,
//! sync/rwmutex.go state bits). The gdb printers read the fields; the meaning lives here.

/// time.Time: `wall` holds the hasMonotonic flag in its top bit.
pub const TIME_HAS_MONOTONIC: u64 = 1 << 63;
/// time.Time: the low bits of `wall` hold the nanoseconds.
pub const TIME_NSEC_BITS: u32 = 30;
/// Seconds from year 1 to 1885 (the epoch of `wall`'s 33-bit seconds with hasMonotonic).
pub const TIME_WALL_TO_INTERNAL: i64 = 59_453_308_800;
/// Seconds from year 1 to 1970 (`ext` without hasMonotonic counts from year 1).
pub const TIME_UNIX_TO_INTERNAL: i64 = 62_135_596_800;
/// sync.Mutex state: locked, woken, starving bits and the waiter count above them.
pub const MUTEX_LOCKED: i64 = 1;
/// `mutexWoken`.
pub const MUTEX_WOKEN: i64 = 2;
/// `mutexStarving`.
pub const MUTEX_STARVING: i64 = 4;
/// `mutexWaiterShift`.
pub const MUTEX_WAITER_SHIFT: u32 = 3;
/// sync.RWMutex: a writer subtracts this from readerCount (`rwmutexMaxReaders`).
pub const RW_MAX_READERS: i64 = 1 << 30;

/// time.Duration.String(): `1.5s`, `2m0s`, `150ms`, `0s`.
pub fn duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let sign = if ns < 0 { "-" } else { "" };
    let u = ns.unsigned_abs();
    if u < 1_000_000_000 {
        for (unit, scale) in [("ms", 1_000_000u64), ("µs", 1_000), ("ns", 1)] {
            if u >= scale {
                return format!("{sign}{}{unit}", frac(u, scale));
            }
        }
    }
    let h = u / 3_600_000_000_000;
    let rem = u % 3_600_000_000_000;
    let m = rem / 60_000_000_000;
    let rem = rem % 60_000_000_000;
    let hm = match (h, m) {
        (0, 0) => String::new(),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h{m}m"),
    };
    format!("{sign}{hm}{}s", frac(rem, 1_000_000_000))
}

/// `v / scale` with its fraction, trailing zeros dropped (`1.5`, `2`).
fn frac(v: u64, scale: u64) -> String {
    let (whole, part) = (v / scale, v % scale);
    if part == 0 {
        return whole.to_string();
    }
    let digits = scale.ilog10() as usize;
    let f = format!("{part:0digits$}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

/// Seconds since 1970 of a time.Time's `wall` and `ext` words.
pub fn time_unix_seconds(wall: u64, ext: i64) -> i64 {
    let sec = if wall & TIME_HAS_MONOTONIC != 0 {
        TIME_WALL_TO_INTERNAL + ((wall << 1) >> (TIME_NSEC_BITS + 1)) as i64
    } else {
        ext
    };
    sec.wrapping_sub(TIME_UNIX_TO_INTERNAL)
}

/// time.Time.String() without the monotonic suffix, at `offset` seconds east of UTC in the
/// zone named `zone`: `2024-02-29 13:04:05.123 +0000 UTC`.
pub fn time_string(wall: u64, ext: i64, offset: i64, zone: &str) -> String {
    let nsec = wall & ((1 << TIME_NSEC_BITS) - 1);
    let local = i128::from(time_unix_seconds(wall, ext)) + i128::from(offset);
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, mo, d) = civil(days);
    let year = if y < 0 {
        format!("-{:04}", -y)
    } else {
        format!("{y:04}")
    };
    let fraction = if nsec == 0 {
        String::new()
    } else {
        format!(".{nsec:09}").trim_end_matches('0').to_string()
    };
    let sign = if offset >= 0 { '+' } else { '-' };
    let mins = offset.unsigned_abs() / 60;
    format!(
        "{year}-{mo:02}-{d:02} {:02}:{:02}:{:02}{fraction} {sign}{:02}{:02} {zone}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        mins / 60,
        mins % 60,
    )
}

/// The `m=±S.NNNNNNNNN` suffix time.Time.String() adds for a monotonic clock reading (the
/// `ext` word, nanoseconds since the process started), or None without one.
pub fn time_monotonic(wall: u64, ext: i64) -> Option<String> {
    if wall & TIME_HAS_MONOTONIC == 0 {
        return None;
    }
    let sign = if ext < 0 { '-' } else { '+' };
    let m = ext.unsigned_abs();
    Some(format!(
        "m={sign}{}.{:09}",
        m / 1_000_000_000,
        m % 1_000_000_000
    ))
}

#[cfg(test)]
#[test]
fn monotonic_suffix_as_go_prints_it() {
    let mono = TIME_HAS_MONOTONIC;
    assert_eq!(
        time_monotonic(mono, 39_304).as_deref(),
        Some("m=+0.000039304")
    );
    assert_eq!(
        time_monotonic(mono, -1_500_000_000).as_deref(),
        Some("m=-1.500000000")
    );
    assert_eq!(
        time_monotonic(mono, 12_345_000_000_001).as_deref(),
        Some("m=+12345.000000001")
    );
    assert_eq!(time_monotonic(0, 5), None);
}

/// (year, month, day) of a day count from 1970-01-01 (proleptic Gregorian calendar).
fn civil(days: i128) -> (i128, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i128::from(m <= 2);
    (y, m, d)
}

/// A sync.Mutex state word in words: `sync.Mutex locked, 2 waiters, starving`.
pub fn mutex_string(state: i64) -> String {
    format!("sync.Mutex {}", mutex_words(state))
}

fn mutex_words(state: i64) -> String {
    let mut parts = vec![if state & MUTEX_LOCKED != 0 {
        "locked".to_string()
    } else {
        "unlocked".to_string()
    }];
    let waiters = state >> MUTEX_WAITER_SHIFT;
    if waiters != 0 {
        parts.push(format!("{waiters} {}", plural(waiters, "waiter")));
    }
    if state & MUTEX_STARVING != 0 {
        parts.push("starving".into());
    }
    if state & MUTEX_WOKEN != 0 {
        parts.push("woken".into());
    }
    parts.join(", ")
}

fn plural(n: i64, word: &str) -> String {
    if n == 1 {
        word.into()
    } else {
        format!("{word}s")
    }
}

/// A sync.RWMutex from its readerCount and its writer mutex's state word:
/// `sync.RWMutex read-locked by 2 readers`, `sync.RWMutex write-locked`.
pub fn rwmutex_string(reader_count: i64, writer_state: i64) -> String {
    if reader_count < 0 {
        let readers = reader_count + RW_MAX_READERS;
        if readers != 0 {
            return format!(
                "sync.RWMutex write-locked (writer waiting for {readers} {})",
                plural(readers, "reader")
            );
        }
        return "sync.RWMutex write-locked".into();
    }
    if reader_count != 0 {
        return format!(
            "sync.RWMutex read-locked by {reader_count} {}",
            plural(reader_count, "reader")
        );
    }
    if writer_state & MUTEX_LOCKED != 0 {
        "sync.RWMutex unlocked (writer lock held)".into()
    } else {
        "sync.RWMutex unlocked".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_prints_them() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(1_500_000_000), "1.5s");
        assert_eq!(duration(120_000_000_000), "2m0s");
        assert_eq!(duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(duration(150_000_000), "150ms");
        assert_eq!(duration(1_500), "1.5µs");
        assert_eq!(duration(-7), "-7ns");
        assert_eq!(duration(i64::MIN), "-2562047h47m16.854775808s");
    }

    #[test]
    fn times_read_as_go_prints_them() {
        // 2024-02-29 13:04:05.123 UTC, without a monotonic reading (ext = seconds since year 1)
        let ext = 1_709_211_845 + TIME_UNIX_TO_INTERNAL;
        assert_eq!(
            time_string(123_000_000, ext, 0, "UTC"),
            "2024-02-29 13:04:05.123 +0000 UTC"
        );
        assert_eq!(
            time_string(0, ext, -5 * 3600, "EST"),
            "2024-02-29 08:04:05 -0500 EST"
        );
        // with hasMonotonic: 33 bits of seconds since 1885 above the nanoseconds
        let since1885 = (1_709_211_845 + TIME_UNIX_TO_INTERNAL - TIME_WALL_TO_INTERNAL) as u64;
        let wall = TIME_HAS_MONOTONIC | since1885 << TIME_NSEC_BITS | 5;
        assert_eq!(
            time_string(wall, 12345, 0, "UTC"),
            "2024-02-29 13:04:05.000000005 +0000 UTC"
        );
        // the zero Time
        assert_eq!(time_string(0, 0, 0, "UTC"), "0001-01-01 00:00:00 +0000 UTC");
    }

    #[test]
    fn mutexes_in_words() {
        assert_eq!(mutex_string(0), "sync.Mutex unlocked");
        assert_eq!(
            mutex_string(MUTEX_LOCKED | MUTEX_STARVING | 2 << MUTEX_WAITER_SHIFT),
            "sync.Mutex locked, 2 waiters, starving"
        );
        assert_eq!(
            rwmutex_string(2, 0),
            "sync.RWMutex read-locked by 2 readers"
        );
        assert_eq!(
            rwmutex_string(-RW_MAX_READERS, 1),
            "sync.RWMutex write-locked"
        );
        assert_eq!(
            rwmutex_string(1 - RW_MAX_READERS, 1),
            "sync.RWMutex write-locked (writer waiting for 1 reader)"
        );
        assert_eq!(
            rwmutex_string(0, 1),
            "sync.RWMutex unlocked (writer lock held)"
        );
    }
}
