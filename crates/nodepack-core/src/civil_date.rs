//! Dates of the proleptic Gregorian calendar and their day numbers since the Unix epoch, for
//! cron budget schedules and for anything that prints or reads a timestamp.
//!
//! The conversions count in 400-year cycles of 146,097 days whose years start in March, so that
//! the leap day ends a year (the method of Howard Hinnant's `civil_from_days`).

/// A calendar date (UTC, proleptic Gregorian).
///
/// ```
/// use nodepack_core::CivilDate;
/// let d = CivilDate::from_days(19_782);
/// assert_eq!(d, CivilDate { year: 2024, month: 2, day: 29 });
/// assert_eq!(d.days(), 19_782);
/// assert_eq!(CivilDate { year: 1970, month: 1, day: 1 }.days(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    /// The year (may be zero or negative).
    pub year: i64,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, 1 to 31.
    pub day: u32,
}

impl CivilDate {
    /// The date `days` days after 1970-01-01 (before it when negative).
    pub fn from_days(days: i64) -> CivilDate {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        CivilDate { year, month, day }
    }

    /// Days from 1970-01-01 to this date (negative before it).
    pub fn days(&self) -> i64 {
        let y = if self.month <= 2 { self.year - 1 } else { self.year };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_over_forty_centuries() {
        for days in (-800_000..800_000).step_by(7) {
            let d = CivilDate::from_days(days);
            assert!((1..=12).contains(&d.month) && (1..=31).contains(&d.day), "{d:?}");
            assert_eq!(d.days(), days, "{d:?}");
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(CivilDate::from_days(0), CivilDate { year: 1970, month: 1, day: 1 });
        assert_eq!(CivilDate::from_days(-1), CivilDate { year: 1969, month: 12, day: 31 });
        assert_eq!(CivilDate { year: 2000, month: 3, day: 1 }.days(), 11_017);
        assert_eq!(CivilDate { year: 2024, month: 1, day: 1 }.days() * 86_400, 1_704_067_200);
        let leap = CivilDate { year: 2000, month: 2, day: 29 };
        assert_eq!(CivilDate::from_days(leap.days()), leap);
        assert_eq!(
            CivilDate { year: 2100, month: 3, day: 1 }.days() - CivilDate { year: 2100, month: 2, day: 28 }.days(),
            1
        );
    }
}
