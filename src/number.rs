//! How values are written: the shortest text that reads back exactly; and
//! how plain decimals are read fast (the parser and stream files both read
//! millions of them).

/// Formats a value the way `wb` prints it: `181`, `0.1`, `-2.5`, `1e21`,
/// `1.5e-7`: the shortest decimal that parses back to the same bits, with no
/// trailing `.0`.
pub fn format(v: f64) -> String {
    let mut s = String::new();
    write(&mut s, v);
    s
}

/// Appends `v` to `out` as [`format`] writes it (no allocation of its own,
/// for a caller writing many values).
pub fn write(out: &mut String, v: f64) {
    use std::fmt::Write as _;
    let start = out.len();
    // Writing to a String cannot fail.
    let _ = write!(out, "{v:?}");
    if out[start..].ends_with(".0") {
        out.truncate(out.len() - 2);
    }
}

/// The value as a JSON number: an integer where it is one (so `181`, not
/// `181.0`), else the float.
pub fn to_json(v: f64) -> serde_json::Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 && !(v == 0.0 && v.is_sign_negative()) {
        serde_json::Value::from(v as i64)
    } else {
        serde_json::Value::from(v)
    }
}

/// The value of a plain decimal such as `-107.495134`, where computing it
/// is one exact integer and one correctly rounded division (Clinger's fast
/// path): at most 19 digits whose integer is below 2^53, at most 22 after
/// the point. The result is the one `str::parse` gives, only faster; every
/// other form (exponents, long mantissas, anything not a number) is `None`
/// and is left to the standard parser.
#[inline]
pub(crate) fn plain_decimal(token: &[u8]) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let (negative, digits) = match token.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, token),
    };
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut point = None;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                // 19 digits always fit in a u64; the 20th might not.
                if count == 19 {
                    return None;
                }
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
            }
            b'.' if point.is_none() => point = Some(i),
            _ => return None,
        }
    }
    // At least one digit on each side of a point, as in `2.5`.
    let scale = match point {
        None => 0,
        Some(p) if p > 0 && p + 1 < digits.len() => digits.len() - p - 1,
        Some(_) => return None,
    };
    if count == 0 || mantissa > 1 << 53 || scale >= POW10.len() {
        return None;
    }
    let v = mantissa as f64 / POW10[scale];
    Some(if negative { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_round_trip() {
        for (v, s) in [
            (181.0, "181"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1e21, "1e21"),
            (1.5e-7, "1.5e-7"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-0.0, "-0"),
        ] {
            assert_eq!(format(v), s);
            assert_eq!(format(v).parse::<f64>().unwrap().to_bits(), v.to_bits());
        }
    }

    #[test]
    fn json_integers_have_no_fraction() {
        assert_eq!(to_json(181.0).to_string(), "181");
        assert_eq!(to_json(0.5).to_string(), "0.5");
    }
}
