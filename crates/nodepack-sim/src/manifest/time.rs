//! RFC 3339 timestamps (`2024-05-01T12:00:00Z`, `2024-05-01T14:00:00.5+02:00`) as Unix seconds.

/// Reads an RFC 3339 timestamp into seconds since the Unix epoch (fractions of a second are
/// dropped). The date and time separator may be `T`, `t` or a space; the zone `Z`, `z` or an
/// offset `+hh:mm` / `-hh:mm`.
///
/// ```
/// use nodepack_sim::manifest::parse_rfc3339;
/// assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
/// assert_eq!(parse_rfc3339("2024-02-29T12:30:00.25+02:00"), Ok(1_709_202_600));
/// assert!(parse_rfc3339("2023-02-29T00:00:00Z").is_err());
/// ```
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let bad = |why: &str| format!("{text:?} is not an RFC 3339 time ({why}), e.g. 2024-05-01T12:00:00Z");
    let b = text.trim().as_bytes();
    if b.len() < 20 {
        return Err(bad("too short"));
    }
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(digits.iter().fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
    };
    let sep = |at: usize, want: &[u8]| b.get(at).is_some_and(|c| want.contains(c));
    let (Some(year), Some(month), Some(day)) = (num(0, 4), num(5, 2), num(8, 2)) else {
        return Err(bad("the date must be YYYY-MM-DD"));
    };
    if !sep(4, b"-") || !sep(7, b"-") {
        return Err(bad("the date must be YYYY-MM-DD"));
    }
    if !sep(10, b"Tt ") {
        return Err(bad("expected T between the date and the time"));
    }
    let (Some(hour), Some(minute), Some(second)) = (num(11, 2), num(14, 2), num(17, 2)) else {
        return Err(bad("the time must be hh:mm:ss"));
    };
    if !sep(13, b":") || !sep(16, b":") {
        return Err(bad("the time must be hh:mm:ss"));
    }
    if !(1..=12).contains(&month) {
        return Err(bad("month out of range"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(bad("day out of range"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(bad("time of day out of range"));
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err(bad("expected digits after the decimal point"));
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() => {
            let (Some(oh), Some(om)) = (num(i + 1, 2), num(i + 4, 2)) else {
                return Err(bad("the offset must be +hh:mm or -hh:mm"));
            };
            if !sep(i + 3, b":") || oh > 23 || om > 59 {
                return Err(bad("the offset must be +hh:mm or -hh:mm"));
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return Err(bad("expected Z or an offset such as +02:00 at the end")),
    };
    let (Ok(month), Ok(day)) = (u32::try_from(month), u32::try_from(day)) else {
        return Err(bad("the date must be YYYY-MM-DD"));
    };
    let days = nodepack_core::CivilDate { year, month, day }.days();
    Ok(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339("2000-03-01T00:00:00Z"), Ok(951_868_800));
        assert_eq!(parse_rfc3339("2024-05-01T12:00:00Z"), Ok(1_714_564_800));
        assert_eq!(parse_rfc3339("2024-05-01t12:00:00.123456789z"), Ok(1_714_564_800));
        assert_eq!(parse_rfc3339("2024-05-01 14:00:00+02:00"), Ok(1_714_564_800));
        assert_eq!(parse_rfc3339("2024-05-01T11:30:00-00:30"), Ok(1_714_564_800));
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Ok(-1));
        assert_eq!(parse_rfc3339("0000-01-01T00:00:00Z"), Ok(-62_167_219_200));
        assert_eq!(parse_rfc3339("9999-12-31T23:59:59Z"), Ok(253_402_300_799));
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "2024-05-01",
            "2024-05-01T12:00:00",
            "2024-13-01T12:00:00Z",
            "2024-04-31T12:00:00Z",
            "1900-02-29T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:60:00Z",
            "2024-05-01T12:00:60Z",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T12:00:00+2:00",
            "2024-05-01T12:00:00+24:00",
            "2024-05-01T12:00:00Zjunk",
            "２０２４-05-01T12:00:00Z",
            "+024-05-01T12:00:00Z",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}
