//! The data-dependent gates over a run: one row per gated write inside a
//! loop (its unit), one column per execution — per stream element for a
//! write in `each` — coloured by the gate: a `when` opening (1) or staying
//! closed (0), a soft gate's value. Long runs are binned (each column the
//! mean of a power-of-two number of elements) and the picture says so.

use super::board::{layout_legend, legend_draw, Swatch};
use super::record::Recording;
use super::svg::{self, colour, count, esc, Anchor, Svg};
use crate::number;

const LEFT: f64 = 200.0;

/// The picture, or `None` when the run had no gated write in a loop.
pub fn render(rec: &Recording, subject: &str) -> Option<String> {
    if rec.series.is_empty() {
        return None;
    }
    let drawn: Vec<_> = rec.series.iter().map(|s| s.bins.drawn()).collect();
    let columns = drawn.iter().map(|(_, b)| b.len()).max().unwrap_or(0).max(1);
    let cw = if columns <= 24 {
        32.0
    } else if columns <= 60 {
        14.0
    } else {
        4.0
    };
    let rh = 26.0;
    let top = 64.0;
    let grid_h = rec.series.len() as f64 * rh;
    let width = (LEFT + columns as f64 * cw + 24.0)
        .max(640.0)
        .max(super::svg::title_width(subject));
    let legend = vec![
        (
            Swatch::Fill("#440154"),
            "0: closed (the old value kept)".to_owned(),
        ),
        (
            Swatch::Fill("#21918c"),
            "0.5: half old, half new".to_owned(),
        ),
        (
            Swatch::Fill("#fde725"),
            "1: open (the new value written)".to_owned(),
        ),
    ];
    let (legend_h, pos) = layout_legend(&legend, width - 32.0);
    let axis_h = 30.0;
    let note_h = if rec.series_hidden > 0 { 18.0 } else { 0.0 };
    let legend_top = top + grid_h + axis_h + note_h + 10.0;
    let height = legend_top + legend_h + 10.0;
    let total = rec.series.iter().map(|s| s.bins.total).max().unwrap_or(0);
    let title = format!(
        "{subject}: the data-dependent gates over {} element{}",
        count(total),
        if total == 1 { "" } else { "s" }
    );
    let mut s = Svg::new(width, height, "wb-stream", &title);
    s.text(
        16.0,
        20.0,
        (width - 32.0) * svg::CHAR_W / 8.6,
        &title,
        Anchor::Start,
        colour::INK,
        "font-size=\"14\" font-weight=\"bold\"",
    );
    let width_of_bin = drawn.iter().map(|(w, _)| *w).max().unwrap_or(1);
    let sub = if width_of_bin > 1 {
        format!(
            "aggregated: each column is the mean gate of {} consecutive elements ({} elements in {} columns); hover for min and max",
            count(width_of_bin),
            count(total),
            columns
        )
    } else {
        "one column per element, in order; one row per gated write (its unit)".to_owned()
    };
    s.text(
        16.0,
        36.0,
        width - 32.0,
        &sub,
        Anchor::Start,
        colour::MUTED,
        "class=\"aggregation\"",
    );
    for (k, (series, (w, bins))) in rec.series.iter().zip(&drawn).enumerate() {
        let y = top + k as f64 * rh;
        let name = rec
            .names
            .get(series.name as usize)
            .map_or("?", String::as_str);
        let label = format!("u{} {name}: line {}", series.slot, series.line);
        s.open(&format!("class=\"series\" data-name=\"{}\" data-line=\"{}\" data-soft=\"{}\" data-elements=\"{}\"", svg::attr(name), series.line, series.soft, series.bins.total));
        s.title(&series.head);
        s.text(
            LEFT - 8.0,
            y + 17.0,
            LEFT - 24.0,
            &label,
            Anchor::End,
            colour::INK,
            "",
        );
        for (j, b) in bins.iter().enumerate() {
            let x = LEFT + j as f64 * cw;
            let mean = b.mean();
            let first = j as u64 * w;
            let tip = if b.count == 1 {
                format!(
                    "element {first}: {} = {}",
                    if series.soft { "gate" } else { "when" },
                    number::format(mean)
                )
            } else {
                format!(
                    "elements {first}–{}: mean {}, min {}, max {}",
                    first + b.count - 1,
                    number::format(mean),
                    number::format(b.min),
                    number::format(b.max)
                )
            };
            s.raw(&format!(
                "<rect class=\"gate\" data-index=\"{j}\" data-value=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#FFFFFF\" stroke-width=\"{}\"><title>{}</title></rect>\n",
                number::format(mean),
                svg::px(x),
                svg::px(y + 2.0),
                svg::px(cw),
                svg::px(rh - 4.0),
                svg::ramp(mean),
                if cw >= 14.0 { "1" } else { "0" },
                esc(&tip)
            ));
            if cw >= 32.0 {
                let t = if series.soft {
                    number::format(mean)
                } else if mean == 1.0 {
                    "open".into()
                } else {
                    "shut".into()
                };
                s.text(
                    x + cw / 2.0,
                    y + 17.0,
                    cw - 2.0,
                    &t,
                    Anchor::Middle,
                    svg::ink_on_ramp(mean),
                    "font-size=\"9\"",
                );
            }
        }
        s.close();
    }
    // The axis: element numbers at a few places.
    let axis_y = top + grid_h + 14.0;
    let step = if columns <= 24 {
        1
    } else {
        columns.div_ceil(8)
    };
    for j in (0..columns).step_by(step) {
        let x = LEFT + j as f64 * cw;
        s.text(
            x + 1.0,
            axis_y,
            (step as f64 * cw) - 4.0,
            &count(j as u64 * width_of_bin),
            Anchor::Start,
            colour::MUTED,
            "font-size=\"10\"",
        );
    }
    s.text(
        LEFT - 8.0,
        axis_y,
        LEFT - 24.0,
        "element",
        Anchor::End,
        colour::MUTED,
        "font-size=\"10\"",
    );
    if rec.series_hidden > 0 {
        s.text(
            16.0,
            axis_y + 18.0,
            width - 32.0,
            &format!(
                "gated writes past the first {} are not drawn",
                super::record::MAX_SERIES
            ),
            Anchor::Start,
            colour::MUTED,
            "",
        );
    }
    legend_draw(&mut s, &legend, &pos, 16.0, legend_top);
    Some(s.finish())
}
