use super::*;
use crate::diag::{Applicability, Code, Edit, Fix};

const WHITEBOARD: &str = include_str!("../../examples/whiteboard.wb");
const MEAN: &str = include_str!("../../examples/running_mean.wb");

fn at(text: &str, needle: &str, nth: usize) -> usize {
    text.match_indices(needle).nth(nth).expect("needle").0
}

fn lines(doc: &Document, spans: &[Span]) -> Vec<usize> {
    spans.iter().map(|s| doc.line(s.start)).collect()
}

#[test]
fn diagnostics_are_wb_checks() {
    let text = "board 1\nwrite a = 1\nwrite b = 2\nread a, b\n";
    let doc = Document::new(text);
    let d = doc.diagnostics();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, Code::BoardFull);
    assert_eq!(doc.line(d[0].primary_span().unwrap().start), 3);
}

#[test]
fn a_text_that_does_not_parse_keeps_the_errors_before_it() {
    let text = "board 1\nwrite a = 1\nwrite b = 2\nread a\nwrite = 3\nread zz\n";
    let d = Document::new(text).diagnostics();
    let codes: Vec<Code> = d.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec![Code::BoardFull, Code::Syntax]);
}

#[test]
fn hover_on_a_board_value_tells_its_slot_and_life() {
    let doc = Document::new(WHITEBOARD);
    let h = doc.hover(at(WHITEBOARD, "= bd + a", 0) + 2).expect("hover");
    assert!(
        h.markdown
            .starts_with("**`bd`**: board value, slot 2 here (unit u1 in the cell)"),
        "{}",
        h.markdown
    );
    assert!(h.markdown.contains("- written on line 6"), "{}", h.markdown);
    assert!(
        h.markdown
            .contains("- not read again (last read on line 7)"),
        "{}",
        h.markdown
    );
    assert!(
        h.markdown.contains("- forgotten on line 8"),
        "{}",
        h.markdown
    );
    let h = doc.hover(at(WHITEBOARD, " a = 1", 0) + 1).expect("hover");
    assert!(
        h.markdown.starts_with("**`a`**: input, default `1`"),
        "{}",
        h.markdown
    );
}

#[test]
fn hover_on_a_statement_shows_the_board_after_it() {
    let doc = Document::new(WHITEBOARD);
    let h = doc
        .hover(at(WHITEBOARD, "write bd_a", 0) + 1)
        .expect("hover");
    assert_eq!(
        h.markdown,
        "board after line 7: `[ ac | bd | bd_a ] 3/3 full`"
    );
    let h = doc
        .hover(at(WHITEBOARD, "forget bd", 0) + 1)
        .expect("hover");
    assert_eq!(h.markdown, "board after line 8: `[ ac | · | bd_a ] 2/3`");
}

#[test]
fn inlay_hints_count_the_board() {
    let doc = Document::new(WHITEBOARD);
    let labels: Vec<String> = doc.inlay_hints().into_iter().map(|h| h.label).collect();
    assert_eq!(
        labels,
        ["1/3", "2/3", "3/3 full", "2/3", "3/3 full", "2/3", "3/3 full", "2/3", "3/3 full"]
    );
}

#[test]
fn a_read_in_a_loop_has_two_definitions() {
    let doc = Document::new(MEAN);
    let read = at(MEAN, "n + 1", 0);
    let defs = doc.definition(read);
    assert_eq!(
        lines(&doc, &defs),
        vec![9, 6],
        "the previous iteration, then before the loop"
    );
    // After the in-loop write, only that write reaches.
    let defs = doc.definition(at(MEAN, "/ n", 0) + 2);
    assert_eq!(lines(&doc, &defs), vec![9]);
}

#[test]
fn references_and_rename_follow_one_life() {
    let text = "board 2\nwrite t = 1\nread t\nforget t\nwrite t = 2\nread t\n";
    let doc = Document::new(text);
    let first = doc.references(at(text, "read t", 0) + 5, true);
    assert_eq!(lines(&doc, &first), vec![2, 3, 4]);
    let second = doc.references(at(text, "read t", 1) + 5, true);
    assert_eq!(lines(&doc, &second), vec![5, 6]);
    let r = doc.rename(at(text, "read t", 1) + 5, "u").expect("rename");
    let edits: Vec<Edit> = r
        .edits
        .iter()
        .map(|&span| Edit {
            span,
            replacement: "u".into(),
        })
        .collect();
    let renamed = apply(text, &edits);
    assert_eq!(
        renamed,
        "board 2\nwrite t = 1\nread t\nforget t\nwrite u = 2\nread u\n"
    );
    assert!(Document::new(renamed).diagnostics().is_empty());
    assert!(r.what.contains("one value of `t`"), "{}", r.what);
    assert!(doc.rename(at(text, "t = 1", 0), "read").is_err());
    assert!(doc.rename(at(text, "t = 1", 0), "t").is_err());
}

#[test]
fn symbols_list_values_and_loops() {
    let doc = Document::new(MEAN);
    let names: Vec<(String, SymbolKind)> = doc
        .symbols()
        .into_iter()
        .map(|s| (s.name, s.kind))
        .collect();
    assert_eq!(
        names,
        vec![
            ("board 2".to_owned(), SymbolKind::Board),
            ("x".to_owned(), SymbolKind::Stream),
            ("n".to_owned(), SymbolKind::Value),
            ("mean".to_owned(), SymbolKind::Value),
            ("each x".to_owned(), SymbolKind::Loop),
        ]
    );
}

#[test]
fn code_actions_offer_the_diagnostics_fixes() {
    let text = "board 1\nwrite a = 1\nread a\nwrite b = 2\nread b\n";
    let doc = Document::new(text);
    let mut d = doc.diagnostics().remove(0);
    assert_eq!(d.code, Code::BoardFull);
    // A fix as the checker would attach it, built here.
    d.fixes = vec![Fix {
        message: "add `forget a` before line 4".into(),
        edits: vec![Edit {
            span: Span::new(27, 27),
            replacement: "forget a\n".into(),
        }],
        applicability: Applicability::MachineApplicable,
    }];
    let mut doc = doc;
    doc.analysis.diagnostics = vec![d];
    let actions = doc.code_actions(Span::new(33, 33));
    assert_eq!(actions[0].title, "add `forget a` before line 4");
    assert!(actions[0].preferred);
    let fixed = apply(text, &actions[0].edits);
    assert!(Document::new(fixed).diagnostics().is_empty());
    // "fix all forgets" is what `wb check --fix` writes.
    let all = actions.last().expect("fix all");
    assert!(all.title.starts_with("fix all forgets"), "{}", all.title);
    let fixed = apply(text, &all.edits);
    assert!(Document::new(fixed).diagnostics().is_empty());
}
