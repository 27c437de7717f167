//! The editor files in `editors/`: the VS Code TextMate grammar is JSON of
//! the shape VS Code reads, and its scopes cover every keyword and built-in
//! function of the language (and nothing that is not one).

use serde_json::Value;

/// The words of a pattern's `match` of the form `\b(a|b|c)\b` or
/// `\b(a|b|c)(?=…)`.
fn words(pattern: &str) -> Vec<String> {
    let Some(rest) = pattern.strip_prefix("\\b(") else {
        return Vec::new();
    };
    let Some(end) = rest.find(')') else {
        return Vec::new();
    };
    rest[..end].split('|').map(str::to_owned).collect()
}

#[test]
fn the_textmate_grammar_parses_and_covers_the_keywords_and_functions() {
    let text = std::fs::read_to_string("editors/wb.tmLanguage.json").expect("grammar");
    let grammar: Value = serde_json::from_str(&text).expect("the grammar is JSON");
    assert_eq!(grammar["scopeName"], "source.wb");
    assert_eq!(grammar["fileTypes"], serde_json::json!(["wb"]));
    let patterns = grammar["patterns"].as_array().expect("patterns");
    let mut keywords = Vec::new();
    let mut functions = Vec::new();
    for p in patterns {
        let name = p["name"].as_str().expect("every pattern names its scope");
        assert!(name.ends_with(".wb"), "{name}");
        let m = p["match"].as_str().expect("every pattern has a match");
        if name.starts_with("keyword.control") || name.starts_with("keyword.other") {
            keywords.extend(words(m));
        }
        if name.starts_with("support.function") {
            functions.extend(words(m));
        }
    }
    let mut expected: Vec<String> = wb::syntax::KEYWORDS.iter().map(|k| k.to_string()).collect();
    expected.sort();
    keywords.sort();
    assert_eq!(
        keywords, expected,
        "the keyword scopes are the language's keywords"
    );
    let mut expected: Vec<String> = wb::syntax::Func::ALL
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    expected.sort();
    functions.sort();
    assert_eq!(functions, expected, "the function scope is the built-ins");
    // Comments come first, so that a keyword in a comment is a comment.
    assert!(patterns[0]["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("comment")));
}
