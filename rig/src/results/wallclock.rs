//! Wall-clock dates of runs: `2026-11-21T18:30:05Z` (UTC, whole seconds) to and from
//! Unix seconds. Hand-written (Howard Hinnant's civil-date algorithms, a dozen lines)
//! rather than a date crate: the database needs only this one format.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix seconds.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `2026-11-21T18:30:05Z`.
pub fn iso(unix: i64) -> String {
    let (days, rem) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// `2026-11-21`, `2026-11-21T18:30`, `2026-11-21T18:30:05Z` or `2026-11-21 18:30:05`
/// (all UTC), or a run folder's name `2026-11-21T18-30-05Z`, to Unix seconds.
pub fn parse(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches('Z');
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut ymd = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut seconds = 0;
    if let Some(time) = time {
        let parts: Vec<i64> = time
            .split([':', '-'])
            .map(|p| p.parse::<i64>().ok())
            .collect::<Option<_>>()?;
        let (h, min, s) = match parts[..] {
            [h, min] => (h, min, 0),
            [h, min, s] => (h, min, s),
            _ => return None,
        };
        if h > 23 || min > 59 || s > 60 || h < 0 || min < 0 || s < 0 {
            return None;
        }
        seconds = h * 3600 + min * 60 + s;
    }
    Some(days_from_civil(y, m, d) * 86_400 + seconds)
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_763_749_805), "2025-11-21T18:30:05Z");
        for t in [0, 951_782_400, 1_763_749_805, 4_102_444_799] {
            assert_eq!(parse(&iso(t)), Some(t));
        }
    }

    #[test]
    fn the_accepted_forms() {
        assert_eq!(parse("2025-11-21"), Some(1_763_683_200));
        assert_eq!(parse("2025-11-21 18:30"), Some(1_763_749_800));
        assert_eq!(parse("2025-11-21T18-30-05Z"), Some(1_763_749_805));
        for bad in ["", "yesterday", "2025-13-01", "2025-11-21T25:00", "2025-11"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
