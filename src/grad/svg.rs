//! A small SVG writer for one kind of picture: a log-scale line chart of
//! |∂read/∂x[t]| over t, one line per read. Exact zeros (an underflow, or
//! no influence at all) cannot sit on a log axis: they are drawn on their
//! own band under the axis, labelled `0`; infinite or undefined derivatives
//! on a band above it. Escaping, the font and the colours are the pictures'
//! ([`crate::picture::svg`]), so this chart looks like the others.

use std::fmt::Write as _;

use crate::picture::svg::{colour, esc as escape, FONT_FAMILY};

/// One line of a chart.
#[derive(Clone, Debug)]
pub struct Series {
    /// The legend's text.
    pub label: String,
    /// The values over t (their magnitudes are drawn).
    pub values: Vec<f64>,
}

/// One chart: its title, lines under it that say what is drawn (what was
/// folded), and its lines.
#[derive(Clone, Debug)]
pub struct Chart {
    /// The title.
    pub title: String,
    /// Notes, one a line, under the chart.
    pub notes: Vec<String>,
    /// The lines, at most [`MAX_SERIES`] drawn.
    pub series: Vec<Series>,
}

/// The most lines one chart draws (the rest are counted in a note).
pub const MAX_SERIES: usize = 12;

/// The colours of the lines, in order: the pictures' Okabe–Ito colours.
const PALETTE: [&str; 6] = [
    colour::WRITE,
    colour::FORGET,
    colour::FULL,
    colour::READ,
    colour::MUTED,
    colour::INK,
];

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 330.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
/// The plot area's height (between the infinity band and the zero band).
const PLOT: f64 = 200.0;
const BAND: f64 = 22.0;

/// A note's line height.
const NOTE: f64 = 16.0;

/// Several charts, one under the other, in one SVG document.
pub fn document(charts: &[Chart]) -> String {
    let notes = |c: &Chart| c.notes.len() + usize::from(c.series.len() > MAX_SERIES);
    let heights: Vec<f64> = charts
        .iter()
        .map(|c| HEIGHT + NOTE * notes(c) as f64)
        .collect();
    let height: f64 = heights.iter().sum::<f64>().max(HEIGHT);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" font-family=\"{FONT_FAMILY}\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let mut y = 0.0;
    for (c, h) in charts.iter().zip(&heights) {
        let _ = writeln!(out, "<g transform=\"translate(0,{y})\">");
        let drawn = &c.series[..c.series.len().min(MAX_SERIES)];
        chart(&mut out, &c.title, drawn);
        let mut lines = c.notes.clone();
        if c.series.len() > MAX_SERIES {
            lines.push(format!(
                "{} lines drawn of {}; the table and --json hold them all",
                MAX_SERIES,
                c.series.len()
            ));
        }
        for (k, line) in lines.iter().enumerate() {
            let _ = writeln!(
                out,
                "<text class=\"note\" x=\"{LEFT}\" y=\"{:.1}\">{}</text>",
                HEIGHT - 6.0 + NOTE * k as f64,
                escape(line)
            );
        }
        out.push_str("</g>\n");
        y += h;
    }
    out.push_str("</svg>\n");
    out
}

/// Where the zero band's line and the infinity band's line are drawn.
fn zero_y() -> f64 {
    TOP + BAND + PLOT + BAND / 2.0 + 4.0
}

fn inf_y() -> f64 {
    TOP + BAND / 2.0
}

fn chart(out: &mut String, title: &str, series: &[Series]) {
    let n = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let finite = series
        .iter()
        .flat_map(|s| s.values.iter())
        .map(|v| v.abs())
        .filter(|v| v.is_finite() && *v > 0.0);
    let (lo, hi) = finite.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (d0, d1) = if hi > 0.0 {
        let (a, b) = (lo.log10().floor(), hi.log10().ceil());
        (a, if b > a { b } else { a + 1.0 })
    } else {
        (0.0, 1.0)
    };
    let width = WIDTH - LEFT - RIGHT;
    let x_of = |t: usize| {
        LEFT + if n > 1 {
            width * t as f64 / (n - 1) as f64
        } else {
            width / 2.0
        }
    };
    let y_of = |v: f64| TOP + BAND + PLOT * (1.0 - (v.log10() - d0) / (d1 - d0));
    let _ = writeln!(
        out,
        "<text x=\"{LEFT}\" y=\"20\" font-size=\"14\">{}</text>",
        escape(title)
    );
    // Axes and decade ticks.
    let (top, bottom) = (TOP + BAND, TOP + BAND + PLOT);
    let _ = writeln!(
        out,
        "<path d=\"M{LEFT},{top}V{bottom}H{}\" stroke=\"#444\" fill=\"none\"/>",
        LEFT + width
    );
    let decades = (d1 - d0) as i64;
    let step = (decades / 8).max(1);
    // Ticks down from the top decade, so the largest values are labelled.
    let mut e = d1 as i64;
    while e >= d0 as i64 {
        let y = y_of(10f64.powi(e as i32));
        let _ = writeln!(
            out,
            "<path d=\"M{LEFT},{y:.1}H{}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">1e{e}</text>",
            LEFT + width,
            LEFT - 6.0,
            y + 4.0
        );
        e -= step;
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">0</text><path d=\"M{LEFT},{:.1}H{}\" stroke=\"#bbb\" stroke-dasharray=\"3,3\"/>",
        LEFT - 6.0,
        zero_y() + 4.0,
        zero_y(),
        LEFT + width
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">inf</text>",
        LEFT - 6.0,
        inf_y() + 4.0
    );
    for t in x_ticks(n) {
        let x = x_of(t);
        let _ = writeln!(
            out,
            "<path d=\"M{x:.1},{bottom}v4\" stroke=\"#444\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{t}</text>",
            zero_y() + 22.0
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">element t</text>",
        LEFT + width / 2.0,
        zero_y() + 38.0
    );
    // The lines, one point per pixel column at most (its smallest and
    // largest magnitude), broken where the value is 0 or not finite.
    for (i, s) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let columns = (width as usize).max(1);
        let per = s.values.len().div_ceil(columns).max(1);
        let mut path = String::new();
        let mut zeros = String::new();
        let mut infs = String::new();
        let mut marks = String::new();
        let mut pen = false;
        for (c, chunk) in s.values.chunks(per).enumerate() {
            let t0 = c * per;
            let x = x_of(t0 + (chunk.len() - 1) / 2);
            let mags: Vec<f64> = chunk.iter().map(|v| v.abs()).collect();
            if mags.contains(&0.0) {
                let _ = write!(zeros, "M{:.1},{:.1}h0.01", x, zero_y());
            }
            if mags.iter().any(|v| !v.is_finite()) {
                let _ = write!(infs, "M{:.1},{:.1}h0.01", x, inf_y());
            }
            let live: Vec<f64> = mags
                .into_iter()
                .filter(|v| v.is_finite() && *v > 0.0)
                .collect();
            if live.len() < chunk.len() {
                // A zero or an infinity in the column: the line breaks here.
                pen = false;
            }
            if live.is_empty() {
                continue;
            }
            let (mn, mx) = live
                .iter()
                .fold((f64::INFINITY, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
            if pen {
                let _ = write!(path, "L{:.1},{:.1}", x, y_of(mx));
            } else {
                // A dot, in case the line has only this point.
                let _ = write!(path, "M{:.1},{:.1}h0.01", x, y_of(mx));
            }
            if per == 1 && s.values.len() <= 64 {
                let _ = write!(
                    marks,
                    "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"3\"/>",
                    y_of(mx)
                );
            }
            if mn < mx {
                let _ = write!(path, "L{:.1},{:.1}", x, y_of(mn));
            }
            pen = live.len() == chunk.len();
        }
        if !path.is_empty() {
            let _ = writeln!(
                out,
                "<path class=\"read\" d=\"{path}\" stroke=\"{colour}\" stroke-width=\"1.5\" fill=\"none\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>"
            );
        }
        if !marks.is_empty() {
            let _ = writeln!(out, "<g fill=\"{colour}\">{marks}</g>");
        }
        for (d, class) in [(zeros, "zero"), (infs, "infinite")] {
            if !d.is_empty() {
                let _ = writeln!(
                    out,
                    "<path class=\"{class}\" d=\"{d}\" stroke=\"{colour}\" stroke-width=\"5\" stroke-linecap=\"round\" fill=\"none\"/>"
                );
            }
        }
        let ly = TOP + 4.0 + 16.0 * i as f64;
        let lx = LEFT + width - 180.0;
        let _ = writeln!(
            out,
            "<path d=\"M{lx},{ly}h18\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\">{}</text>",
            lx + 24.0,
            ly + 4.0,
            escape(&s.label)
        );
    }
}

/// Up to six round element numbers from 0 to n − 1.
fn x_ticks(n: usize) -> Vec<usize> {
    if n <= 1 {
        return vec![0];
    }
    let last = n - 1;
    let raw = last as f64 / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
        .max(1.0) as usize;
    let mut ticks: Vec<usize> = (0..=last).step_by(step).collect();
    if ticks.last() != Some(&last) {
        if last - ticks.last().copied().unwrap_or(0) < step / 2 {
            ticks.pop();
        }
        ticks.push(last);
    }
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_go_to_their_band_and_lines_break_there() {
        let svg = document(&[Chart {
            title: "t".into(),
            notes: vec!["a note".into()],
            series: vec![Series {
                label: "s < 1".into(),
                values: vec![0.0, 0.0, 0.25, 0.5, 1.0],
            }],
        }]);
        assert!(svg.contains(">a note</text>"));
        assert!(svg.contains("class=\"zero\""));
        assert!(svg.contains("s &lt; 1"));
        assert_eq!(svg.matches("class=\"read\"").count(), 1);
        assert!(!svg.contains("class=\"infinite\""));
    }

    #[test]
    fn a_chart_draws_a_bounded_number_of_lines_and_says_so() {
        let series = (0..20)
            .map(|i| Series {
                label: format!("s{i}"),
                values: vec![1.0, 2.0],
            })
            .collect();
        let svg = document(&[Chart {
            title: "t".into(),
            notes: Vec::new(),
            series,
        }]);
        assert_eq!(svg.matches("class=\"read\"").count(), MAX_SERIES);
        assert!(svg.contains("12 lines drawn of 20"));
    }

    #[test]
    fn ticks_are_round_and_end_at_the_last_element() {
        assert_eq!(x_ticks(6), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(
            x_ticks(1_000_000),
            vec![0, 200_000, 400_000, 600_000, 800_000, 999_999]
        );
    }
}
