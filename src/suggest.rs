//! "Did you mean": the nearest known name by edit distance.

/// The candidate closest to `word`, if one is close enough to be a likely
/// typo, by rustc's rules (`find_best_match_for_name`): at most
/// `max(len, 3) / 3` edits, lengths within that many characters and within
/// a factor of two of each other. And never a guess that shares nothing
/// with the word: every one-letter name is one edit from every other, so a
/// one-letter word is matched only by a change of case (`X` for `x`).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let n = word.chars().count();
    let limit = n.max(3) / 3;
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .filter_map(|c| {
            if c.to_lowercase() == lower {
                return Some((0, c));
            }
            let m = c.chars().count();
            if n.abs_diff(m) > limit || n * 2 < m || m * 2 < n {
                return None;
            }
            let d = distance(word, c);
            // A guess must keep some of the word.
            (d <= limit && d < n.max(m)).then_some((d, c))
        })
        .min_by_key(|&(d, c)| (d, c.len()))
        .map(|(_, c)| c)
}

/// Edit distance over characters where swapping two neighbours counts as
/// one edit, as typing mistakes do (`alpah` is one edit from `alpha`): the
/// optimal-string-alignment distance, three rows of memory.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut row: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            row[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(nearest("reslt", ["result", "res", "a"]), Some("result"));
        assert_eq!(nearest("zzz", ["result"]), None);
        assert_eq!(nearest("sqr", ["sqrt", "exp"]), Some("sqrt"));
        assert_eq!(distance("alpah", "alpha"), 1);
        assert_eq!(nearest("alpah", ["alpha", "beta"]), Some("alpha"));
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("ab", "ba"), 1);
        // No guess for a one-letter name, but a change of case is one.
        assert_eq!(nearest("b", ["a", "c"]), None);
        assert_eq!(nearest("X", ["x", "y"]), Some("x"));
        assert_eq!(nearest("ab", ["ac"]), Some("ac"));
        assert_eq!(nearest("ab", ["abcde"]), None);
    }
}
