//! Text in columns for the displays meant to be read in a terminal (the gate
//! table, `--trace`): how wide the output may be, padding that never takes
//! its width from the input unbounded, cutting with `…`, wrapping at spaces,
//! and numbers shortened to a width without losing their magnitude.
//!
//! Widths count characters (`chars()`), not bytes. This module knows
//! nothing of what it lays out.

use std::io::IsTerminal;

/// The width used when standard output is not a terminal and no width was
/// asked for.
pub const DEFAULT_WIDTH: usize = 80;

/// The narrowest width the displays lay themselves out for: a terminal or
/// `--width` narrower than this is treated as this wide.
pub const MIN_WIDTH: usize = 40;

/// The widest layout: wider terminals are used up to this many columns.
pub const MAX_WIDTH: usize = 1000;

/// The width standard output's displays should fit: `asked` (`--width N`)
/// if given, else the terminal's width when standard output is one, else
/// [`DEFAULT_WIDTH`]; always within [`MIN_WIDTH`]..=[`MAX_WIDTH`].
pub fn stdout_width(asked: Option<usize>) -> usize {
    let width = asked.unwrap_or_else(|| {
        let stdout = std::io::stdout();
        if !stdout.is_terminal() {
            return DEFAULT_WIDTH;
        }
        match terminal_size::terminal_size() {
            Some((terminal_size::Width(w), _)) => usize::from(w),
            None => DEFAULT_WIDTH,
        }
    });
    width.clamp(MIN_WIDTH, MAX_WIDTH)
}

/// How many characters `s` has.
pub fn chars(s: &str) -> usize {
    s.chars().count()
}

/// `s` in at most `w` characters: cut, with `…` as its last, if longer.
pub fn cut(s: &str, w: usize) -> String {
    if w == 0 {
        return String::new();
    }
    match s.char_indices().nth(w) {
        None => s.to_owned(),
        Some(_) => {
            let keep: String = s.chars().take(w - 1).collect();
            keep + "…"
        }
    }
}

/// `s` cut to `w` characters and padded with spaces to exactly `w`.
pub fn pad(s: &str, w: usize) -> String {
    let mut out = cut(s, w);
    let n = chars(&out);
    out.extend(std::iter::repeat_n(' ', w - n));
    out
}

/// `s` cut to `w` characters and right-aligned in `w`.
pub fn pad_left(s: &str, w: usize) -> String {
    let s = cut(s, w);
    let mut out: String = std::iter::repeat_n(' ', w - chars(&s)).collect();
    out.push_str(&s);
    out
}

/// `s` broken into lines of at most `w` characters, at spaces where it can
/// (a word longer than a line is broken inside it), at most `max_lines` of
/// them: the last line of a text that needs more ends with `…`. Always at
/// least one line (empty for an empty text).
pub fn wrap(s: &str, w: usize, max_lines: usize) -> Vec<String> {
    let w = w.max(1);
    let max_lines = max_lines.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    let mut cut_short = false;
    'words: for word in s.split(' ').filter(|w| !w.is_empty()) {
        let mut word = word;
        loop {
            let wl = chars(word);
            let sep = usize::from(len > 0);
            if len + sep + wl <= w {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                len += sep + wl;
                continue 'words;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                len = 0;
                if lines.len() == max_lines {
                    cut_short = true;
                    break 'words;
                }
                continue;
            }
            // A word longer than a whole line: break it.
            let split = word.char_indices().nth(w).map_or(word.len(), |(i, _)| i);
            lines.push(word[..split].to_owned());
            word = &word[split..];
            if lines.len() == max_lines {
                cut_short = !word.is_empty();
                break 'words;
            }
            if word.is_empty() {
                continue 'words;
            }
        }
    }
    if !cut_short && (len > 0 || lines.is_empty()) {
        lines.push(line);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        cut_short = true;
    }
    if cut_short {
        if let Some(last) = lines.last_mut() {
            let keep: String = last.chars().take(w.saturating_sub(1)).collect();
            *last = keep + "…";
        }
    }
    lines
}

/// A number's text (as [`crate::number::format`] writes it) in at most `w`
/// characters where it can be: as it is if it fits, else with digits after
/// the point cut and `…` in their place (`3.33333…`), or in exponent form
/// when the integer part is too long (`-1.797…e308`, `1.23…e15`). Never
/// shorter than a digit, `…` and the exponent.
pub fn short_number(v: f64, text: &str, w: usize) -> String {
    if chars(text) <= w {
        return text.to_owned();
    }
    let (int_len, plain) = match text.find(['e', 'E']) {
        Some(_) => (usize::MAX, false),
        None => (text.find('.').unwrap_or(text.len()), true),
    };
    if plain && int_len + 2 <= w && text.contains('.') {
        return cut(text, w);
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let tail = format!("…e{exp}");
    let sign = usize::from(mantissa.starts_with('-'));
    let room = w.saturating_sub(chars(&tail)).max(1 + sign);
    let head: String = mantissa.chars().take(room).collect();
    let head = head.trim_end_matches('.');
    format!("{head}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_and_pad_count_characters() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("a←bcdef", 4), "a←b…");
        assert_eq!(pad_left("7", 3), "  7");
        assert_eq!(pad(&"x".repeat(70_000), 5), "xxxx…");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_what_is_left() {
        assert_eq!(wrap("write a = b + c", 9, 3), ["write a =", "b + c"]);
        assert_eq!(wrap("abcdefghij", 4, 5), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a b c d e f", 3, 2), ["a b", "c …"]);
        assert_eq!(wrap("", 5, 2), [""]);
        for line in wrap(&"word ".repeat(10_000), 30, 4) {
            assert!(chars(&line) <= 30, "{line}");
        }
    }

    #[test]
    fn numbers_shorten_without_losing_their_magnitude() {
        let third = 10.0 / 3.0;
        assert_eq!(short_number(third, "3.3333333333333335", 8), "3.33333…");
        let max = -f64::MAX;
        assert_eq!(
            short_number(max, &crate::number::format(max), 11),
            "-1.797…e308"
        );
        assert_eq!(
            short_number(123456789012.5, "123456789012.5", 9),
            "1.234…e11"
        );
        assert_eq!(short_number(5.0, "5", 3), "5");
    }
}
