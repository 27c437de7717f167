//! The report: one self-contained HTML page (inline SVG and CSS, no
//! script, no network, no external asset) with the source and its
//! diagnostics, the reads and the pictures; readable on a phone (the
//! pictures scroll sideways at their natural size) and printable (they
//! shrink to the page).

use std::fmt::Write as _;

use super::svg::{count, cut, esc};
use crate::diag::{Diagnostic, Severity};
use crate::interp::Read;
use crate::number;
use crate::syntax::LineIndex;

/// Source lines shown at most (then counted).
pub const MAX_SOURCE_LINES: usize = 400;
/// The longest source line shown (then cut).
const MAX_LINE: usize = 240;
/// Rendered diagnostics shown at most.
pub const MAX_DIAGNOSTICS: usize = 50;
/// The longest rendered diagnostic kept.
const MAX_RENDERED: usize = 20_000;

/// A picture of the report.
pub struct Picture {
    /// The section's anchor (`board`, `gates`, `stream`).
    pub id: &'static str,
    /// Its heading.
    pub title: String,
    /// The SVG, or why there is none.
    pub svg: Result<String, String>,
    /// How to draw it alone (the command line).
    pub how: String,
    /// What it shows, in a sentence.
    pub caption: String,
}

/// What the report shows.
pub struct Page<'a> {
    /// The program's file name.
    pub subject: &'a str,
    /// Its source.
    pub src: &'a str,
    /// One line about the program (capacity, peak, the outcome).
    pub summary: String,
    /// Every diagnostic (`wb check`'s, then the run's).
    pub diagnostics: &'a [Diagnostic],
    /// Each rendered as `wb check` prints it (no colour).
    pub rendered: Vec<String>,
    /// The reads of the run (the first ones), and how many there were.
    pub reads: (&'a [Read], u64),
    /// The pictures.
    pub pictures: Vec<Picture>,
}

const CSS: &str = "\
:root{--ink:#1a1a1a;--muted:#5a5a5a;--rule:#d0d0d0;--err:#d55e00;--warn:#e69f00;--bg:#fff}
*{box-sizing:border-box}
body{margin:0 auto;max-width:72rem;padding:1rem;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);background:var(--bg)}
h1{font-size:1.5rem;margin:.2rem 0;word-break:break-all}
h2{font-size:1.2rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--rule)}
.summary{color:var(--muted);margin:.2rem 0}
nav{display:flex;flex-wrap:wrap;gap:.4rem 1rem;margin:.6rem 0}
nav a{color:#0072b2}
pre,code{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.85rem}
pre{overflow-x:auto;padding:.6rem;background:#f6f6f6;border:1px solid var(--rule);border-radius:4px;margin:.4rem 0}
.source .line{display:block}
.source .ln{color:var(--muted);user-select:none;display:inline-block;min-width:3.5ch;text-align:right;margin-right:1ch}
.source .error{background:#fbe3d6}
.source .warning{background:#fdf1d6}
.source .mark{font-weight:bold}
.source .error .mark{color:var(--err)}
.source .warning .mark{color:#8a5a00}
table{border-collapse:collapse;margin:.4rem 0}
td,th{border:1px solid var(--rule);padding:.2rem .6rem;text-align:left}
td.value{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;text-align:right}
figure{margin:.4rem 0}
.pic{overflow-x:auto;border:1px solid var(--rule);border-radius:4px;background:#fff}
.pic svg{display:block;max-width:none;height:auto}
figcaption{color:var(--muted);font-size:.9rem;margin:.3rem 0}
.how code{background:#f0f0f0;padding:0 .3em;border-radius:3px}
.none{color:var(--muted);font-style:italic}
footer{margin-top:2rem;color:var(--muted);font-size:.85rem}
@media (max-width:40rem){body{padding:.6rem;font-size:15px}h1{font-size:1.2rem}}
@media print{nav,.how{display:none}body{max-width:none;padding:0}
.pic{overflow:visible;border:none}.pic svg{max-width:100%;height:auto}
figure,tr,.source .line{break-inside:avoid}h2{break-after:avoid}pre{white-space:pre-wrap}}
";

/// The page, as HTML.
pub fn page(p: &Page) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>wb report: {s}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
         <header>\n<h1>{s}</h1>\n<p class=\"summary\" id=\"summary\">{sum}</p>\n",
        s = esc(p.subject),
        sum = esc(&p.summary)
    );
    out.push_str("<nav><a href=\"#source\">source</a><a href=\"#reads\">reads</a>");
    for pic in &p.pictures {
        let _ = write!(out, "<a href=\"#{}\">{}</a>", pic.id, esc(&pic.title));
    }
    out.push_str("</nav>\n</header>\n<main>\n");
    source(&mut out, p);
    reads(&mut out, p);
    for pic in &p.pictures {
        let _ = write!(
            out,
            "<section id=\"{}\">\n<h2>{}</h2>\n",
            pic.id,
            esc(&pic.title)
        );
        match &pic.svg {
            Ok(svg) => {
                let _ = write!(
                    out,
                    "<figure>\n<div class=\"pic\">\n{svg}</div>\n<figcaption>{}</figcaption>\n</figure>\n",
                    esc(&pic.caption)
                );
            }
            Err(why) => {
                let _ = writeln!(out, "<p class=\"none\">{}</p>", esc(why));
            }
        }
        let _ = writeln!(
            out,
            "<p class=\"how\">Alone, as SVG: <code>{}</code></p>\n</section>",
            esc(&pic.how)
        );
    }
    let _ = write!(
        out,
        "</main>\n<footer>Made by wb {} from {}. Hover a cell for its exact value.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        esc(p.subject)
    );
    out
}

fn source(out: &mut String, p: &Page) {
    let lines = LineIndex::new(p.src);
    // Each line's worst diagnostic and its first message.
    let mut marks: Vec<(usize, Severity, String)> = Vec::new();
    for d in p.diagnostics {
        if let Some(span) = d.primary_span() {
            let line = lines.line(span.start as usize);
            marks.push((
                line,
                d.severity,
                format!("{}[{}]: {}", sev(d.severity), d.code, d.message),
            ));
        }
    }
    out.push_str("<section id=\"source\">\n<h2>Source</h2>\n<pre class=\"source\">");
    let total = p.src.lines().count();
    for (k, text) in p.src.lines().take(MAX_SOURCE_LINES).enumerate() {
        let n = k + 1;
        let here: Vec<&(usize, Severity, String)> = marks.iter().filter(|m| m.0 == n).collect();
        let class = match here.iter().map(|m| m.1).max() {
            Some(Severity::Error) => " error",
            Some(Severity::Warning) => " warning",
            None => "",
        };
        let (shown, _) = cut(text, MAX_LINE);
        let _ = write!(
            out,
            "<span class=\"line{class}\" id=\"L{n}\"><span class=\"ln\">{n}</span>{}",
            esc(&shown)
        );
        if let Some(m) = here.first() {
            let _ = write!(
                out,
                "  <span class=\"mark\">◀ {}</span>",
                esc(&cut(&m.2, MAX_LINE).0)
            );
        }
        out.push_str("</span>");
    }
    if total > MAX_SOURCE_LINES {
        let _ = write!(
            out,
            "<span class=\"line\">… {} more lines not shown</span>",
            count((total - MAX_SOURCE_LINES) as u64)
        );
    }
    out.push_str("</pre>\n");
    if p.rendered.is_empty() {
        out.push_str("<p class=\"diagnostics none\">No errors, no warnings.</p>\n");
    } else {
        out.push_str("<div class=\"diagnostics\">\n");
        for r in p.rendered.iter().take(MAX_DIAGNOSTICS) {
            let _ = writeln!(
                out,
                "<pre class=\"diagnostic\">{}</pre>",
                esc(&cut(r, MAX_RENDERED).0)
            );
        }
        if p.rendered.len() > MAX_DIAGNOSTICS {
            let _ = writeln!(
                out,
                "<p>… {} more diagnostics (<code>wb check</code> lists them all)</p>",
                count((p.rendered.len() - MAX_DIAGNOSTICS) as u64)
            );
        }
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

fn sev(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn reads(out: &mut String, p: &Page) {
    out.push_str("<section id=\"reads\">\n<h2>Reads</h2>\n");
    let (reads, total) = p.reads;
    if reads.is_empty() {
        out.push_str("<p class=\"none\">The run read nothing.</p>\n</section>\n");
        return;
    }
    let looped = reads.iter().any(|r| r.index.is_some());
    out.push_str("<table class=\"reads\">\n<thead><tr><th>line</th>");
    if looped {
        out.push_str("<th>element</th>");
    }
    out.push_str("<th>read</th><th>value</th></tr></thead>\n<tbody>\n");
    for r in reads {
        let _ = write!(out, "<tr><td>{}</td>", r.line);
        if looped {
            let _ = write!(
                out,
                "<td>{}</td>",
                r.index.map_or(String::new(), |i| i.to_string())
            );
        }
        let _ = writeln!(
            out,
            "<td><code>{}</code></td><td class=\"value\">{}</td></tr>",
            esc(&cut(&r.text, MAX_LINE).0),
            number::format(r.value)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    if total > reads.len() as u64 {
        let _ = writeln!(
            out,
            "<p>The first {} of {} reads (<code>wb run</code> prints them all).</p>",
            reads.len(),
            count(total)
        );
    }
    out.push_str("</section>\n");
}
