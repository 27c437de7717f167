//! The gates of the compiled cell as heat maps: for every unit and step
//! the forget, input and output gates (0 … 1, or set by the data), with the
//! unit map above them and the steps' fused statements below.

use super::board::{layout_legend, legend_draw, Swatch};
use super::svg::{self, colour, count, Anchor, Svg};
use crate::cell::table::{gates, GateValue, Gates};
use crate::cell::{ActionKind, Cell, Node};

/// The most steps drawn (the rest are counted).
pub const MAX_STEPS: usize = 160;
/// The most units drawn (the rest are counted).
pub const MAX_UNITS: usize = 64;
/// Statements listed under the picture at most (then only on hover).
const MAX_LISTED: usize = 40;

const LEFT: f64 = 86.0;

/// Which gate of a step a panel shows.
type Pick = fn(&Gates) -> &Vec<GateValue>;

struct StepCol {
    number: usize,
    statements: Vec<String>,
    gates: Gates,
    /// The name in each unit during the step.
    occupants: Vec<Option<u32>>,
    /// The loops around it: (loop id, header).
    loops: Vec<(usize, String)>,
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim_end().to_owned()
}

fn walk(
    cell: &Cell,
    nodes: &[Node],
    loops: &mut Vec<(usize, String)>,
    next_loop: &mut usize,
    occ: &mut Vec<Option<u32>>,
    out: &mut Vec<StepCol>,
    total: &mut usize,
) {
    for node in nodes {
        match node {
            Node::Step(step) => {
                *total += 1;
                // Names placed in this step live in their unit from now on;
                // those freed are still shown in the step that frees them.
                for a in &step.actions {
                    if let Some((name, unit)) = cell.stmts[a.stmt].places {
                        if let Some(o) = occ.get_mut(unit) {
                            *o = Some(name.0);
                        }
                    }
                }
                if out.len() < MAX_STEPS {
                    out.push(StepCol {
                        number: *total,
                        statements: step
                            .actions
                            .iter()
                            .map(|a| first_line(cell.stmts[a.stmt].span.text(&cell.src)))
                            .collect(),
                        gates: gates(step, cell.units),
                        occupants: occ.iter().take(MAX_UNITS).copied().collect(),
                        loops: loops.clone(),
                    });
                }
                for a in &step.actions {
                    if let ActionKind::Forget(us) = &a.kind {
                        for &u in us {
                            if let Some(o) = occ.get_mut(u) {
                                *o = None;
                            }
                        }
                    }
                }
            }
            Node::Each(e) => {
                let names: Vec<&str> = e.streams.iter().map(|s| cell.names.text(s.1)).collect();
                *next_loop += 1;
                loops.push((*next_loop, format!("each {}", names.join(", "))));
                walk(cell, &e.body, loops, next_loop, occ, out, total);
                loops.pop();
            }
            Node::Repeat(r) => {
                *next_loop += 1;
                loops.push((*next_loop, format!("repeat {}", r.count)));
                walk(cell, &r.body, loops, next_loop, occ, out, total);
                loops.pop();
            }
        }
    }
}

fn gate_fill(g: GateValue) -> (String, &'static str, f64) {
    match g {
        GateValue::Zero => (svg::ramp(0.0), "0", 0.0),
        GateValue::One => (svg::ramp(1.0), "1", 1.0),
        GateValue::Data => ("url(#wb-data)".to_owned(), "~", 0.5),
    }
}

/// The gate picture of a compiled cell, as an SVG document.
pub fn render(cell: &Cell, subject: &str) -> String {
    let mut cols = Vec::new();
    let mut total = 0;
    let mut occ = vec![None; cell.units];
    walk(
        cell,
        &cell.nodes,
        &mut Vec::new(),
        &mut 0,
        &mut occ,
        &mut cols,
        &mut total,
    );
    let units = cell.units.min(MAX_UNITS);
    let rh = if units <= 12 {
        18.0
    } else if units <= 32 {
        12.0
    } else {
        8.0
    };
    let label_every = if rh >= 12.0 { 1 } else { 4 };
    let cw = if cols.len() <= 40 { 30.0 } else { 16.0 };
    let map_h = 20.0;
    let depth = cols.iter().map(|c| c.loops.len()).max().unwrap_or(0);
    let title_h = 48.0;
    let loops_top = title_h;
    let head_top = loops_top + depth as f64 * 20.0;
    let map_top = head_top + 24.0;
    let map_label_h = 18.0;
    let map_block = map_label_h + units.max(1) as f64 * map_h;
    let panel_h = map_label_h + units.max(1) as f64 * rh;
    let panels_top = map_top + map_block + 10.0;
    let panels_end = panels_top + 3.0 * (panel_h + 10.0);
    let listed = cols.len() <= MAX_LISTED;
    let list_h = if listed {
        cols.len() as f64 * 16.0 + 22.0
    } else {
        22.0
    };
    let grid_w = cols.len().max(1) as f64 * cw;
    let width = (LEFT + grid_w + 24.0)
        .max(640.0)
        .max(super::svg::title_width(subject));
    let legend = vec![
        (
            Swatch::Fill("#440154"),
            "0: closed (f = 0 erases, i = 0 writes nothing, o = 0 not read)".to_owned(),
        ),
        (
            Swatch::Fill("#fde725"),
            "1: open (f = 1 keeps, i = 1 writes, o = 1 reads)".to_owned(),
        ),
        (
            Swatch::Fill("#21918c"),
            "between: a soft gate's value (the ramp runs 0 … 1)".to_owned(),
        ),
        (
            Swatch::Fill("url(#wb-data)"),
            "~ set by the data at run time (when / gate)".to_owned(),
        ),
    ];
    let (legend_h, legend_pos) = layout_legend(&legend, width - 32.0);
    let legend_top = panels_end + list_h + 12.0;
    let height = legend_top + legend_h + 10.0;

    let title = format!(
        "{subject}: the gates of the cell ({} unit{}, {} step{})",
        cell.units,
        if cell.units == 1 { "" } else { "s" },
        count(total as u64),
        if total == 1 { "" } else { "s" }
    );
    let mut s = Svg::new(width, height, "wb-gates", &title);
    s.raw("<defs><pattern id=\"wb-data\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
<rect width=\"6\" height=\"6\" fill=\"#21918c\"/><rect width=\"3\" height=\"6\" fill=\"#fde725\"/></pattern></defs>\n");
    s.text(
        16.0,
        20.0,
        (width - 32.0) * svg::CHAR_W / 8.6,
        &title,
        Anchor::Start,
        colour::INK,
        "font-size=\"14\" font-weight=\"bold\"",
    );
    let mut sub = "one column per step (a bar under its number: fused statements); a loop body is lowered once and runs once per element".to_owned();
    if total > cols.len() {
        sub.push_str(&format!(
            "; the first {} of {} steps drawn",
            cols.len(),
            count(total as u64)
        ));
    }
    if cell.units > units {
        sub.push_str(&format!(
            "; the first {units} of {} units drawn",
            count(cell.units as u64)
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

    // Loop brackets.
    for d in 0..depth {
        let mut k = 0;
        while k < cols.len() {
            let Some(id) = cols[k].loops.get(d).map(|l| l.0) else {
                k += 1;
                continue;
            };
            let mut j = k;
            while j < cols.len() && cols[j].loops.get(d).map(|l| l.0) == Some(id) {
                j += 1;
            }
            let x = LEFT + k as f64 * cw;
            let w = (j - k) as f64 * cw;
            let y = loops_top + d as f64 * 20.0;
            s.rect(
                x + 1.0,
                y,
                w - 2.0,
                panels_end - y - 10.0,
                colour::BAND,
                "none",
                0.0,
            );
            s.rect(x + 1.0, y, w - 2.0, 16.0, "#DADADA", "none", 0.0);
            s.text(
                x + 4.0,
                y + 12.0,
                w - 6.0,
                &cols[k].loops[d].1,
                Anchor::Start,
                colour::INK,
                "font-size=\"11\" class=\"loop\"",
            );
            k = j;
        }
    }
    // Step numbers, with the statements on hover.
    for (k, c) in cols.iter().enumerate() {
        let x = LEFT + k as f64 * cw;
        s.open(&format!(
            "class=\"step\" data-step=\"{}\" data-statements=\"{}\"",
            c.number,
            c.statements.len()
        ));
        s.title(&format!("step {}: {}", c.number, c.statements.join("; ")));
        if cw >= 30.0 || c.number % 5 == 0 || c.number == 1 {
            s.text(
                x + cw / 2.0,
                head_top + 12.0,
                cw + 10.0,
                &c.number.to_string(),
                Anchor::Middle,
                colour::INK,
                "font-size=\"11\"",
            );
        }
        if c.statements.len() > 1 {
            // Fused: a bar under the number, one tick per statement.
            s.rect(
                x + 3.0,
                head_top + 16.0,
                cw - 6.0,
                4.0,
                colour::WRITE,
                "none",
                0.0,
            );
        }
        s.close();
    }
    s.text(
        LEFT - 8.0,
        head_top + 12.0,
        LEFT - 10.0,
        "step",
        Anchor::End,
        colour::MUTED,
        "font-size=\"11\"",
    );

    // The unit map: each stay as a bar.
    s.text(
        16.0,
        map_top + 13.0,
        width,
        "unit map: which name lives in which unit, step by step",
        Anchor::Start,
        colour::MUTED,
        "font-size=\"11\"",
    );
    for u in 0..units {
        let y = map_top + map_label_h + u as f64 * map_h;
        s.text(
            LEFT - 8.0,
            y + 14.0,
            LEFT - 10.0,
            &format!("u{u}"),
            Anchor::End,
            colour::MUTED,
            "",
        );
        let mut k = 0;
        while k < cols.len() {
            let name = cols[k].occupants.get(u).copied().flatten();
            let mut j = k;
            while j < cols.len() && cols[j].occupants.get(u).copied().flatten() == name {
                j += 1;
            }
            if let Some(n) = name {
                let x = LEFT + k as f64 * cw;
                let w = (j - k) as f64 * cw;
                let text = cell.names.text(crate::syntax::NameId(n));
                s.open(&format!("class=\"stay\" data-unit=\"{u}\" data-name=\"{}\" data-from=\"{}\" data-to=\"{}\"", svg::attr(text), cols[k].number, cols[j - 1].number));
                s.rect(
                    x + 1.0,
                    y + 2.0,
                    w - 2.0,
                    map_h - 4.0,
                    colour::KEPT_FILL,
                    "#009E73",
                    1.0,
                );
                s.text(
                    x + 4.0,
                    y + 14.0,
                    w - 6.0,
                    text,
                    Anchor::Start,
                    colour::INK,
                    "",
                );
                s.close();
            }
            k = j;
        }
    }
    // The three panels.
    let panels: [(&str, &str, Pick); 3] = [
        ("f", "forget gate f: 1 keeps the unit, 0 erases it", |g| {
            &g.f
        }),
        ("i", "input gate i: 1 writes the candidate", |g| &g.i),
        ("o", "output gate o: 1 where the step reads the unit", |g| {
            &g.o
        }),
    ];
    for (p, (key, caption, pick)) in panels.iter().enumerate() {
        let top = panels_top + p as f64 * (panel_h + 10.0);
        s.text(
            16.0,
            top + 13.0,
            width,
            caption,
            Anchor::Start,
            colour::MUTED,
            "font-size=\"11\"",
        );
        s.open(&format!("class=\"panel\" data-gate=\"{key}\""));
        for u in 0..units {
            let y = top + map_label_h + u as f64 * rh;
            if u % label_every == 0 {
                s.text(
                    LEFT - 8.0,
                    y + rh / 2.0 + 4.0,
                    LEFT - 10.0,
                    &format!("{key} u{u}"),
                    Anchor::End,
                    colour::MUTED,
                    if rh < 12.0 { "font-size=\"9\"" } else { "" },
                );
            }
            for (k, c) in cols.iter().enumerate() {
                let x = LEFT + k as f64 * cw;
                let g = pick(&c.gates).get(u).copied().unwrap_or(GateValue::Zero);
                let (fill, sym, v) = gate_fill(g);
                s.raw(&format!(
                    "<rect class=\"gate\" data-unit=\"{u}\" data-step=\"{}\" data-value=\"{sym}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"#FFFFFF\" stroke-width=\"1\"><title>step {}, u{u}: {key} = {}</title></rect>\n",
                    c.number,
                    svg::px(x),
                    svg::px(y),
                    svg::px(cw),
                    svg::px(rh),
                    c.number,
                    if sym == "~" { "set by the data" } else { sym }
                ));
                if rh >= 12.0 && cw >= 30.0 && sym != "0" {
                    s.text(
                        x + cw / 2.0,
                        y + rh / 2.0 + 4.0,
                        cw,
                        sym,
                        Anchor::Middle,
                        svg::ink_on_ramp(v),
                        "font-size=\"10\"",
                    );
                }
            }
        }
        s.close();
    }
    // The steps' statements.
    let list_top = panels_end;
    if listed {
        s.text(
            16.0,
            list_top + 12.0,
            width,
            "steps and their statements",
            Anchor::Start,
            colour::MUTED,
            "font-size=\"11\"",
        );
        for (k, c) in cols.iter().enumerate() {
            let y = list_top + 28.0 + k as f64 * 16.0;
            let indent = "  ".repeat(c.loops.len());
            s.text(
                LEFT - 8.0,
                y,
                LEFT,
                &c.number.to_string(),
                Anchor::End,
                colour::MUTED,
                "",
            );
            s.text(
                LEFT,
                y,
                width - LEFT - 16.0,
                &format!("{indent}{}", c.statements.join("; ")),
                Anchor::Start,
                colour::INK,
                "class=\"step-text\"",
            );
        }
    } else {
        s.text(
            16.0,
            list_top + 14.0,
            width - 32.0,
            "hover a step number for its statements",
            Anchor::Start,
            colour::MUTED,
            "font-size=\"11\"",
        );
    }
    legend_draw(&mut s, &legend, &legend_pos, 16.0, legend_top);
    s.finish()
}
