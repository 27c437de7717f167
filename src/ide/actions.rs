//! Code actions: every structured fix of the diagnostics at a place,
//! "reorder to fit" (the order of the statements `wb plan`'s search finds)
//! at a `board_full` no moving of forgets cures, and "fix all forgets", the
//! rewrite `wb check --fix` makes.

use crate::diag::{Applicability, Code, Diagnostic, Edit};
use crate::plan::statements::{self, Fewest};
use crate::syntax::{self, Span};

use super::Document;

/// A code action: a title, its edits, and the diagnostic it fixes.
#[derive(Clone, Debug, PartialEq)]
pub struct CodeAction {
    /// What it does, in words.
    pub title: String,
    /// The edits, in source order, not overlapping.
    pub edits: Vec<Edit>,
    /// The diagnostic it fixes (none for "fix all forgets").
    pub fixes: Option<Diagnostic>,
    /// Whether an editor may apply it without asking (machine-applicable).
    pub preferred: bool,
}

impl Document {
    /// The actions for the text in `range`: the fixes of every diagnostic
    /// whose primary span touches it, then "fix all forgets" when `wb check
    /// --fix` would change the file.
    pub fn code_actions(&self, range: Span) -> Vec<CodeAction> {
        let mut out = Vec::new();
        let mut full = false;
        for d in self.diagnostics() {
            let touches = d
                .primary_span()
                .is_some_and(|s| s.start <= range.end && range.start <= s.end);
            if !touches {
                continue;
            }
            full |= d.code == Code::BoardFull;
            for f in &d.fixes {
                out.push(CodeAction {
                    title: f.message.clone(),
                    edits: f.edits.clone(),
                    fixes: Some(d.clone()),
                    preferred: f.applicability == Applicability::MachineApplicable,
                });
            }
        }
        if full {
            out.extend(self.reorder_to_fit());
        }
        if let Some(all) = self.fix_all_forgets() {
            out.push(all);
        }
        out
    }

    /// "Reorder to fit": when the order as written needs more slots than
    /// the board has however the forgets are placed, and another order of
    /// the same statements fits (the fewest over all orders, proven by
    /// [`statements::fewest_slots`]), the program in that order
    /// ([`statements::reordered`]) with its forgets placed as `wb check
    /// --fix` places them. Each statement's text is kept, so the program
    /// reads the same values; comments are not carried over, and the title
    /// says so. `None` when the program does not parse, has a loop, fits
    /// already, or no order fits; offered only once the result is checked
    /// and has no errors.
    pub fn reorder_to_fit(&self) -> Option<CodeAction> {
        if self.broken_at.is_some() {
            return None;
        }
        let capacity = self.analysis.capacity?;
        let this = self.analysis.min_capacity;
        if this <= capacity {
            return None;
        }
        let full = self
            .analysis
            .diagnostics
            .iter()
            .find(|d| d.code == Code::BoardFull)?;
        let program = &self.parsed.program;
        let Fewest::Slots(n, order) = statements::fewest_slots(program, statements::CHECK_LIMITS)
        else {
            return None;
        };
        if n > capacity {
            return None;
        }
        let reordered = statements::reordered(program, &self.text, &order);
        let parsed = syntax::parse(&reordered);
        if !parsed.diagnostics.is_empty() {
            return None;
        }
        let analysis = crate::check::check_source(&parsed.program, &reordered, None);
        let fixed = crate::check::fix(&parsed.program, &reordered, &analysis).ok()?;
        let after = syntax::parse(&fixed.text);
        let checked = crate::check::check_source(&after.program, &fixed.text, None);
        if !after.diagnostics.is_empty() || checked.has_errors() {
            return None;
        }
        let comments = if self.text.contains('#') {
            "; comments are not kept"
        } else {
            ""
        };
        Some(CodeAction {
            title: format!("reorder to fit (`wb plan`): {n} slots instead of {this}{comments}"),
            edits: vec![Edit {
                span: Span::new(0, self.text.len()),
                replacement: fixed.text,
            }],
            fixes: Some(full.clone()),
            preferred: false,
        })
    }

    /// "Fix all forgets": each `forget` right after its value's last read,
    /// as `wb check --fix` writes it; one edit of the whole text. `None`
    /// when the program does not parse, has errors moving forgets cannot
    /// repair, or is already so.
    pub fn fix_all_forgets(&self) -> Option<CodeAction> {
        if self.broken_at.is_some() {
            return None;
        }
        let fixed = crate::check::fix(&self.parsed.program, &self.text, &self.analysis).ok()?;
        if !fixed.changed() {
            return None;
        }
        Some(CodeAction {
            title: format!(
                "fix all forgets (`wb check --fix`): {} added, {} removed",
                fixed.added, fixed.removed
            ),
            edits: vec![Edit {
                span: Span::new(0, self.text.len()),
                replacement: fixed.text,
            }],
            fixes: None,
            preferred: false,
        })
    }
}

/// Applies `edits` (in source order, not overlapping) to `text`.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        let (s, end) = crate::syntax::span::clamp(text, e.span.start as usize, e.span.end as usize);
        if s < at {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(&e.replacement);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}
