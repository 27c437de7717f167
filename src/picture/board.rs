//! The board over time: slots as rows, statements as columns, each value
//! in its slot while it lives there; writes, reads and forgets marked; full
//! moments; loop iterations as bands; folds; the failing statement.

use super::record::{Column, ColumnKind, MarkKind, Recording, MAX_ROWS, SHOW_ITERATIONS};
use super::svg::{self, colour, count, cut, esc, Anchor, Svg, CHAR_W};
use crate::number;

const LEFT: f64 = 78.0;
const PAD: f64 = 12.0;
const ROW_H: f64 = 36.0;
const TITLE_H: f64 = 44.0;
const BAND_H: f64 = 22.0;
const HEAD_H: f64 = 50.0;
const FULL_H: f64 = 18.0;
const OUT_H: f64 = 22.0;
const MIN_CHARS: usize = 9;
const MAX_CHARS: usize = 18;
const MAX_FAILURE_CHARS: usize = 44;
const BADGE: f64 = 13.0;

/// A statement's header split in two lines: `write bd_a =` / `bd + a`.
fn header_lines(head: &str) -> (String, String) {
    if let Some((a, b)) = head.split_once(" = ") {
        (format!("{a} ="), b.to_owned())
    } else {
        (head.to_owned(), String::new())
    }
}

fn value_text(rec: &Recording, (name, value): (u32, f64)) -> String {
    format!("{} = {}", name_of(rec, name), number::format(value))
}

fn name_of(rec: &Recording, name: u32) -> &str {
    rec.names.get(name as usize).map_or("?", String::as_str)
}

fn column_chars(rec: &Recording, c: &Column) -> usize {
    let mut n = MIN_CHARS;
    let values = c
        .slots
        .iter()
        .flatten()
        .map(|&v| value_text(rec, v).chars().count())
        .max()
        .unwrap_or(0);
    n = n.max(values);
    match &c.kind {
        ColumnKind::Stmt { head, outputs, .. } => {
            let (a, b) = header_lines(head);
            n = n.max(a.chars().count()).max(b.chars().count());
            if let Some(o) = outputs.first() {
                n = n.max(o.chars().count());
            }
        }
        ColumnKind::Fold { .. } => n = n.max(18),
        ColumnKind::Failure { head, message, .. } => {
            // Wide enough for what stopped the run, within reason.
            let (a, b) = header_lines(head);
            let said = "stopped: ".len() + message.chars().count();
            return n
                .max(a.chars().count())
                .max(b.chars().count())
                .max(said)
                .clamp(MIN_CHARS, MAX_FAILURE_CHARS);
        }
    }
    n.min(MAX_CHARS)
}

/// The board picture of a run, as an SVG document. `subject` names the
/// program (the file name) in the title.
pub fn render(rec: &Recording, subject: &str) -> String {
    let rows = rec.extent.min(MAX_ROWS);
    let hidden = rec.columns.iter().any(|c| c.hidden > 0);
    let widths: Vec<f64> = rec
        .columns
        .iter()
        .map(|c| column_chars(rec, c) as f64 * CHAR_W + PAD)
        .collect();
    let has_bands = rec.columns.iter().any(|c| c.band.is_some());
    let band_h = if has_bands { BAND_H } else { 0.0 };
    let grid_top = TITLE_H + band_h + HEAD_H + FULL_H;
    let body_h = rows.max(1) as f64 * ROW_H;
    let hidden_h = if hidden { OUT_H } else { 0.0 };
    let out_top = grid_top + body_h + hidden_h;
    let has_out = rec.columns.iter().any(|c| match &c.kind {
        ColumnKind::Stmt { outputs, .. } => !outputs.is_empty(),
        ColumnKind::Failure { .. } => true,
        ColumnKind::Fold { .. } => false,
    });
    let out_h = if has_out { OUT_H * 2.0 } else { 0.0 };
    let content_w = LEFT + widths.iter().sum::<f64>() + 16.0;
    let width = content_w.max(640.0).max(super::svg::title_width(subject));
    let legend = legend_items(rec);
    let legend_top = out_top + out_h + 18.0;
    let (legend_h, legend_marks) = layout_legend(&legend, width - 32.0);
    let height = legend_top + legend_h + 12.0;

    let title = format!(
        "{subject}: the board over time ({} slot{}, {} statement{} run)",
        rec.capacity,
        if rec.capacity == 1 { "" } else { "s" },
        count(rec.statements),
        if rec.statements == 1 { "" } else { "s" }
    );
    let mut s = Svg::new(width, height, "wb-board", &title);
    s.text(
        16.0,
        20.0,
        (width - 32.0) * svg::CHAR_W / 8.6,
        &title,
        Anchor::Start,
        colour::INK,
        "font-size=\"14\" font-weight=\"bold\"",
    );
    let mut sub = "time runs left to right; each row is a slot of the board".to_owned();
    if rec
        .columns
        .iter()
        .any(|c| matches!(c.kind, ColumnKind::Fold { .. }))
    {
        sub.push_str(&format!(
            "; folded: loops after their first {SHOW_ITERATIONS} iterations"
        ));
    }
    if rec.extent > MAX_ROWS {
        sub.push_str(&format!(
            "; the first {MAX_ROWS} of {} slots drawn",
            count(rec.extent as u64)
        ));
    }
    s.text(
        16.0,
        36.0,
        width - 32.0,
        &sub,
        Anchor::Start,
        colour::MUTED,
        "",
    );

    // Slot labels.
    for r in 0..rows {
        let y = grid_top + r as f64 * ROW_H;
        s.text(
            LEFT - 8.0,
            y + ROW_H / 2.0 + 4.0,
            LEFT - 12.0,
            &format!("slot {}", r + 1),
            Anchor::End,
            colour::MUTED,
            "class=\"slot-label\"",
        );
    }
    if hidden {
        s.text(
            LEFT - 8.0,
            grid_top + body_h + 15.0,
            LEFT - 12.0,
            "more",
            Anchor::End,
            colour::MUTED,
            "",
        );
    }
    if has_out {
        s.text(
            LEFT - 8.0,
            out_top + 15.0,
            LEFT - 12.0,
            "read",
            Anchor::End,
            colour::MUTED,
            "",
        );
    }

    // Bands.
    if has_bands {
        let mut x = LEFT;
        let mut k = 0;
        let mut shade = false;
        while k < rec.columns.len() {
            let id = rec.columns[k].band.as_ref().map(|b| b.id);
            let mut w = 0.0;
            let mut j = k;
            while j < rec.columns.len() && rec.columns[j].band.as_ref().map(|b| b.id) == id {
                w += widths[j];
                j += 1;
            }
            if let Some(b) = &rec.columns[k].band {
                shade = !shade;
                let fill = if shade { colour::BAND } else { "#E4E4E4" };
                s.open(&format!(
                    "class=\"band\" data-label=\"{}\"",
                    svg::attr(&b.label)
                ));
                s.rect(
                    x + 1.0,
                    TITLE_H + 2.0,
                    w - 2.0,
                    band_h + HEAD_H + FULL_H + body_h + hidden_h - 2.0,
                    fill,
                    "none",
                    0.0,
                );
                s.rect(
                    x + 1.0,
                    TITLE_H + 2.0,
                    w - 2.0,
                    band_h - 4.0,
                    "#DADADA",
                    "none",
                    0.0,
                );
                s.text(
                    x + 6.0,
                    TITLE_H + 15.0,
                    w - 10.0,
                    &b.label,
                    Anchor::Start,
                    colour::INK,
                    "font-size=\"11\"",
                );
                s.close();
            }
            x += w;
            k = j;
        }
    }

    // Columns.
    let mut x = LEFT;
    for (i, c) in rec.columns.iter().enumerate() {
        column(
            &mut s, rec, c, i, x, widths[i], band_h, grid_top, rows, out_top, hidden,
        );
        x += widths[i];
    }
    // The grid's outer frame.
    s.rect(LEFT, grid_top, x - LEFT, body_h, "none", colour::INK, 1.0);

    legend_draw(&mut s, &legend, &legend_marks, 16.0, legend_top);
    s.finish()
}

#[allow(clippy::too_many_arguments)]
fn column(
    s: &mut Svg,
    rec: &Recording,
    c: &Column,
    index: usize,
    x: f64,
    w: f64,
    band_h: f64,
    grid_top: f64,
    rows: usize,
    out_top: f64,
    hidden_row: bool,
) {
    let head_top = TITLE_H + band_h;
    let inner = w - PAD;
    let (kind, line) = match &c.kind {
        ColumnKind::Stmt { line, .. } => ("stmt", *line),
        ColumnKind::Fold { .. } => ("fold", 0),
        ColumnKind::Failure { line, .. } => ("failure", *line),
    };
    s.open(&format!(
        "class=\"column {kind}\" data-index=\"{index}\" data-kind=\"{kind}\" data-line=\"{line}\" data-full=\"{}\" data-occupancy=\"{}\"",
        c.full, c.occupancy
    ));
    // A column's header: three rows of text, at the same places for every kind.
    let header = |s: &mut Svg, rows: [(&str, &str, &str); 3]| {
        for ((text, fill, extra), dy) in rows.into_iter().zip([14.0, 30.0, 45.0]) {
            s.text(
                x + 6.0,
                head_top + dy,
                inner,
                text,
                Anchor::Start,
                fill,
                extra,
            );
        }
    };
    const SMALL: &str = "font-size=\"11\"";
    match &c.kind {
        ColumnKind::Stmt { line, head, .. } => {
            let (a, b) = header_lines(head);
            header(
                s,
                [
                    (&format!("line {line}"), colour::MUTED, SMALL),
                    (&a, colour::INK, "class=\"stmt\""),
                    (&b, colour::INK, "class=\"stmt\""),
                ],
            );
        }
        ColumnKind::Fold {
            what,
            iterations,
            statements,
        } => {
            s.rect(
                x + 1.0,
                head_top,
                w - 2.0,
                HEAD_H + FULL_H + rows.max(1) as f64 * ROW_H,
                colour::FOLD,
                "none",
                0.0,
            );
            let top = if *iterations > 0 {
                format!(
                    "+{} iteration{}",
                    count(*iterations),
                    if *iterations == 1 { "" } else { "s" }
                )
            } else {
                format!("+{} statements", count(*statements))
            };
            header(
                s,
                [
                    ("⋯ folded", colour::MUTED, SMALL),
                    (&top, colour::INK, "class=\"fold-count\""),
                    (&format!("of {what}"), colour::INK, ""),
                ],
            );
            s.open("class=\"fold-note\"");
            s.title(&format!(
                "{what}: {} more iteration(s), {} statement(s) not drawn one by one; the board as they left it",
                count(*iterations),
                count(*statements)
            ));
            s.close();
        }
        ColumnKind::Failure {
            line, head, code, ..
        } => {
            let (a, _) = header_lines(head);
            header(
                s,
                [
                    (
                        &format!("✕ line {line}"),
                        colour::FAIL,
                        "font-size=\"11\" font-weight=\"bold\"",
                    ),
                    (&a, colour::INK, "class=\"stmt\""),
                    (code, colour::FAIL, SMALL),
                ],
            );
        }
    }
    if c.full {
        let y = head_top + HEAD_H;
        s.rect(x + 4.0, y + 2.0, 34.0, 13.0, colour::FULL, "none", 0.0);
        s.raw(&format!(
            "<text class=\"full\" x=\"{}\" y=\"{}\" fill=\"#FFFFFF\" font-size=\"10\" font-weight=\"bold\">full</text>\n",
            svg::px(x + 9.0),
            svg::px(y + 12.0)
        ));
    }
    let marks: &[super::record::Mark] = match &c.kind {
        ColumnKind::Stmt { marks, .. } => marks,
        _ => &[],
    };
    let forget_hint = match &c.kind {
        ColumnKind::Failure { forget, .. } => *forget,
        _ => None,
    };
    for r in 0..rows.max(1) {
        let y = grid_top + r as f64 * ROW_H;
        let value = c.slots.get(r).copied().flatten();
        let here: Vec<&super::record::Mark> = marks.iter().filter(|m| m.slot == r).collect();
        let write = here.iter().find_map(|m| match &m.kind {
            MarkKind::Write { arrived, gate } => Some((*arrived, *gate)),
            _ => None,
        });
        let read = here.iter().any(|m| m.kind == MarkKind::Read);
        let forgot = here
            .iter()
            .find(|m| m.kind == MarkKind::Forget)
            .map(|m| m.name);
        let hinted = forget_hint.is_some() && value.is_some_and(|v| Some(v.0) == forget_hint);
        let mut mark_names = Vec::new();
        let closed = matches!(write, Some((_, Some((g, false)))) if g == 0.0);
        if let Some((arrived, _)) = write {
            mark_names.push(if closed {
                "gate-closed"
            } else if arrived {
                "arrive"
            } else {
                "write"
            });
        }
        if read {
            mark_names.push("read");
        }
        if forgot.is_some() {
            mark_names.push("forget");
        }
        if hinted {
            mark_names.push("forget-hint");
        }
        let (name_attr, value_attr) = match value {
            Some((n, v)) => (name_of(rec, n).to_owned(), number::format(v)),
            None => (String::new(), String::new()),
        };
        s.open(&format!(
            "class=\"slot\" data-slot=\"{}\" data-name=\"{}\" data-value=\"{}\" data-marks=\"{}\"{}",
            r + 1,
            svg::attr(&name_attr),
            esc(&value_attr),
            mark_names.join(" "),
            forgot.map_or(String::new(), |n| format!(" data-erased=\"{}\"", svg::attr(name_of(rec, n))))
        ));
        let fill = match (value, write) {
            (None, _) => colour::EMPTY,
            (Some(_), Some(_)) if !closed => colour::WRITE_FILL,
            (Some(_), _) => colour::KEPT_FILL,
        };
        let fill = if matches!(c.kind, ColumnKind::Fold { .. }) && value.is_none() {
            colour::FOLD
        } else {
            fill
        };
        s.rect(
            x + 2.0,
            y + 2.0,
            w - 4.0,
            ROW_H - 4.0,
            fill,
            colour::GRID,
            1.0,
        );
        if let Some(v) = value {
            let text = value_text(rec, v);
            let mut tip = text.clone();
            if let Some((_, Some((g, soft)))) = write {
                tip.push_str(&format!(
                    "; {} = {}{}",
                    if soft { "gate" } else { "when" },
                    number::format(g),
                    if closed {
                        ": closed, nothing written"
                    } else {
                        ""
                    }
                ));
            }
            if tip == text {
                s.text(
                    x + 6.0,
                    y + 27.0,
                    inner,
                    &text,
                    Anchor::Start,
                    colour::INK,
                    "",
                );
            } else {
                s.open("class=\"value\"");
                s.title(&tip);
                s.text(
                    x + 6.0,
                    y + 27.0,
                    inner,
                    &text,
                    Anchor::Start,
                    colour::INK,
                    "",
                );
                s.close();
            }
        }
        if let Some(n) = forgot {
            // The gap a forget leaves: the erased name struck through.
            let ghost = format!("{} erased", name_of(rec, n));
            let (shown, _) = cut(&ghost, svg::fits(inner));
            s.line(
                x + 6.0,
                y + 23.0,
                x + 6.0 + svg::width_of(&shown).min(inner),
                y + 23.0,
                colour::FORGET,
                1.5,
            );
            s.text(
                x + 6.0,
                y + 27.0,
                inner,
                &ghost,
                Anchor::Start,
                colour::FORGET,
                "class=\"erased\"",
            );
        }
        // Badges along the top of the cell: W, R, ✕.
        let mut bx = x + 5.0;
        if let Some((_, gate)) = write {
            let hollow = closed;
            badge(s, bx, y + 4.0, "W", colour::WRITE, hollow);
            if let Some((g, soft)) = gate {
                let t = if soft {
                    format!("g={}", number::format(g))
                } else if closed {
                    "closed".to_owned()
                } else {
                    "open".to_owned()
                };
                s.text(
                    bx + BADGE + 3.0,
                    y + 14.0,
                    w - (bx - x) - BADGE - 24.0,
                    &t,
                    Anchor::Start,
                    colour::WRITE,
                    "font-size=\"10\"",
                );
            }
            bx += BADGE + 3.0;
        }
        if read {
            let rx = if write.is_some_and(|(_, g)| g.is_some()) {
                x + w - BADGE - 6.0
            } else {
                bx
            };
            badge(s, rx, y + 4.0, "R", colour::READ, false);
            bx += BADGE + 3.0;
        }
        if forgot.is_some() {
            badge(s, bx, y + 4.0, "✕", colour::FORGET, false);
        }
        if hinted {
            s.rect(
                x + 3.0,
                y + 3.0,
                w - 6.0,
                ROW_H - 6.0,
                "none",
                colour::FAIL,
                2.0,
            );
            s.text(
                x + 6.0,
                y + 13.0,
                inner,
                "help: forget",
                Anchor::Start,
                colour::FAIL,
                "font-size=\"10\" class=\"hint\"",
            );
        }
        s.close();
    }
    if hidden_row && c.hidden > 0 {
        s.text(
            x + 6.0,
            grid_top + rows as f64 * ROW_H + 15.0,
            inner,
            &format!("+{} more", count(c.hidden as u64)),
            Anchor::Start,
            colour::MUTED,
            "class=\"hidden-count\"",
        );
    }
    match &c.kind {
        ColumnKind::Stmt { outputs, .. } if !outputs.is_empty() => {
            let text = outputs.join(", ");
            s.text(
                x + 6.0,
                out_top + 15.0,
                inner,
                &text,
                Anchor::Start,
                colour::INK,
                "class=\"output\" font-weight=\"bold\"",
            );
        }
        ColumnKind::Failure {
            message,
            help,
            forget,
            ..
        } => {
            s.rect(
                x + 1.0,
                TITLE_H + band_h,
                w - 2.0,
                out_top - TITLE_H - band_h + OUT_H * 2.0 - 2.0,
                "none",
                colour::FAIL,
                3.0,
            );
            s.text(
                x + 6.0,
                out_top + 15.0,
                inner,
                &format!("stopped: {message}"),
                Anchor::Start,
                colour::FAIL,
                "class=\"failure-message\"",
            );
            if let Some(h) = help {
                let short = match forget {
                    Some(n) => format!("help: forget {}", name_of(rec, *n)),
                    None => format!("help: {h}"),
                };
                s.open("class=\"failure-help\"");
                s.title(&format!("help: {h}"));
                s.text(
                    x + 6.0,
                    out_top + 33.0,
                    inner,
                    &short,
                    Anchor::Start,
                    colour::INK,
                    "",
                );
                s.close();
            }
        }
        _ => {}
    }
    s.line(
        x + w,
        grid_top,
        x + w,
        grid_top + rows.max(1) as f64 * ROW_H,
        colour::GRID,
        1.0,
    );
    s.close();
}

fn badge(s: &mut Svg, x: f64, y: f64, letter: &str, fill: &str, hollow: bool) {
    let (bg, fg) = if hollow {
        ("#FFFFFF", fill)
    } else {
        (fill, "#FFFFFF")
    };
    s.raw(&format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{b}\" height=\"{b}\" rx=\"3\" fill=\"{bg}\" stroke=\"{fill}\" stroke-width=\"1.2\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{fg}\" font-size=\"10\" font-weight=\"bold\">{}</text>\n",
        svg::px(x),
        svg::px(y),
        svg::px(x + BADGE / 2.0),
        svg::px(y + 10.0),
        esc(letter),
        b = svg::px(BADGE),
    ));
}

/// A legend entry: how it is drawn and what it says.
pub(super) enum Swatch {
    Fill(&'static str),
    Badge(&'static str, &'static str, bool),
    Full,
    Outline(&'static str),
}

fn legend_items(rec: &Recording) -> Vec<(Swatch, String)> {
    let mut items = vec![
        (
            Swatch::Fill(colour::KEPT_FILL),
            "a value that stays".to_owned(),
        ),
        (
            Swatch::Badge("W", colour::WRITE, false),
            "written (blue cell: new or changed)".to_owned(),
        ),
        (
            Swatch::Badge("R", colour::READ, false),
            "read by the statement".to_owned(),
        ),
        (
            Swatch::Badge("✕", colour::FORGET, false),
            "forgotten: the slot is free".to_owned(),
        ),
        (Swatch::Full, "every slot taken".to_owned()),
    ];
    let any = |f: &dyn Fn(&Column) -> bool| rec.columns.iter().any(f);
    if any(
        &|c| matches!(&c.kind, ColumnKind::Stmt { marks, .. } if marks.iter().any(|m| matches!(m.kind, MarkKind::Write { gate: Some(_), .. }))),
    ) {
        items.push((
            Swatch::Badge("W", colour::WRITE, true),
            "gated write, gate closed: nothing written".to_owned(),
        ));
    }
    if any(&|c| matches!(c.kind, ColumnKind::Fold { .. })) {
        items.push((
            Swatch::Fill(colour::FOLD),
            "folded: not drawn one by one (count above, board as left)".to_owned(),
        ));
    }
    if any(&|c| matches!(c.kind, ColumnKind::Failure { .. })) {
        items.push((
            Swatch::Outline(colour::FAIL),
            "where the run stopped (board before it)".to_owned(),
        ));
    }
    if rec.columns.iter().any(|c| c.band.is_some()) {
        items.push((
            Swatch::Fill(colour::BAND),
            "one loop iteration (label: its element)".to_owned(),
        ));
    }
    items
}

/// Lays legend items out in rows that fit `width`: the height and each
/// item's position.
pub(super) fn layout_legend(items: &[(Swatch, String)], width: f64) -> (f64, Vec<(f64, f64)>) {
    let mut pos = Vec::new();
    let (mut x, mut y) = (0.0, 0.0);
    for (_, text) in items {
        let w = 22.0 + svg::width_of(text) + 18.0;
        if x > 0.0 && x + w > width {
            x = 0.0;
            y += 20.0;
        }
        pos.push((x, y));
        x += w;
    }
    (y + 20.0 + 14.0, pos)
}

pub(super) fn legend_draw(
    s: &mut Svg,
    items: &[(Swatch, String)],
    pos: &[(f64, f64)],
    x0: f64,
    y0: f64,
) {
    s.open("class=\"legend\"");
    s.text(
        x0,
        y0 + 4.0,
        80.0,
        "legend",
        Anchor::Start,
        colour::MUTED,
        "font-size=\"11\"",
    );
    for ((sw, text), &(x, y)) in items.iter().zip(pos) {
        let (x, y) = (x0 + x, y0 + 12.0 + y);
        match sw {
            Swatch::Fill(f) => s.rect(x, y, 16.0, 14.0, f, colour::GRID, 1.0),
            Swatch::Badge(l, c, hollow) => badge(s, x + 1.0, y, l, c, *hollow),
            Swatch::Full => s.rect(x, y + 2.0, 16.0, 10.0, colour::FULL, "none", 0.0),
            Swatch::Outline(c) => s.rect(x + 1.0, y + 1.0, 14.0, 12.0, "none", c, 3.0),
        }
        s.text(
            x + 22.0,
            y + 11.0,
            svg::width_of(text) + 4.0,
            text,
            Anchor::Start,
            colour::INK,
            "",
        );
    }
    s.close();
}
