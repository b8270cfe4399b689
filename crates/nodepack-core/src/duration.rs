//! Whole-second durations with Go-style parsing (`90s`, `15m`, `2h30m`, `7d`).

use std::fmt;

/// A span of simulated or configured time, in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub i64);

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Not a Go duration.
    #[error("{0:?} is not a duration (expected e.g. 90s, 15m, 2h30m, 7d)")]
    Malformed(String),
    /// Too long to hold.
    #[error("{0:?} is too long a duration")]
    Overflow(String),
    /// Below zero.
    #[error("{0:?} is negative")]
    Negative(String),
}

impl Duration {
    /// `n` seconds.
    pub const fn seconds(n: i64) -> Self {
        Duration(n)
    }
    /// `n` minutes.
    pub const fn minutes(n: i64) -> Self {
        Duration(n * 60)
    }
    /// `n` hours.
    pub const fn hours(n: i64) -> Self {
        Duration(n * 3600)
    }

    /// Reads a Go duration (`300ms`, `1.5h`, `2h30m`, `45s`), also accepting `d` (24h) as
    /// nodepack's traces do. Fractions of a second round up to a whole second.
    ///
    /// ```
    /// use nodepack_core::Duration;
    /// assert_eq!(Duration::parse("2h30m").unwrap(), Duration(9000));
    /// assert_eq!(Duration::parse("7d").unwrap(), Duration(604800));
    /// assert!(Duration::parse("-5m").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Duration, DurationError> {
        let s = text.trim();
        let bad = || DurationError::Malformed(text.to_string());
        let over = || DurationError::Overflow(text.to_string());
        if s.is_empty() {
            return Err(bad());
        }
        if s.starts_with('-') {
            return Err(DurationError::Negative(text.to_string()));
        }
        let s = s.strip_prefix('+').unwrap_or(s);
        if s == "0" {
            return Ok(Duration(0));
        }
        // Accumulate nanoseconds exactly in i128.
        let mut total_ns: i128 = 0;
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let whole = &s[start..i];
            let mut frac = "";
            if i < b.len() && b[i] == b'.' {
                i += 1;
                let fs = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                frac = &s[fs..i];
            }
            if whole.is_empty() && frac.is_empty() {
                return Err(bad());
            }
            let us = i;
            while i < b.len() && !b[i].is_ascii_digit() && b[i] != b'.' {
                i += 1;
            }
            let unit_ns: i128 = match &s[us..i] {
                "ns" => 1,
                "us" | "µs" => 1_000,
                "ms" => 1_000_000,
                "s" => 1_000_000_000,
                "m" => 60_000_000_000,
                "h" => 3_600_000_000_000,
                "d" => 86_400_000_000_000,
                _ => return Err(bad()),
            };
            if whole.len() > 18 || frac.len() > 18 {
                return Err(over());
            }
            let w: i128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
            let mut part = w.checked_mul(unit_ns).ok_or_else(over)?;
            if !frac.is_empty() {
                let f: i128 = frac.parse().map_err(|_| bad())?;
                let scale = 10i128.pow(frac.len() as u32);
                part = part.checked_add(f * unit_ns / scale).ok_or_else(over)?;
            }
            total_ns = total_ns.checked_add(part).ok_or_else(over)?;
        }
        let secs = (total_ns + 999_999_999) / 1_000_000_000;
        i64::try_from(secs).map(Duration).map_err(|_| over())
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.0;
        if s == 0 {
            return f.write_str("0s");
        }
        if s < 0 {
            f.write_str("-")?;
            s = -s;
        }
        let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if sec > 0 {
            write!(f, "{sec}s")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_forms() {
        assert_eq!(Duration::parse("90s").unwrap(), Duration(90));
        assert_eq!(Duration::parse("15m").unwrap(), Duration(900));
        assert_eq!(Duration::parse("1.5h").unwrap(), Duration(5400));
        assert_eq!(Duration::parse("300ms").unwrap(), Duration(1));
        assert_eq!(Duration::parse("0s").unwrap(), Duration(0));
        assert_eq!(Duration::parse("720h").unwrap(), Duration(2_592_000));
        assert!(Duration::parse("5").is_err());
        assert!(Duration::parse("5x").is_err());
        assert!(Duration::parse("h").is_err());
        assert!(matches!(Duration::parse("99999999999999999999h"), Err(DurationError::Overflow(_))));
        assert!(matches!(Duration::parse("9999999999999999h"), Err(DurationError::Overflow(_))));
        assert_eq!(Duration(9000).to_string(), "2h30m");
    }
}
