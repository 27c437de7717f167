//! Byte spans and line numbers.

/// A byte range in the source text. Stored as `u32` pairs to keep the syntax
/// tree small; sources over 4 GiB are refused before parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The span shifted right by `offset` bytes.
    pub fn shift(self, offset: usize) -> Span {
        Span::new(self.start as usize + offset, self.end as usize + offset)
    }

    /// The span as a range of byte offsets.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The text it covers, clamped to `src` and to character boundaries.
    pub fn text(self, src: &str) -> &str {
        let (s, e) = clamp(src, self.start as usize, self.end as usize);
        &src[s..e]
    }
}

/// Clamps `start..end` to `src`, on character boundaries.
pub fn clamp(src: &str, start: usize, end: usize) -> (usize, usize) {
    let mut s = start.min(src.len());
    while !src.is_char_boundary(s) {
        s -= 1;
    }
    let mut e = end.clamp(s, src.len());
    while !src.is_char_boundary(e) {
        e += 1;
    }
    (s, e)
}

/// Maps byte offsets to 1-based line and column numbers.
///
/// Line starts are `u32`, as spans are: a line starting past 4 GiB could not
/// be pointed at, and is not indexed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl Default for LineIndex {
    fn default() -> Self {
        LineIndex { starts: vec![0] }
    }
}

impl LineIndex {
    /// Indexes the line starts of `src`.
    pub fn new(src: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(src).map_while(|start| u32::try_from(start).ok()));
        LineIndex { starts }
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s as usize <= offset)
    }

    /// The 1-based line and column (in characters) of a byte offset in `src`.
    pub fn line_col(&self, src: &str, offset: usize) -> (usize, usize) {
        let line = self.line(offset);
        let start = self.starts[line - 1] as usize;
        let (s, e) = clamp(src, start, offset);
        (line, src[s..e].chars().count() + 1)
    }

    /// How many lines are indexed (a text without a newline has one).
    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// The byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts[(line.max(1) - 1).min(self.starts.len() - 1)] as usize
    }

    /// Indexes `appended`, text added at byte `offset` (the end of the text
    /// indexed so far): the REPL's session grows entry by entry.
    pub fn extend(&mut self, appended: &str, offset: usize) {
        self.starts.extend(
            memchr_newlines(appended).map_while(|start| u32::try_from(start + offset).ok()),
        );
    }

    /// Forgets the lines past byte `len` (the text was cut back to `len`).
    pub fn truncate(&mut self, len: usize) {
        let keep = self.starts.partition_point(|&s| s as usize <= len).max(1);
        self.starts.truncate(keep);
    }
}

/// The offset after each newline, found a word at a time: this reads every
/// byte of the source.
fn memchr_newlines(src: &str) -> impl Iterator<Item = usize> + '_ {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let bytes = src.as_bytes();
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    let whole = bytes.len() - tail.len();
    let in_words = words.enumerate().flat_map(|(k, c)| {
        let mut word = [0; 8];
        word.copy_from_slice(c);
        let w = u64::from_le_bytes(word) ^ (ONES * u64::from(b'\n'));
        // The high bit of each byte that is zero in `w` (a newline), exactly.
        let mut zero = !(((w & LOW7) + LOW7) | w | LOW7);
        std::iter::from_fn(move || {
            (zero != 0).then(|| {
                let i = zero.trailing_zeros() as usize / 8;
                zero &= zero - 1;
                k * 8 + i + 1
            })
        })
    });
    let in_tail = tail
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .map(move |(i, _)| whole + i + 1);
    in_words.chain(in_tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let src = "ab\ncé d\n";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(2), 1);
        assert_eq!(idx.line(3), 2);
        assert_eq!(idx.line_col(src, 6), (2, 3));
        assert_eq!(idx.line(src.len()), 3);
    }

    #[test]
    fn extending_and_truncating_match_indexing_anew() {
        let (a, b) = ("board 3\n", "write x = 1\nread x\n");
        let mut idx = LineIndex::new(a);
        idx.extend(b, a.len());
        assert_eq!(idx, LineIndex::new(&format!("{a}{b}")));
        idx.truncate(a.len());
        assert_eq!(idx, LineIndex::new(a));
    }

    #[test]
    fn newlines_are_found_in_words_and_in_the_tail() {
        for n in 0..40 {
            let src: String = (0..n)
                .map(|i| if i % 3 == 1 { '\n' } else { 'x' })
                .collect();
            let slow: Vec<usize> = src
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1)
                .collect();
            assert_eq!(memchr_newlines(&src).collect::<Vec<_>>(), slow, "{src:?}");
        }
        let odd = "\u{8a}\n\u{10a}\n\n\n\n\n\n\n\né\n";
        let slow: Vec<usize> = odd
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(memchr_newlines(odd).collect::<Vec<_>>(), slow);
    }

    #[test]
    fn clamping_respects_char_boundaries() {
        let src = "é";
        assert_eq!(clamp(src, 1, 1), (0, 2));
        assert_eq!(clamp(src, 0, 1), (0, 2));
        assert_eq!(clamp(src, 9, 12), (2, 2));
    }
}
