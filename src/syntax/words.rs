//! pest's errors, said in words: "expected `=` after the name `x`, found `+`".

use pest::error::{ErrorVariant, InputLocation};

use crate::diag::{Applicability, Code, Diagnostic, Edit, Fix};

use super::ast::KEYWORDS;
use super::span::Span;
use super::Rule;

/// Converts a pest error from parsing `src[base..]` into a diagnostic.
pub(crate) fn syntax_error(src: &str, base: usize, e: pest::error::Error<Rule>) -> Diagnostic {
    let at = base
        + match e.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    let positives = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let mut expected = expected_words(&positives);
    let (mut found, mut found_len) = found(src, at);
    let mut after = previous_token(src, at);
    let mut at = at;
    // pest names the last rule it tried: for `board 3 4` that is the number
    // `3`, which is there. What is wrong is what follows it.
    if expected.ends_with("a number") && number_len(&src[at.min(src.len())..]) == Some(found_len) {
        let past = at + found_len;
        let next = past + src[past..].len() - src[past..].trim_start_matches([' ', '\t']).len();
        after = Some(format!("the number `{}`", &src[at..past]));
        at = next;
        (found, found_len) = self::found(src, at);
        expected = "a new line or `;`".to_owned();
    }
    let mut message = format!("expected {expected}");
    if let Some(prev) = &after {
        message.push_str(&format!(" after {prev}"));
    }
    message.push_str(&format!(", found {found}"));
    let span = Span::new(at, at + found_len);
    let mut d = Diagnostic::error(Code::Syntax, message, span, format!("expected {expected}"));
    if positives.contains(&Rule::rbrace) && at >= src.len() {
        if let Some(open) = unclosed_brace(src) {
            d = d
                .with_label(Span::new(open, open + 1), "this block is not closed")
                .with_help("close the block with `}`");
            return d;
        }
    }
    if src[at.min(src.len())..].starts_with('\r') && !src[at..].starts_with("\r\n") {
        d = d.with_help(
            "a carriage return alone (U+000D, old Mac line endings) does not end a line in `wb`: save the file with `\\n` or `\\r\\n` line endings",
        );
    } else if let Some(help) = help_for(src, at, &positives) {
        d = d.with_help(help);
    }
    if let Some(fix) = fix_for(src, at, &positives) {
        d = d.with_fix(fix);
    }
    d
}

/// The exact replacement for a slip, where one is known: `print` for
/// `read`, `==` for `=` in a `write`. A person looks at it first (it changes
/// what the line means), so never machine-applicable.
fn fix_for(src: &str, at: usize, positives: &[Rule]) -> Option<Fix> {
    let rest = &src[at.min(src.len())..];
    let word_len = rest
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    let word = &rest[..word_len];
    let line_start = src[..at.min(src.len())].rfind('\n').map_or(0, |i| i + 1);
    let before = src[line_start..at.min(src.len())].trim_end();
    let (message, span, text) = if expects_statement(positives)
        && matches!(word, "print" | "echo" | "show" | "output" | "puts")
    {
        (
            format!("replace `{word}` with `read`"),
            Span::new(at, at + word_len),
            "read",
        )
    } else if before.ends_with('=')
        && rest.starts_with('=')
        && before.trim_start().starts_with("write")
    {
        ("write a single `=`".to_owned(), Span::new(at, at + 1), "")
    } else {
        return None;
    };
    Some(Fix {
        message,
        edits: vec![Edit {
            span,
            replacement: text.to_owned(),
        }],
        applicability: Applicability::MaybeIncorrect,
    })
}

/// Whether a statement (or declaration) could start here.
fn expects_statement(positives: &[Rule]) -> bool {
    positives.iter().any(|r| {
        matches!(
            r,
            Rule::next_item
                | Rule::kw_write
                | Rule::kw_forget
                | Rule::kw_read
                | Rule::kw_each
                | Rule::kw_repeat
                | Rule::write
                | Rule::forget
                | Rule::read
                | Rule::each
                | Rule::repeat
                | Rule::board_decl
                | Rule::input_decl
                | Rule::stream_decl
        )
    })
}

fn expected_words(positives: &[Rule]) -> String {
    let mut words: Vec<&str> = Vec::new();
    let mut push = |w: &'static str| {
        if !words.contains(&w) {
            words.push(w);
        }
    };
    let has = |r: Rule| positives.contains(&r);
    let expression = has(Rule::expr)
        || has(Rule::neg)
        || has(Rule::group)
        || (has(Rule::name) && has(Rule::number));
    let statement = expects_statement(positives);
    if statement {
        push("a statement");
    }
    if expression {
        push("an expression");
    }
    for r in positives {
        let w = match r {
            Rule::name if !expression => "a name",
            Rule::number | Rule::literal | Rule::sign if !expression => "a number",
            Rule::eq => "`=`",
            Rule::comma => "`,`",
            Rule::lparen => "`(`",
            Rule::rparen => "`)`",
            Rule::lbrace => "`{`",
            Rule::rbrace => "`}`",
            Rule::lbracket => "`[`",
            Rule::rbracket => "`]`",
            Rule::kw_when => "`when`",
            Rule::kw_gate => "`gate`",
            Rule::infix => "an operator",
            Rule::sep | Rule::at_eoi => "the end of the statement",
            _ => continue,
        };
        push(w);
    }
    match words.len() {
        0 => "something else".to_owned(),
        1 => words[0].to_owned(),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

/// What stands at `at`, in words, and how many bytes to underline.
fn found(src: &str, at: usize) -> (String, usize) {
    let rest = &src[at.min(src.len())..];
    let Some(c) = rest.chars().next() else {
        return ("the end of the file".into(), 0);
    };
    if c == '\n' || rest.starts_with("\r\n") {
        return ("the end of the line".into(), 0);
    }
    if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .take(40)
            .collect();
        let len = word.len();
        if KEYWORDS.contains(&word.as_str()) {
            return (format!("the keyword `{word}`"), len);
        }
        return (format!("`{word}`"), len);
    }
    if c.is_control() || c.is_whitespace() {
        return (format!("the character U+{:04X}", c as u32), c.len_utf8());
    }
    (format!("`{c}`"), c.len_utf8())
}

/// The length of the number (as the grammar writes one: `12`, `1.5`,
/// `2e-3`) at the start of `text`, if one starts there.
fn number_len(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = digits(0);
    if i == 0 {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1 + digits(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        let n = digits(i + 1 + sign);
        if n > 0 {
            i += 1 + sign + n;
        }
    }
    Some(i)
}

/// The token just before `at` on the same line, in words.
fn previous_token(src: &str, at: usize) -> Option<String> {
    let line_start = src[..at.min(src.len())].rfind('\n').map_or(0, |i| i + 1);
    let before = src[line_start..at.min(src.len())].trim_end();
    let last = before.chars().last()?;
    if last.is_ascii_alphanumeric() || last == '_' {
        let word_start = |end: usize| {
            before[..end]
                .char_indices()
                .rev()
                .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .map_or(0, |(i, c)| i + c.len_utf8())
        };
        let mut start = word_start(before.len());
        // `1.5e-3`: the exponent's sign splits the word; the number is whole.
        let b = before.as_bytes();
        if start >= 2 && matches!(b[start - 1], b'-' | b'+') && matches!(b[start - 2], b'e' | b'E')
        {
            let earlier = word_start(start - 1);
            if number_len(&before[earlier..]).is_some_and(|n| earlier + n >= start) {
                start = earlier;
            }
        }
        let word = &before[start..];
        if KEYWORDS.contains(&word) {
            return Some(format!("`{word}`"));
        }
        if word.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            return Some(format!("the number `{word}`"));
        }
        return Some(format!("the name `{word}`"));
    }
    Some(format!("`{last}`"))
}

/// The byte offset of the last `{` that no `}` closes (comments skipped).
fn unclosed_brace(src: &str) -> Option<usize> {
    let mut open = Vec::new();
    let mut in_comment = false;
    for (i, b) in src.bytes().enumerate() {
        match (in_comment, b) {
            (true, b'\n') => in_comment = false,
            (true, _) => {}
            (false, b'#') => in_comment = true,
            (false, b'{') => open.push(i),
            (false, b'}') => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

fn help_for(src: &str, at: usize, positives: &[Rule]) -> Option<String> {
    let rest = &src[at.min(src.len())..];
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if positives.contains(&Rule::name) && KEYWORDS.contains(&word.as_str()) {
        return Some(format!(
            "`{word}` is a keyword and cannot be a name; the keywords are {}",
            KEYWORDS.join(", ")
        ));
    }
    let statement_expected = expects_statement(positives);
    let is_name = word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    let line_start = src[..at.min(src.len())].rfind('\n').map_or(0, |i| i + 1);
    let before = src[line_start..at.min(src.len())].trim_end();
    let line_rest = rest.lines().next().unwrap_or("");
    let line_rest = line_rest.split('#').next().unwrap_or("").trim();
    if statement_expected && matches!(word.as_str(), "print" | "echo" | "show" | "output" | "puts")
    {
        let what = line_rest[word.len()..].trim();
        let what = what.trim_start_matches('(').trim_end_matches(')').trim();
        let what = if what.is_empty() { "x" } else { what };
        return Some(format!(
            "`wb` outputs values with `read`: write `read {what}`"
        ));
    }
    if statement_expected && matches!(word.as_str(), "input" | "stream" | "board") {
        return Some(format!(
            "declarations come first, at the top level, not inside a loop: move this `{word}` line above the loop"
        ));
    }
    if before.ends_with('=') && rest.starts_with('=') && before.trim_start().starts_with("write") {
        return Some(
            "a `write` assigns with a single `=`: `write x = 1`; `==` compares, inside an expression".into(),
        );
    }
    if before.ends_with("repeat") {
        return Some(
            "`repeat` takes a whole-number constant, as in `repeat 3 { … }`: the board must not depend on \
             input values, so a count cannot come from an input or a board value"
                .into(),
        );
    }
    let trimmed = before.trim_start();
    if (trimmed.starts_with("input") || trimmed.starts_with("stream"))
        && positives.contains(&Rule::comma)
        && rest.starts_with(['+', '-', '*', '/', '%', '^', '('])
    {
        return Some(
            "a default is a number, with an optional sign (`input a = -2`); compute other values on the \
             board with `write`"
                .into(),
        );
    }
    if let Some(f) = crate::syntax::Func::ALL
        .iter()
        .find(|f| before.ends_with(f.name()) && !before.ends_with(&format!("_{}", f.name())))
    {
        if positives.contains(&Rule::lparen) && !rest.starts_with('(') {
            let arg = line_rest.split([',', ';']).next().unwrap_or("x").trim();
            return Some(format!(
                "a function's argument goes in parentheses: `{}({arg})`",
                f.name()
            ));
        }
    }
    if statement_expected && word.starts_with(|c: char| c.is_ascii_digit()) {
        return Some(format!("to output a value, write `read {word}`"));
    }
    if statement_expected && is_name && !KEYWORDS.contains(&word.as_str()) {
        let after = rest[word.len()..].trim_start();
        return Some(if after.starts_with('=') && !after.starts_with("==") {
            format!("to put a value on the board, write `write {word} = …`")
        } else {
            format!(
                "a statement starts with a keyword: `write {word} = …`, `read {word}`, `forget {word}`, `each`, `repeat`"
            )
        });
    }
    if statement_expected {
        return Some(
            "a statement starts with a keyword: `write`, `read`, `forget`, `each` or `repeat`"
                .into(),
        );
    }
    if positives.contains(&Rule::eq) && rest.starts_with("==") {
        return Some("a `write` assigns with a single `=`".into());
    }
    if rest.starts_with('.') {
        return Some("a number starts with a digit: write `0.5`, not `.5`".into());
    }
    None
}
