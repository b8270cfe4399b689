//! Kubernetes resource quantities, parsed exactly into integers.
//!
//! A quantity such as `100m`, `1.5`, `1Gi`, `1G`, `1e3` or `129M` is held as the exact
//! rational `digits × 10^exp10 × 1024^exp2` and only then converted into the integer unit
//! nodepack computes in (millicores, bytes, counts), rounding up as Kubernetes does. No
//! floating point is used on the way, and nothing wraps: a value that does not fit is an
//! error.

use std::fmt;

/// Why a quantity string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuantityError {
    /// The text is not a Kubernetes quantity.
    #[error(
        "{text:?} is not a quantity (expected digits with an optional suffix such as m, Ki, Mi, Gi, k, M, G or e3)"
    )]
    Malformed {
        /// The text as given.
        text: String,
    },
    /// The quantity is below zero, where only non-negative values make sense.
    #[error("{text:?} is negative")]
    Negative {
        /// The text as given.
        text: String,
    },
    /// The quantity is too large to be held.
    #[error("{text:?} is too large")]
    Overflow {
        /// The text as given.
        text: String,
    },
}

/// A parsed, exact, non-negative quantity: `mantissa × 10^exp10 × 1024^exp2`.
///
/// ```
/// use nodepack_core::Quantity;
/// let q: Quantity = "1.5Gi".parse().unwrap();
/// assert_eq!(q.to_units().unwrap(), 1_610_612_736);
/// let c: Quantity = "100m".parse().unwrap();
/// assert_eq!(c.to_milli().unwrap(), 100);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quantity {
    mantissa: u128,
    exp10: i32,
    exp2: u32,
}

const MAX_DIGITS: usize = 36;

impl Quantity {
    /// A quantity of `n` whole units.
    pub fn from_units(n: u64) -> Self {
        Quantity { mantissa: u128::from(n), exp10: 0, exp2: 0 }
    }

    /// Whether the quantity is zero.
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// The value scaled by `10^scale10`, rounded up to an integer, if it fits in an `i64`.
    fn scaled_ceil(&self, scale10: i32) -> Option<i64> {
        if self.mantissa == 0 {
            return Some(0);
        }
        let mut num: u128 = self.mantissa;
        for _ in 0..self.exp2 {
            num = num.checked_mul(1024)?;
        }
        let e = self.exp10.checked_add(scale10)?;
        let value = if e >= 0 {
            if e > 38 {
                return None;
            }
            num.checked_mul(10u128.checked_pow(e as u32)?)?
        } else {
            let d = (-e) as u32;
            if d > 38 {
                // Smaller than one unit but non-zero: rounds up to one.
                1
            } else {
                let div = 10u128.pow(d);
                num.div_ceil(div)
            }
        };
        i64::try_from(value).ok()
    }

    /// The value in thousandths of a unit (millicores for `cpu`), rounded up.
    pub fn to_milli(&self) -> Option<i64> {
        self.scaled_ceil(3)
    }

    /// The value in whole units (bytes for `memory`, a count for `pods`), rounded up.
    pub fn to_units(&self) -> Option<i64> {
        self.scaled_ceil(0)
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text)
    }
}

fn malformed(text: &str) -> QuantityError {
    QuantityError::Malformed { text: text.to_string() }
}

fn parse(text: &str) -> Result<Quantity, QuantityError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(malformed(text));
    }
    let (negative, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut digits = String::new();
    let mut frac_len: i32 = 0;
    let mut seen_digit = false;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        digits.push(bytes[i] as char);
        seen_digit = true;
        i += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            digits.push(bytes[i] as char);
            frac_len += 1;
            seen_digit = true;
            i += 1;
        }
    }
    if !seen_digit {
        return Err(malformed(text));
    }
    let suffix = &body[i..];
    let (exp10_suffix, exp2): (i64, u32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 1),
        "Mi" => (0, 2),
        "Gi" => (0, 3),
        "Ti" => (0, 4),
        "Pi" => (0, 5),
        "Ei" => (0, 6),
        other => {
            let rest = other.strip_prefix('e').or_else(|| other.strip_prefix('E')).ok_or_else(|| malformed(text))?;
            let (sign, num) = match rest.as_bytes().first() {
                Some(b'-') => (-1i64, &rest[1..]),
                Some(b'+') => (1, &rest[1..]),
                _ => (1, rest),
            };
            if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed(text));
            }
            let n: i64 = if num.len() > 9 {
                return Err(QuantityError::Overflow { text: text.to_string() });
            } else {
                num.parse().map_err(|_| malformed(text))?
            };
            (sign * n, 0)
        }
    };
    // Strip leading zeros; keep at most MAX_DIGITS significant digits exactly.
    let trimmed = digits.trim_start_matches('0');
    let is_zero = trimmed.is_empty();
    if negative && !is_zero {
        return Err(QuantityError::Negative { text: text.to_string() });
    }
    if is_zero {
        return Ok(Quantity { mantissa: 0, exp10: 0, exp2: 0 });
    }
    // Trailing zeros of the fraction do not change the value; drop them to keep the mantissa small.
    let mut sig = trimmed.to_string();
    let mut exp10 = exp10_suffix - i64::from(frac_len);
    while sig.len() > 1 && sig.ends_with('0') {
        sig.pop();
        exp10 += 1;
    }
    if sig.len() > MAX_DIGITS {
        return Err(QuantityError::Overflow { text: text.to_string() });
    }
    let mantissa: u128 = sig.parse().map_err(|_| malformed(text))?;
    let exp10 = i32::try_from(exp10).map_err(|_| QuantityError::Overflow { text: text.to_string() })?;
    Ok(Quantity { mantissa, exp10, exp2 })
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
        if self.exp10 >= 0 {
            write!(f, "{}", self.mantissa)?;
            for _ in 0..self.exp10 {
                f.write_str("0")?;
            }
        } else {
            let s = self.mantissa.to_string();
            let d = (-self.exp10) as usize;
            if s.len() > d {
                write!(f, "{}.{}", &s[..s.len() - d], &s[s.len() - d..])?;
            } else {
                write!(f, "0.{}{}", "0".repeat(d - s.len()), s)?;
            }
        }
        f.write_str(suffix.get(self.exp2 as usize).copied().unwrap_or(""))
    }
}

/// Formats a millicore count as Kubernetes would print it (`1500m`, `2`).
pub fn format_milli(m: i64) -> String {
    if m % 1000 == 0 {
        format!("{}", m / 1000)
    } else {
        format!("{m}m")
    }
}

/// Formats a byte count with the largest binary suffix that divides it exactly (`1Gi`, `512Mi`).
pub fn format_bytes(b: i64) -> String {
    let units = [("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)];
    for (suffix, shift) in units {
        let unit = 1i64 << shift;
        if b != 0 && b % unit == 0 {
            return format!("{}{}", b / unit, suffix);
        }
    }
    format!("{b}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milli(s: &str) -> i64 {
        s.parse::<Quantity>().unwrap().to_milli().unwrap()
    }
    fn units(s: &str) -> i64 {
        s.parse::<Quantity>().unwrap().to_units().unwrap()
    }

    #[test]
    fn parses_kubernetes_forms() {
        assert_eq!(milli("100m"), 100);
        assert_eq!(milli("1.5"), 1500);
        assert_eq!(milli("0.5"), 500);
        assert_eq!(milli("1"), 1000);
        assert_eq!(milli("1e3"), 1_000_000);
        assert_eq!(milli("2k"), 2_000_000);
        assert_eq!(units("1Gi"), 1 << 30);
        assert_eq!(units("512Mi"), 512 << 20);
        assert_eq!(units("1G"), 1_000_000_000);
        assert_eq!(units("129M"), 129_000_000);
        assert_eq!(units("1.5Gi"), 1_610_612_736);
        assert_eq!(units("1e3"), 1000);
        assert_eq!(units("1E3"), 1000);
        assert_eq!(units("+5"), 5);
        assert_eq!(units("0"), 0);
        assert_eq!(units("-0"), 0);
        assert_eq!(units("0e400"), 0);
        assert_eq!(units("100.000"), 100);
    }

    #[test]
    fn rounds_up_like_kubernetes() {
        assert_eq!(milli("0.0001"), 1);
        assert_eq!(milli("1n"), 1);
        assert_eq!(units("100m"), 1);
        assert_eq!(units("1.0001"), 2);
    }

    #[test]
    fn rejects_bad_values() {
        for bad in ["", "abc", "1.2.3", "1Qi", "Gi", ".", "1 Gi", "1e", "1e+", "--1", "0x10", "1ki"] {
            assert!(matches!(bad.parse::<Quantity>(), Err(QuantityError::Malformed { .. })), "{bad}");
        }
        assert!(matches!("-1".parse::<Quantity>(), Err(QuantityError::Negative { .. })));
        assert!(matches!("-100m".parse::<Quantity>(), Err(QuantityError::Negative { .. })));
        assert_eq!("1e400".parse::<Quantity>().unwrap().to_units(), None);
        assert_eq!("99999999999999999999Ei".parse::<Quantity>().unwrap().to_units(), None);
        assert!("1e9999999999".parse::<Quantity>().is_err());
        assert!("1234567890123456789012345678901234567890".parse::<Quantity>().is_err());
        assert_eq!("9223372036854775807".parse::<Quantity>().unwrap().to_units(), Some(i64::MAX));
        assert_eq!("9223372036854775808".parse::<Quantity>().unwrap().to_units(), None);
        assert_eq!("1e-400".parse::<Quantity>().unwrap().to_units(), Some(1));
    }

    #[test]
    fn formats() {
        assert_eq!(format_milli(1500), "1500m");
        assert_eq!(format_milli(2000), "2");
        assert_eq!(format_bytes(1 << 30), "1Gi");
        assert_eq!(format_bytes(1000), "1000");
        assert_eq!("1.50Gi".parse::<Quantity>().unwrap().to_string(), "1.5Gi");
    }
}
