//! Hourly prices as exact integers.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};

/// A price in billionths of a US dollar per hour.
///
/// Prices are summed over thousands of nodes and compared strictly ("cheaper than"), so they
/// are integers: `0.096` USD/hour is `Price(96_000_000)`.
///
/// ```
/// use nodepack_core::Price;
/// let p = Price::from_dollars_str("0.096").unwrap();
/// assert_eq!(p, Price(96_000_000));
/// assert_eq!((p + p).to_string(), "0.192");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Price(pub i64);

impl Price {
    /// Nano-dollars per dollar.
    pub const SCALE: i64 = 1_000_000_000;
    /// The largest price, used as "unknown / infinite".
    pub const MAX: Price = Price(i64::MAX);

    /// Reads a decimal dollar amount such as `0.096` exactly (at most nine decimals are kept,
    /// rounding up). Returns `None` for anything else, including negative numbers.
    pub fn from_dollars_str(s: &str) -> Option<Price> {
        let s = s.trim();
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let w: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        let mut nanos: i64 = 0;
        let mut round_up = false;
        for (i, b) in frac.bytes().enumerate() {
            let d = i64::from(b - b'0');
            if i < 9 {
                nanos = nanos * 10 + d;
            } else if d != 0 {
                round_up = true;
            }
        }
        for _ in frac.len()..9 {
            nanos *= 10;
        }
        if round_up {
            nanos += 1;
        }
        w.checked_mul(Self::SCALE)?.checked_add(nanos).map(Price)
    }

    /// The price in dollars as a float, for display and JSON only.
    pub fn as_dollars(self) -> f64 {
        self.0 as f64 / Self::SCALE as f64
    }

    /// Saturating sum.
    pub fn saturating_add(self, other: Price) -> Price {
        Price(self.0.saturating_add(other.0))
    }
}

impl Add for Price {
    type Output = Price;
    fn add(self, rhs: Price) -> Price {
        self.saturating_add(rhs)
    }
}

impl Sub for Price {
    type Output = Price;
    fn sub(self, rhs: Price) -> Price {
        Price(self.0.saturating_sub(rhs.0))
    }
}

impl Sum for Price {
    fn sum<I: Iterator<Item = Price>>(iter: I) -> Price {
        iter.fold(Price(0), |a, b| a + b)
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let v = self.0.unsigned_abs();
        let whole = v / Self::SCALE as u64;
        let frac = v % Self::SCALE as u64;
        if neg {
            f.write_str("-")?;
        }
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            let s = format!("{frac:09}");
            write!(f, "{whole}.{}", s.trim_end_matches('0'))
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Price {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_dollars())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(Price::from_dollars_str("0.829497"), Some(Price(829_497_000)));
        assert_eq!(Price::from_dollars_str("55.04"), Some(Price(55_040_000_000)));
        assert_eq!(Price::from_dollars_str("1"), Some(Price(1_000_000_000)));
        assert_eq!(Price::from_dollars_str(".5"), Some(Price(500_000_000)));
        assert_eq!(Price::from_dollars_str("0.0000000001"), Some(Price(1)));
        assert_eq!(Price::from_dollars_str("-1"), None);
        assert_eq!(Price::from_dollars_str("abc"), None);
        assert_eq!(Price::from_dollars_str(""), None);
    }

    #[test]
    fn displays() {
        assert_eq!(Price(96_000_000).to_string(), "0.096");
        assert_eq!(Price(2_000_000_000).to_string(), "2");
        let sum: Price = [Price(1), Price(2)].into_iter().sum();
        assert_eq!(sum, Price(3));
    }
}
