//! A linear pre-scan that bounds nesting before pest (which recurses once per
//! nested group) sees the text, and tells the REPL when a block is still open.

use crate::diag::{Code, Diagnostic};

use super::span::Span;

/// How deep parentheses (and brackets) may nest.
pub const MAX_PAREN_DEPTH: usize = 64;
/// How deep `each`/`repeat` blocks may nest.
pub const MAX_BLOCK_DEPTH: usize = 16;

/// Walks the text once, skipping comments; reports the first bracket that
/// opens past the limit.
pub(crate) fn check_depth(src: &str) -> Option<Diagnostic> {
    // Most bytes are none of these: skip them with a table lookup (this
    // pass reads every byte of a million-statement program).
    static MATTERS: [bool; 256] = {
        let mut t = [false; 256];
        let mut k = 0;
        let bytes = b"#([)]{}\n;";
        while k < bytes.len() {
            t[bytes[k] as usize] = true;
            k += 1;
        }
        t
    };
    let bytes = src.as_bytes();
    let mut parens = 0usize;
    let mut blocks = 0usize;
    let mut i = 0;
    while let Some(skip) = bytes[i..].iter().position(|&b| MATTERS[b as usize]) {
        i += skip;
        match bytes[i] {
            b'#' => {
                i += bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(bytes.len() - i);
                continue;
            }
            b'(' | b'[' => {
                parens += 1;
                if parens > MAX_PAREN_DEPTH {
                    return Some(too_deep(i, "parentheses", MAX_PAREN_DEPTH));
                }
            }
            b')' | b']' => parens = parens.saturating_sub(1),
            b'{' => {
                blocks += 1;
                if blocks > MAX_BLOCK_DEPTH {
                    return Some(too_deep(i, "loops", MAX_BLOCK_DEPTH));
                }
            }
            b'}' => blocks = blocks.saturating_sub(1),
            _ => parens = 0,
        }
        i += 1;
    }
    None
}

fn too_deep(at: usize, what: &str, limit: usize) -> Diagnostic {
    Diagnostic::error(
        Code::NestingTooDeep,
        format!("{what} are nested more than {limit} deep"),
        Span::new(at, at + 1),
        format!("level {} opens here", limit + 1),
    )
    .with_help(format!(
        "`wb` allows {what} up to {limit} levels deep: give an inner part its own name with `write`"
    ))
}

/// Whether `src` ends inside an open `{ … }` block, so that an interactive
/// reader should ask for another line rather than report an error.
pub fn is_incomplete(src: &str) -> bool {
    let mut depth = 0i64;
    let mut in_comment = false;
    for b in src.bytes() {
        match (in_comment, b) {
            (true, b'\n') => in_comment = false,
            (true, _) => {}
            (false, b'#') => in_comment = true,
            (false, b'{') => depth += 1,
            (false, b'}') => depth -= 1,
            _ => {}
        }
    }
    depth > 0
}

/// Where parsing resumes after a syntax error at `at` in the item that
/// starts at `from`: just past the next newline or `;` outside a comment,
/// and how many blocks the failed text opened (their statements are parsed
/// as they come; their `}` is skipped by [`closing_brace`]). `None` at the
/// end of the text.
pub(crate) fn recover(src: &str, from: usize, at: usize) -> Option<(usize, usize)> {
    let bytes = src.as_bytes();
    let at = at.min(bytes.len()).max(from);
    let mut depth: i64 = 0;
    let mut in_comment = false;
    for &b in &bytes[from..at] {
        match (in_comment, b) {
            (true, b'\n') => in_comment = false,
            (true, _) => {}
            (false, b'#') => in_comment = true,
            (false, b'{') => depth += 1,
            (false, b'}') => depth -= 1,
            _ => {}
        }
    }
    let mut i = at;
    while i < bytes.len() {
        match (in_comment, bytes[i]) {
            (_, b'\n') => return Some((i + 1, depth.max(0) as usize)),
            (true, _) => {}
            (false, b'#') => in_comment = true,
            (false, b';') => return Some((i + 1, depth.max(0) as usize)),
            (false, b'{') => depth += 1,
            (false, b'}') => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// If the next thing after `pos` (blanks, comments and line ends skipped)
/// is a `}`, the position just past it.
pub(crate) fn closing_brace(src: &str, pos: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut i = pos;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b';' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'}' => return Some(i + 1),
            _ => return None,
        }
    }
    None
}
