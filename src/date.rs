//! Calendar dates and UTC timestamps without a date-time crate: suppression
//! expiry (`until=2025-06-30`) needs today's date, and the GitLab report
//! needs `yyyy-mm-ddThh:mm:ss`. Both are the proleptic Gregorian calendar in
//! UTC, which a few lines of arithmetic give exactly.

use std::time::{SystemTime, UNIX_EPOCH};

/// A calendar day. Orders chronologically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, rejecting days that do not exist (`2025-02-30`).
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| {
            bytes[range.clone()]
                .iter()
                .all(u8::is_ascii_digit)
                .then(|| text[range].parse::<u32>().ok())
                .flatten()
        };
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let date = Date {
            year: year as i32,
            month,
            day,
        };
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(date.year, month))
            .then_some(date)
    }

    /// Today in UTC.
    pub fn today() -> Date {
        Timestamp::of(SystemTime::now()).date
    }

    fn from_days(days: i64) -> Date {
        // Howard Hinnant's civil_from_days: days since 1970-01-01 to a date.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A UTC time to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    pub date: Date,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Timestamp {
    pub fn of(time: SystemTime) -> Timestamp {
        let secs = match time.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        };
        let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        Timestamp {
            date: Date::from_days(days),
            hour: (rest / 3600) as u32,
            minute: (rest % 3600 / 60) as u32,
            second: (rest % 60) as u32,
        }
    }

    /// `yyyy-mm-ddThh:mm:ss`, the form GitLab's report schema asks for.
    pub fn iso8601(&self) -> String {
        format!(
            "{}T{:02}:{:02}:{:02}",
            self.date, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn parses_real_days_only() {
        assert_eq!(
            Date::parse("2024-02-29"),
            Some(Date {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "24-01-01",
            "2024-01-00",
            "2024/01/01",
            "2024-01-3x",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert!(Date::parse("2024-01-31") < Date::parse("2024-02-01"));
    }

    #[test]
    fn timestamps_are_utc_calendar_times() {
        assert_eq!(Timestamp::of(UNIX_EPOCH).iso8601(), "1970-01-01T00:00:00");
        // 2000-03-01T12:34:56Z, past a leap day of a year divisible by 400.
        let t = UNIX_EPOCH + Duration::from_secs(951_914_096);
        assert_eq!(Timestamp::of(t).iso8601(), "2000-03-01T12:34:56");
        let t = UNIX_EPOCH + Duration::from_secs(1_735_689_599);
        assert_eq!(Timestamp::of(t).iso8601(), "2024-12-31T23:59:59");
    }
}
