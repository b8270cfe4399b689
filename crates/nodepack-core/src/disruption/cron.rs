//! Cron schedules for disruption budgets: the five-field standard syntax Karpenter accepts
//! (it parses `TZ=UTC <schedule>` with `robfig/cron`'s standard parser), always in UTC.
//!
//! Fields are minute (0–59), hour (0–23), day of month (1–31), month (1–12 or `jan`–`dec`) and
//! day of week (0–6 or `sun`–`sat`, Sunday is 0; `7` is refused as robfig refuses it). Each field
//! is a comma-separated list of `*`, `?`, `N`, `A-B`, with an optional `/STEP` (`N/STEP` means
//! `N-max/STEP`). The macros `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily`
//! (`@midnight`) and `@hourly` are accepted; `@every` and time zones are not (Karpenter's
//! validation rejects them). As in robfig and classic cron, when both the day of month and the
//! day of week are restricted, a day matches if *either* does; when one of them is `*` (or `?`),
//! both must.
//!
//! Hits are whole minutes. Finding the next or last hit walks day by day (skipping whole months
//! that do not match) and picks the hour and minute from bit sets, so spans of years cost a few
//! thousand steps, never one per minute.

use std::fmt;

use crate::civil_date::CivilDate;

/// A parsed cron schedule (UTC).
///
/// ```
/// use nodepack_core::disruption::CronSchedule;
/// let weekdays_9am = CronSchedule::parse("0 9 * * mon-fri").unwrap();
/// // 2024-01-01T10:30:00Z is a Monday.
/// let t = 1_704_105_000;
/// assert_eq!(weekdays_9am.last_at_or_before(t), Some(1_704_099_600)); // 09:00 that day
/// assert!(CronSchedule::parse("0 9 * * 7").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CronSchedule {
    minutes: u64,
    hours: u32,
    days_of_month: u32,
    months: u16,
    days_of_week: u8,
    dom_star: bool,
    dow_star: bool,
}

/// Why a schedule could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cron schedule {schedule:?}: {detail}")]
pub struct CronError {
    /// The schedule as written.
    pub schedule: String,
    /// What is wrong with it.
    pub detail: String,
}

const SECONDS_PER_DAY: i64 = 86_400;
/// robfig's `Next` gives up after the fifth year following the start year.
const SEARCH_YEARS: i64 = 5;
/// How far back `last_at_or_before` looks: a satisfiable five-field schedule hits at least
/// once every eight years (a 29 February across a skipped leap year such as 2100).
const LOOK_BACK_DAYS: i64 = 9 * 366;

struct Field {
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Field = Field { min: 0, max: 59, names: &[] };
const HOUR: Field = Field { min: 0, max: 23, names: &[] };
const DAY_OF_MONTH: Field = Field { min: 1, max: 31, names: &[] };
const MONTH: Field = Field {
    min: 1,
    max: 12,
    names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
};
const DAY_OF_WEEK: Field = Field { min: 0, max: 6, names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"] };

/// Bits set for one field, and whether it was written as a bare `*`/`?` (robfig's star bit).
fn parse_field(text: &str, f: &Field) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    let mut star = false;
    for part in text.split(',') {
        let (b, s) = parse_range(part, f)?;
        bits |= b;
        star |= s;
    }
    Ok((bits, star))
}

fn parse_range(expr: &str, f: &Field) -> Result<(u64, bool), String> {
    let mut range_and_step = expr.split('/');
    let range = range_and_step.next().unwrap_or("");
    let step_text = range_and_step.next();
    if range_and_step.next().is_some() {
        return Err(format!("too many slashes in {expr:?}"));
    }
    let mut low_high = range.split('-');
    let low = low_high.next().unwrap_or("");
    let high = low_high.next();
    let (start, mut end, mut star) = if low == "*" || low == "?" {
        // robfig reads anything after `*-` as nothing: `*-5` is `*`.
        (f.min, f.max, true)
    } else {
        if low_high.next().is_some() {
            return Err(format!("too many hyphens in {expr:?}"));
        }
        let start = parse_value(low, f)?;
        let end = match high {
            Some(h) => parse_value(h, f)?,
            None => start,
        };
        (start, end, false)
    };
    let step = match step_text {
        None => 1,
        Some(s) => {
            let step = parse_number(s)?;
            // `N/step` means `N-max/step`.
            if high.is_none() {
                end = f.max;
            }
            if step > 1 {
                star = false;
            }
            step
        }
    };
    if start < f.min {
        return Err(format!("{start} is below the minimum {} in {expr:?}", f.min));
    }
    if end > f.max {
        return Err(format!("{end} is above the maximum {} in {expr:?}", f.max));
    }
    if start > end {
        return Err(format!("range {start}-{end} runs backwards in {expr:?}"));
    }
    if step == 0 {
        return Err(format!("the step must be positive in {expr:?}"));
    }
    let mut bits = 0u64;
    let mut v = start;
    while v <= end {
        bits |= 1 << v;
        v = match v.checked_add(step) {
            Some(n) => n,
            None => break,
        };
    }
    Ok((bits, star))
}

fn parse_value(text: &str, f: &Field) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = f.names.iter().position(|n| *n == lower) {
        return Ok(f.min + i as u32);
    }
    parse_number(text)
}

/// A non-negative integer as Go's `strconv.Atoi` reads it (an optional `+`, then digits).
fn parse_number(text: &str) -> Result<u32, String> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not a number"));
    }
    digits.parse::<u32>().map_err(|_| format!("{text:?} is too large"))
}

/// Highest set bit of `bits` at or below `cap`.
fn highest_at_or_below(bits: u64, cap: u32) -> Option<u32> {
    let mask = if cap >= 63 { u64::MAX } else { (1u64 << (cap + 1)) - 1 };
    let b = bits & mask;
    (b != 0).then(|| 63 - b.leading_zeros())
}

/// Lowest set bit of `bits` at or above `floor`.
fn lowest_at_or_above(bits: u64, floor: u32) -> Option<u32> {
    if floor > 63 {
        return None;
    }
    let b = bits & (u64::MAX << floor);
    (b != 0).then(|| b.trailing_zeros())
}

impl CronSchedule {
    /// Reads a schedule.
    pub fn parse(text: &str) -> Result<CronSchedule, CronError> {
        let err = |detail: String| CronError { schedule: text.to_string(), detail };
        let spec = text.trim();
        if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
            return Err(err("time zones are not supported (schedules are in UTC)".into()));
        }
        let expanded = match spec {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            s if s.starts_with('@') => return Err(err(format!("unrecognized descriptor {s:?}"))),
            s => s,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(err(format!("expected 5 fields, found {}", fields.len())));
        }
        let (minutes, _) = parse_field(fields[0], &MINUTE).map_err(err)?;
        let (hours, _) = parse_field(fields[1], &HOUR).map_err(err)?;
        let (dom, dom_star) = parse_field(fields[2], &DAY_OF_MONTH).map_err(err)?;
        let (months, _) = parse_field(fields[3], &MONTH).map_err(err)?;
        let (dow, dow_star) = parse_field(fields[4], &DAY_OF_WEEK).map_err(err)?;
        Ok(CronSchedule {
            minutes,
            hours: hours as u32,
            days_of_month: dom as u32,
            months: months as u16,
            days_of_week: dow as u8,
            dom_star,
            dow_star,
        })
    }

    fn month_matches(&self, month: u32) -> bool {
        self.months & (1 << month) != 0
    }

    fn day_matches(&self, days: i64, day_of_month: u32) -> bool {
        // 1970-01-01 was a Thursday (4).
        let dow = (days + 4).rem_euclid(7) as u32;
        let dom_ok = self.days_of_month & (1 << day_of_month) != 0;
        let dow_ok = self.days_of_week & (1 << dow) != 0;
        if self.dom_star || self.dow_star {
            dom_ok && dow_ok
        } else {
            dom_ok || dow_ok
        }
    }

    /// Whether the schedule fires at the minute containing `t` (seconds since the Unix epoch).
    pub fn matches(&self, t: i64) -> bool {
        let days = t.div_euclid(SECONDS_PER_DAY);
        let secs = t.rem_euclid(SECONDS_PER_DAY);
        let CivilDate { month: m, day: d, .. } = CivilDate::from_days(days);
        let hour = (secs / 3600) as u32;
        let minute = ((secs % 3600) / 60) as u32;
        self.month_matches(m)
            && self.day_matches(days, d)
            && self.hours & (1 << hour) != 0
            && self.minutes & (1 << minute) != 0
    }

    /// The latest hit at or before `t` (a whole minute, seconds since the Unix epoch), looking
    /// back at most nine years (every satisfiable schedule hits within eight); `None` when the
    /// schedule never fires in that span (for example `0 0 30 2 *`).
    pub fn last_at_or_before(&self, t: i64) -> Option<i64> {
        let t = t.clamp(i64::MIN / 2, i64::MAX / 2);
        let start_day = t.div_euclid(SECONDS_PER_DAY);
        let secs = t.rem_euclid(SECONDS_PER_DAY);
        let (cap_hour, cap_minute) = ((secs / 3600) as u32, ((secs % 3600) / 60) as u32);
        let mut day = start_day;
        while day >= start_day - LOOK_BACK_DAYS {
            let CivilDate { month, day: dom, .. } = CivilDate::from_days(day);
            if !self.month_matches(month) {
                // Jump to the last day of the previous month.
                day -= i64::from(dom);
                continue;
            }
            if self.day_matches(day, dom) {
                let first = day == start_day;
                let mut hour_cap = if first { cap_hour } else { 23 };
                while let Some(h) = highest_at_or_below(u64::from(self.hours), hour_cap) {
                    let minute_cap = if first && h == cap_hour { cap_minute } else { 59 };
                    if let Some(m) = highest_at_or_below(self.minutes, minute_cap) {
                        return Some(day * SECONDS_PER_DAY + i64::from(h) * 3600 + i64::from(m) * 60);
                    }
                    if h == 0 {
                        break;
                    }
                    hour_cap = h - 1;
                }
            }
            day -= 1;
        }
        None
    }

    /// The first hit strictly after `t`, searching (as robfig's `Next` does) through the end of
    /// the fifth year after `t`'s year; `None` when there is none in that span.
    pub fn next_after(&self, t: i64) -> Option<i64> {
        let t = t.clamp(i64::MIN / 2, i64::MAX / 2);
        // The first whole minute strictly after t.
        let from = (t.div_euclid(60) + 1) * 60;
        let start_day = from.div_euclid(SECONDS_PER_DAY);
        let secs = from.rem_euclid(SECONDS_PER_DAY);
        let (floor_hour, floor_minute) = ((secs / 3600) as u32, ((secs % 3600) / 60) as u32);
        let start_year = CivilDate::from_days(start_day).year;
        let end_day = CivilDate { year: start_year + SEARCH_YEARS + 1, month: 1, day: 1 }.days();
        let mut day = start_day;
        while day < end_day {
            let CivilDate { year, month, day: dom } = CivilDate::from_days(day);
            if !self.month_matches(month) {
                // Jump to the first day of the next month.
                day = if month == 12 {
                    CivilDate { year: year + 1, month: 1, day: 1 }.days()
                } else {
                    CivilDate { year, month: month + 1, day: 1 }.days()
                };
                continue;
            }
            if self.day_matches(day, dom) {
                let first = day == start_day;
                let mut hour_floor = if first { floor_hour } else { 0 };
                while let Some(h) = lowest_at_or_above(u64::from(self.hours), hour_floor) {
                    let minute_floor = if first && h == floor_hour { floor_minute } else { 0 };
                    if let Some(m) = lowest_at_or_above(self.minutes, minute_floor) {
                        return Some(day * SECONDS_PER_DAY + i64::from(h) * 3600 + i64::from(m) * 60);
                    }
                    hour_floor = h + 1;
                }
            }
            day += 1;
        }
        None
    }

    /// Whether a budget with this schedule and `duration_seconds` is active at `now`, as
    /// Karpenter decides it: the next hit after `now − duration` is at or before `now`. That is
    /// the last hit lies in `(now − duration, now]`. Like Karpenter (robfig returns the zero time
    /// when it finds no hit within about five years, and the zero time is "not after now"), a
    /// schedule that never fires counts as always active.
    pub fn is_active(&self, now: i64, duration_seconds: i64) -> bool {
        match self.next_after(now.saturating_sub(duration_seconds.max(0))) {
            None => true,
            Some(hit) => hit <= now,
        }
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list(bits: u64, min: u32, max: u32, star: bool) -> String {
            if star {
                return "*".into();
            }
            let v: Vec<String> = (min..=max).filter(|i| bits & (1 << i) != 0).map(|i| i.to_string()).collect();
            v.join(",")
        }
        write!(
            f,
            "{} {} {} {} {}",
            list(self.minutes, 0, 59, self.minutes == (1u64 << 60) - 1),
            list(u64::from(self.hours), 0, 23, self.hours == (1u32 << 24) - 1),
            list(u64::from(self.days_of_month), 1, 31, self.dom_star),
            list(u64::from(self.months), 1, 12, self.months == 0x1ffe),
            list(u64::from(self.days_of_week), 0, 6, self.dow_star),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-01-01T00:00:00Z, a Monday.
    const JAN1_2024: i64 = 1_704_067_200;
    const MIN: i64 = 60;
    const HOUR: i64 = 3600;
    const DAY: i64 = 86_400;

    fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
        CivilDate { year: y, month: mo, day: d }.days() * DAY + h * HOUR + mi * MIN
    }

    fn brute_last(c: &CronSchedule, t: i64, span: i64) -> Option<i64> {
        let mut m = t.div_euclid(60) * 60;
        let stop = t - span;
        while m >= stop {
            if c.matches(m) {
                return Some(m);
            }
            m -= 60;
        }
        None
    }

    fn brute_next(c: &CronSchedule, t: i64, span: i64) -> Option<i64> {
        let mut m = (t.div_euclid(60) + 1) * 60;
        while m <= t + span {
            if c.matches(m) {
                return Some(m);
            }
            m += 60;
        }
        None
    }

    #[test]
    fn parses_fields_ranges_steps_lists_names() {
        let c = CronSchedule::parse("*/15 9-17 * * MON-fri").unwrap();
        assert_eq!(c.minutes, 1 | 1 << 15 | 1 << 30 | 1 << 45);
        assert_eq!(c.hours, (9..=17).fold(0, |a, h| a | 1 << h));
        assert_eq!(c.days_of_week, 0b0111110);
        assert!(c.dom_star && !c.dow_star);
        let c = CronSchedule::parse("5/20 0 1,15 jan,Jul *").unwrap();
        assert_eq!(c.minutes, 1 << 5 | 1 << 25 | 1 << 45);
        assert_eq!(c.days_of_month, 1 << 1 | 1 << 15);
        assert_eq!(c.months, 1 << 1 | 1 << 7);
        let c = CronSchedule::parse("0 0 1-10/3 * ?").unwrap();
        assert_eq!(c.days_of_month, 1 << 1 | 1 << 4 | 1 << 7 | 1 << 10);
        assert!(c.dow_star);
        // `*/1` keeps the star; `*/2` does not.
        assert!(CronSchedule::parse("0 0 */1 * 1").unwrap().dom_star);
        assert!(!CronSchedule::parse("0 0 */2 * 1").unwrap().dom_star);
        assert_eq!(CronSchedule::parse("  0   0 * * *  ").unwrap(), CronSchedule::parse("@daily").unwrap());
        // robfig quirk: `*-5` is read as `*`.
        assert_eq!(CronSchedule::parse("*-5 0 * * *").unwrap(), CronSchedule::parse("* 0 * * *").unwrap());
    }

    #[test]
    fn macros_expand() {
        let p = |s: &str| CronSchedule::parse(s).unwrap();
        assert_eq!(p("@yearly"), p("0 0 1 1 *"));
        assert_eq!(p("@annually"), p("0 0 1 1 *"));
        assert_eq!(p("@monthly"), p("0 0 1 * *"));
        assert_eq!(p("@weekly"), p("0 0 * * 0"));
        assert_eq!(p("@daily"), p("0 0 * * *"));
        assert_eq!(p("@midnight"), p("0 0 * * *"));
        assert_eq!(p("@hourly"), p("0 * * * *"));
        // @weekly: Sundays only (2024-01-07 is a Sunday).
        let w = p("@weekly");
        assert_eq!(w.last_at_or_before(at(2024, 1, 10, 12, 0)), Some(at(2024, 1, 7, 0, 0)));
        assert_eq!(p("@yearly").last_at_or_before(at(2024, 6, 1, 0, 0)), Some(at(2024, 1, 1, 0, 0)));
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "",
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * 32 * *",
            "* * * 13 *",
            "* * * 0 *",
            "* * * * 7",
            "5-1 * * * *",
            "*/0 * * * *",
            "1/2/3 * * * *",
            "1-2-3 * * * *",
            "a * * * *",
            "-1 * * * *",
            "1,,2 * * * *",
            "* * * jan-foo *",
            "@every 1h",
            "@reboot",
            "@hourly extra",
            "TZ=Europe/Paris 0 0 * * *",
            "99999999999 * * * *",
            "mon * * * *",
        ] {
            assert!(CronSchedule::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let e = CronSchedule::parse("* * * * 7").unwrap_err();
        assert!(e.to_string().contains("above the maximum 6"), "{e}");
    }

    #[test]
    fn day_of_month_or_day_of_week() {
        // Both restricted: the 13th OR a Friday.
        let c = CronSchedule::parse("0 0 13 * 5").unwrap();
        assert!(c.matches(at(2024, 1, 13, 0, 0))); // a Saturday, but the 13th
        assert!(c.matches(at(2024, 1, 5, 0, 0))); // a Friday
        assert!(!c.matches(at(2024, 1, 6, 0, 0)));
        // Day of month star: Fridays only.
        let c = CronSchedule::parse("0 0 * * 5").unwrap();
        assert!(!c.matches(at(2024, 1, 13, 0, 0)));
        assert!(c.matches(at(2024, 1, 5, 0, 0)));
        // `*/2` is not a star: 13th OR odd days... both restricted, so OR.
        let c = CronSchedule::parse("0 0 */2 * 5").unwrap();
        assert!(c.matches(at(2024, 1, 3, 0, 0))); // odd day (Wednesday)
        assert!(c.matches(at(2024, 1, 12, 0, 0))); // Friday the 12th
    }

    #[test]
    fn last_hit_within_a_day_and_across_days() {
        let c = CronSchedule::parse("30 2 * * *").unwrap();
        let t = at(2024, 3, 10, 2, 30);
        assert_eq!(c.last_at_or_before(t), Some(t)); // exactly at a hit
        assert_eq!(c.last_at_or_before(t + 59), Some(t)); // within the minute
        assert_eq!(c.last_at_or_before(t - 1), Some(at(2024, 3, 9, 2, 30)));
        assert_eq!(c.last_at_or_before(at(2024, 3, 1, 0, 0)), Some(at(2024, 2, 29, 2, 30)));
        // Hours list with the current hour's minutes already past.
        let c = CronSchedule::parse("45 1,5 * * *").unwrap();
        assert_eq!(c.last_at_or_before(at(2024, 3, 10, 5, 10)), Some(at(2024, 3, 10, 1, 45)));
        assert_eq!(c.next_after(at(2024, 3, 10, 5, 10)), Some(at(2024, 3, 10, 5, 45)));
        assert_eq!(c.next_after(at(2024, 3, 10, 5, 45)), Some(at(2024, 3, 11, 1, 45)));
    }

    #[test]
    fn leap_days_and_long_gaps_without_minute_iteration() {
        let c = CronSchedule::parse("0 12 29 2 *").unwrap();
        assert_eq!(c.last_at_or_before(at(2027, 6, 1, 0, 0)), Some(at(2024, 2, 29, 12, 0)));
        assert_eq!(c.next_after(at(2024, 3, 1, 0, 0)), Some(at(2028, 2, 29, 12, 0)));
        // 2100 is not a leap year: eight years between 2096 and 2104.
        assert_eq!(c.last_at_or_before(at(2103, 12, 31, 0, 0)), Some(at(2096, 2, 29, 12, 0)));
        // robfig stops after five years: no hit found from 2097.
        assert_eq!(c.next_after(at(2097, 1, 1, 0, 0)), None);
        // Never: 30 February.
        let never = CronSchedule::parse("0 0 30 2 *").unwrap();
        assert_eq!(never.last_at_or_before(at(2024, 1, 1, 0, 0)), None);
        assert_eq!(never.next_after(at(2024, 1, 1, 0, 0)), None);
        // Never-firing schedules are always active, as in Karpenter.
        assert!(never.is_active(at(2024, 1, 1, 0, 0), HOUR));
        // Month skipping: December only, from March.
        let c = CronSchedule::parse("0 0 25 dec *").unwrap();
        assert_eq!(c.last_at_or_before(at(2024, 3, 1, 0, 0)), Some(at(2023, 12, 25, 0, 0)));
        assert_eq!(c.next_after(at(2024, 3, 1, 0, 0)), Some(at(2024, 12, 25, 0, 0)));
    }

    #[test]
    fn budget_activity_window() {
        // Every day 09:00 for 8 hours.
        let c = CronSchedule::parse("0 9 * * *").unwrap();
        let d = 8 * HOUR;
        assert!(!c.is_active(at(2024, 5, 1, 8, 59), d));
        assert!(c.is_active(at(2024, 5, 1, 9, 0), d));
        assert!(c.is_active(at(2024, 5, 1, 16, 59), d));
        // Exactly `duration` after the hit: the hit is no longer inside (now − d, now].
        assert!(!c.is_active(at(2024, 5, 1, 17, 0), d));
        assert!(!c.is_active(at(2024, 5, 1, 23, 0), d));
        // Zero duration: never active.
        assert!(!c.is_active(at(2024, 5, 1, 9, 0), 0));
    }

    #[test]
    fn agrees_with_brute_force() {
        let schedules = [
            "*/7 * * * *",
            "0 */5 * * *",
            "15,45 3-5 * * *",
            "0 0 1 * *",
            "0 0 * * 1",
            "10 10 10 * 3",
            "0 0 31 * *",
            "59 23 * * sat",
            "0 12 1-7 * mon",
            "0 0 * 2 *",
            "30 1 */10 * *",
            "@hourly",
        ];
        let starts = [JAN1_2024 + 37, at(2023, 12, 31, 23, 59) + 30, at(2024, 2, 28, 13, 7), at(1969, 12, 31, 23, 0)];
        for s in schedules {
            let c = CronSchedule::parse(s).unwrap();
            for &t in &starts {
                for offset in [0, 17 * MIN + 5, 3 * HOUR, 2 * DAY + 1, 40 * DAY] {
                    let t = t + offset;
                    let span = 70 * DAY;
                    if let Some(b) = brute_last(&c, t, span) {
                        assert_eq!(c.last_at_or_before(t), Some(b), "{s} last before {t}");
                    }
                    if let Some(b) = brute_next(&c, t, span) {
                        assert_eq!(c.next_after(t), Some(b), "{s} next after {t}");
                    }
                    for d in [MIN, HOUR, 8 * HOUR, 3 * DAY] {
                        let by_last = c.last_at_or_before(t).is_some_and(|h| h > t - d);
                        assert_eq!(c.is_active(t, d), by_last, "{s} active at {t} for {d}");
                    }
                }
            }
        }
    }

    #[test]
    fn extreme_times_do_not_panic() {
        let c = CronSchedule::parse("0 0 * * *").unwrap();
        for t in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX - 1, i64::MAX] {
            let _ = c.last_at_or_before(t);
            let _ = c.next_after(t);
            let _ = c.is_active(t, i64::MAX);
            let _ = c.matches(t);
        }
    }

    #[test]
    fn displays() {
        assert_eq!(CronSchedule::parse("@weekly").unwrap().to_string(), "0 0 * * 0");
        assert_eq!(CronSchedule::parse("0,30 9-10 * * *").unwrap().to_string(), "0,30 9,10 * * *");
    }
}
