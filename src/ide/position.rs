//! Byte offsets ↔ editor positions (line, column), in UTF-8 bytes or UTF-16
//! code units, with `\n`, `\r\n` and a lone `\r` all ending a line, as the
//! Language Server Protocol counts them.

/// How an editor counts columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 bytes.
    Utf8,
    /// UTF-16 code units (the protocol's default).
    Utf16,
}

/// A 0-based line and column, the column counted in an [`Encoding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// 0-based line.
    pub line: u32,
    /// 0-based column.
    pub column: u32,
}

/// The line starts of one text.
#[derive(Clone, Debug)]
pub struct LineMap {
    /// Byte offset where each line starts.
    starts: Vec<usize>,
    /// Whether the text is all ASCII (then every encoding counts bytes).
    ascii: bool,
    len: usize,
}

impl LineMap {
    /// Indexes `text`.
    pub fn new(text: &str) -> LineMap {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineMap {
            starts,
            ascii: text.is_ascii(),
            len: text.len(),
        }
    }

    /// The number of lines (a text ending with a newline has an empty last
    /// line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The byte offset where 0-based `line` starts (the end of the text past
    /// the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.len)
    }

    /// The byte offset where `line`'s content ends (before its line break).
    pub fn line_end(&self, text: &str, line: usize) -> usize {
        let next = self.starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        let mut end = next.max(self.line_start(line));
        if end > self.line_start(line) && line + 1 < self.starts.len() {
            end -= 1;
            if bytes[end] == b'\n' && end > self.line_start(line) && bytes[end - 1] == b'\r' {
                end -= 1;
            }
        }
        end
    }

    /// The position of a byte offset (clamped to the text, and back to a
    /// character boundary).
    pub fn position(&self, text: &str, offset: usize, enc: Encoding) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = match enc {
            _ if self.ascii => offset - start,
            Encoding::Utf8 => offset - start,
            Encoding::Utf16 => text[start..offset].encode_utf16().count(),
        };
        Position {
            line: line as u32,
            column: column as u32,
        }
    }

    /// The byte offset of a position. A column past the line's end is the
    /// line's end; a line past the last is the end of the text; a UTF-16
    /// column inside a surrogate pair is the start of its character.
    pub fn offset(&self, text: &str, pos: Position, enc: Encoding) -> usize {
        let line = pos.line as usize;
        if line >= self.starts.len() {
            return text.len();
        }
        let start = self.starts[line];
        let end = self.line_end(text, line);
        let want = pos.column as usize;
        if self.ascii || enc == Encoding::Utf8 {
            let mut o = (start + want).min(end);
            while !text.is_char_boundary(o) {
                o -= 1;
            }
            return o;
        }
        let mut units = 0;
        for (i, c) in text[start..end].char_indices() {
            let next = units + c.len_utf16();
            if next > want {
                return start + i;
            }
            units = next;
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str, enc: Encoding) {
        let map = LineMap::new(text);
        for (o, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let p = map.position(text, o, enc);
            let back = map.offset(text, p, enc);
            // A line break's second byte maps to the line's end.
            let ok = back == o || text[back..o].chars().all(|c| c == '\r' || c == '\n');
            assert!(ok, "{text:?} {o} -> {p:?} -> {back}");
        }
    }

    #[test]
    fn utf16_columns_count_code_units() {
        let text = "é𝄞x\nab";
        let map = LineMap::new(text);
        // é is 1 unit, 𝄞 is 2.
        assert_eq!(map.position(text, 6, Encoding::Utf16).column, 3);
        assert_eq!(map.position(text, 6, Encoding::Utf8).column, 6);
        assert_eq!(
            map.offset(text, Position { line: 0, column: 3 }, Encoding::Utf16),
            6
        );
        assert_eq!(
            map.offset(text, Position { line: 0, column: 2 }, Encoding::Utf16),
            2
        );
        assert_eq!(
            map.offset(text, Position { line: 1, column: 1 }, Encoding::Utf16),
            9
        );
    }

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        let text = "a\r\nbc\rd\n";
        let map = LineMap::new(text);
        assert_eq!(map.line_count(), 4);
        assert_eq!(
            map.position(text, 3, Encoding::Utf16),
            Position { line: 1, column: 0 }
        );
        assert_eq!(
            map.position(text, 6, Encoding::Utf16),
            Position { line: 2, column: 0 }
        );
        assert_eq!(map.line_end(text, 0), 1);
        assert_eq!(
            map.offset(text, Position { line: 0, column: 9 }, Encoding::Utf16),
            1
        );
        assert_eq!(
            map.offset(text, Position { line: 9, column: 0 }, Encoding::Utf16),
            8
        );
    }

    #[test]
    fn every_offset_round_trips() {
        for text in ["", "a\r\nb", "é\r\n𝄞 z\n", "x\ry\n\n", "ab"] {
            round_trip(text, Encoding::Utf8);
            round_trip(text, Encoding::Utf16);
        }
    }
}
