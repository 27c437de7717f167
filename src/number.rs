//! How values are written: the shortest text that reads back exactly.

/// Formats a value the way `wb` prints it: `181`, `0.1`, `-2.5`, `1e21`,
/// `1.5e-7`: the shortest decimal that parses back to the same bits, with no
/// trailing `.0`.
pub fn format(v: f64) -> String {
    let s = format!("{v:?}");
    match s.strip_suffix(".0") {
        Some(int) => int.to_owned(),
        None => s,
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
