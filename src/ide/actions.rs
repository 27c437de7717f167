//! Code actions: every structured fix of the diagnostics at a place, and
//! "fix all forgets", the rewrite `wb check --fix` makes.

use crate::diag::{Applicability, Diagnostic, Edit};
use crate::syntax::Span;

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
        for d in self.diagnostics() {
            let touches = d
                .primary_span()
                .is_some_and(|s| s.start <= range.end && range.start <= s.end);
            if !touches {
                continue;
            }
            for f in &d.fixes {
                out.push(CodeAction {
                    title: f.message.clone(),
                    edits: f.edits.clone(),
                    fixes: Some(d.clone()),
                    preferred: f.applicability == Applicability::MachineApplicable,
                });
            }
        }
        if let Some(all) = self.fix_all_forgets() {
            out.push(all);
        }
        out
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
