//! Instants: parsing the timestamp shapes AWS logs use and writing RFC 3339,
//! without allocation and without a calendar library on the hot path.

use std::fmt;

/// An instant in UTC with nanosecond resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    nanos: i64,
}

const NANOS_PER_SEC: i64 = 1_000_000_000;

impl Timestamp {
    /// From nanoseconds since the Unix epoch.
    pub const fn from_unix_nanos(nanos: i64) -> Self {
        Timestamp { nanos }
    }

    /// From whole seconds since the Unix epoch.
    pub const fn from_unix_seconds(secs: i64) -> Self {
        Timestamp {
            nanos: secs.saturating_mul(NANOS_PER_SEC),
        }
    }

    /// From milliseconds since the Unix epoch.
    pub const fn from_unix_millis(millis: i64) -> Self {
        Timestamp {
            nanos: millis.saturating_mul(1_000_000),
        }
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn unix_nanos(self) -> i64 {
        self.nanos
    }

    /// Whole seconds since the Unix epoch (rounded down).
    pub const fn unix_seconds(self) -> i64 {
        self.nanos.div_euclid(NANOS_PER_SEC)
    }

    /// The current time.
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp::from_unix_nanos(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }

    /// From calendar fields in UTC; `None` when a field is out of range.
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        min: u32,
        sec: u32,
        nanos: u32,
    ) -> Option<Self> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 60
            || nanos >= 1_000_000_000
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec);
        Some(Timestamp::from_unix_nanos(
            secs.checked_mul(NANOS_PER_SEC)?
                .checked_add(i64::from(nanos))?,
        ))
    }

    /// Parses RFC 3339 / ISO 8601 with a `T` or space separator, optional
    /// fraction (any number of digits) and `Z`, `±hh:mm`, `±hhmm` or no zone (UTC).
    ///
    /// ```
    /// use loglift_parsers::time::Timestamp;
    /// let t = Timestamp::parse_rfc3339("2018-07-02T22:23:00.186641Z").unwrap();
    /// assert_eq!(t.to_string(), "2018-07-02T22:23:00.186641Z");
    /// ```
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 19
            || b[4] != b'-'
            || b[7] != b'-'
            || !(b[10] == b'T' || b[10] == b' ' || b[10] == b't')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let year = digits(&b[0..4])? as i64;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        let hour = digits(&b[11..13])?;
        let min = digits(&b[14..16])?;
        let sec = digits(&b[17..19])?;
        let mut rest = &b[19..];
        let mut nanos = 0u32;
        if let Some((&b'.', frac)) = rest.split_first() {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let mut scale = 100_000_000u32;
            for &d in &frac[..n.min(9)] {
                nanos += u32::from(d - b'0') * scale;
                scale /= 10;
            }
            rest = &frac[n..];
        }
        let offset_secs = parse_zone(rest)?;
        let t = Timestamp::from_civil(year, month, day, hour, min, sec, nanos)?;
        Some(Timestamp::from_unix_nanos(
            t.nanos - offset_secs * NANOS_PER_SEC,
        ))
    }

    /// Parses the Common Log Format time `06/Feb/2019:00:00:38 +0000` (S3 access logs).
    pub fn parse_clf(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 20
            || b[2] != b'/'
            || b[6] != b'/'
            || b[11] != b':'
            || b[14] != b':'
            || b[17] != b':'
        {
            return None;
        }
        let day = digits(&b[0..2])?;
        let month = month_from_abbrev(&b[3..6])?;
        let year = digits(&b[7..11])? as i64;
        let hour = digits(&b[12..14])?;
        let min = digits(&b[15..17])?;
        let sec = digits(&b[18..20])?;
        let zone = s[20..].trim_start();
        let offset = if zone.is_empty() {
            0
        } else {
            parse_zone(zone.as_bytes())?
        };
        let t = Timestamp::from_civil(year, month, day, hour, min, sec, 0)?;
        Some(Timestamp::from_unix_nanos(t.nanos - offset * NANOS_PER_SEC))
    }

    /// Writes RFC 3339 in UTC with millisecond precision, or micro/nanoseconds
    /// when the instant has them (`2015-05-10T18:01:16.000Z`).
    pub fn write_rfc3339(self, out: &mut Vec<u8>) {
        let secs = self.nanos.div_euclid(NANOS_PER_SEC);
        let nanos = self.nanos.rem_euclid(NANOS_PER_SEC) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        let mut buf = [0u8; 30];
        let year = year.clamp(0, 9999) as u32;
        put4(&mut buf[0..4], year);
        buf[4] = b'-';
        put2(&mut buf[5..7], month);
        buf[7] = b'-';
        put2(&mut buf[8..10], day);
        buf[10] = b'T';
        put2(&mut buf[11..13], sod / 3600);
        buf[13] = b':';
        put2(&mut buf[14..16], sod / 60 % 60);
        buf[16] = b':';
        put2(&mut buf[17..19], sod % 60);
        buf[19] = b'.';
        let len = if nanos % 1_000_000 == 0 {
            put_frac(&mut buf[20..23], nanos / 1_000_000);
            23
        } else if nanos % 1_000 == 0 {
            put_frac(&mut buf[20..26], nanos / 1_000);
            26
        } else {
            put_frac(&mut buf[20..29], nanos);
            29
        };
        buf[len] = b'Z';
        out.extend_from_slice(&buf[..=len]);
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(30);
        self.write_rfc3339(&mut out);
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

/// Month number (1–12) from an English three-letter abbreviation (`Feb`).
pub fn month_from_abbrev(b: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    if b.len() != 3 {
        return None;
    }
    let lower = [
        b[0].to_ascii_lowercase(),
        b[1].to_ascii_lowercase(),
        b[2].to_ascii_lowercase(),
    ];
    MONTHS
        .iter()
        .position(|m| **m == lower)
        .map(|i| i as u32 + 1)
}

fn parse_zone(rest: &[u8]) -> Option<i64> {
    match rest {
        [] | [b'Z'] | [b'z'] => Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let h = i64::from(digits(&[*h1, *h2])?);
            let m = i64::from(digits(&[*m1, *m2])?);
            let secs = h * 3600 + m * 60;
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => None,
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

fn put2(buf: &mut [u8], v: u32) {
    buf[0] = b'0' + (v / 10 % 10) as u8;
    buf[1] = b'0' + (v % 10) as u8;
}

fn put4(buf: &mut [u8], v: u32) {
    put2(&mut buf[0..2], v / 100);
    put2(&mut buf[2..4], v % 100);
}

fn put_frac(buf: &mut [u8], mut v: u32) {
    for slot in buf.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_calendar_dates() {
        for days in [-800_000, -1, 0, 1, 10_957, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn formats_with_the_precision_the_instant_has() {
        assert_eq!(
            Timestamp::from_unix_seconds(1431280876).to_string(),
            "2015-05-10T18:01:16.000Z"
        );
        assert_eq!(
            Timestamp::from_unix_nanos(1_500).to_string(),
            "1970-01-01T00:00:00.000001500Z"
        );
        assert_eq!(
            Timestamp::from_unix_millis(-1).to_string(),
            "1969-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn parses_rfc3339_variants() {
        let z = Timestamp::parse_rfc3339("2019-08-01T12:00:00Z").unwrap();
        assert_eq!(
            Timestamp::parse_rfc3339("2019-08-01T14:00:00+02:00"),
            Some(z)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2019-08-01T07:00:00-0500"),
            Some(z)
        );
        assert_eq!(Timestamp::parse_rfc3339("2019-08-01 12:00:00"), Some(z));
        assert_eq!(Timestamp::parse_rfc3339("2019-02-30T12:00:00Z"), None);
        assert_eq!(Timestamp::parse_rfc3339("2019-08-01T12:00:00.Z"), None);
        assert_eq!(Timestamp::parse_rfc3339("garbage"), None);
    }

    #[test]
    fn parses_common_log_format_time() {
        let t = Timestamp::parse_clf("06/Feb/2019:00:00:38 +0000").unwrap();
        assert_eq!(t.to_string(), "2019-02-06T00:00:38.000Z");
        let t = Timestamp::parse_clf("06/Feb/2019:02:00:38 +0200").unwrap();
        assert_eq!(t.to_string(), "2019-02-06T00:00:38.000Z");
        assert_eq!(Timestamp::parse_clf("06/Fob/2019:00:00:38 +0000"), None);
    }
}
