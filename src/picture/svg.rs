//! A small SVG writer: escaping, text measured with a fixed character width
//! and cut to fit (the exact text kept in a `<title>`), the palette.

use std::fmt::Write as _;

/// The width of one character of the pictures' 12 px monospace font, a
/// little over the 0.6 em of DejaVu Sans Mono and Courier, so that measured
/// text never runs into its neighbour.
pub const CHAR_W: f64 = 7.4;
/// The longest tooltip: a statement may be a megabyte long, a picture's
/// size stays bounded.
pub const MAX_TITLE: usize = 400;
/// The longest name kept in a `data-` attribute.
pub const MAX_ATTR: usize = 256;

/// `text` cut to [`MAX_ATTR`] characters and escaped, for an attribute.
pub fn attr(text: &str) -> String {
    esc(&cut(text, MAX_ATTR).0)
}

/// The font size of ordinary text, in px.
pub const FONT: f64 = 12.0;
/// The font stack: a monospace font every system has.
pub const FONT_FAMILY: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";

/// The Okabe–Ito palette (safe for the common colour-vision deficiencies),
/// and the neutral greys the pictures use.
pub mod colour {
    /// A write: blue.
    pub const WRITE: &str = "#0072B2";
    /// A write's fill: a light tint of the same blue.
    pub const WRITE_FILL: &str = "#D6EAF8";
    /// A read: orange.
    pub const READ: &str = "#E69F00";
    /// A forget: vermillion.
    pub const FORGET: &str = "#D55E00";
    /// A failure: vermillion too, drawn with a cross and a thick outline.
    pub const FAIL: &str = "#D55E00";
    /// A full board: reddish purple.
    pub const FULL: &str = "#CC79A7";
    /// A value that stays: bluish green's pale tint.
    pub const KEPT_FILL: &str = "#E3F4EE";
    /// Text.
    pub const INK: &str = "#1A1A1A";
    /// Secondary text.
    pub const MUTED: &str = "#5A5A5A";
    /// Grid lines.
    pub const GRID: &str = "#C8C8C8";
    /// An empty slot.
    pub const EMPTY: &str = "#FFFFFF";
    /// A loop band's background (every other band).
    pub const BAND: &str = "#F2F2F2";
    /// A folded stretch's background.
    pub const FOLD: &str = "#EDEDED";
}

/// The ramp of the heat maps, 0 … 1: stops of matplotlib's viridis map
/// (perceptually uniform, readable in grey and by colour-blind readers).
const RAMP: [(u8, u8, u8); 9] = [
    (0x44, 0x01, 0x54),
    (0x47, 0x2d, 0x7b),
    (0x3b, 0x52, 0x8b),
    (0x2c, 0x72, 0x8e),
    (0x21, 0x91, 0x8c),
    (0x28, 0xae, 0x80),
    (0x5e, 0xc9, 0x62),
    (0xad, 0xdc, 0x30),
    (0xfd, 0xe7, 0x25),
];

/// The heat-map colour of `v` in [0, 1] (clamped), as `#rrggbb`.
pub fn ramp(v: f64) -> String {
    let v = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
    let x = v * (RAMP.len() - 1) as f64;
    let k = (x.floor() as usize).min(RAMP.len() - 2);
    let t = x - k as f64;
    let (a, b) = (RAMP[k], RAMP[k + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// Whether text on the ramp's colour for `v` should be dark (the bright
/// end) or light.
pub fn ink_on_ramp(v: f64) -> &'static str {
    if v >= 0.55 {
        colour::INK
    } else {
        "#FFFFFF"
    }
}

/// `text` with `&`, `<`, `>`, `"` escaped for XML text and attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The width a picture needs for its title (at 14 px bold, about 8.6 px a
/// character, with the file name and some 60 characters of words), capped
/// so that a long file name is cut rather than widening the picture.
pub fn title_width(subject: &str) -> f64 {
    ((subject.chars().count() + 62) as f64 * 8.6 + 32.0).min(1200.0)
}

/// How many characters fit in `width` px.
pub fn fits(width: f64) -> usize {
    (width / CHAR_W).floor().max(0.0) as usize
}

/// The width of `text` in px, by the fixed estimate.
pub fn width_of(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_W
}

/// `text` cut to at most `max` characters, ending in `…` when cut.
pub fn cut(text: &str, max: usize) -> (String, bool) {
    let n = text.chars().count();
    if n <= max {
        return (text.to_owned(), false);
    }
    if max == 0 {
        return (String::new(), true);
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    (s, true)
}

/// A number with thousands separators: `10,000`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A px value as SVG writes it: at most one decimal, no trailing zero.
pub fn px(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// An SVG document being written.
pub struct Svg {
    out: String,
}

/// How text is anchored.
#[derive(Clone, Copy)]
pub enum Anchor {
    /// At its start.
    Start,
    /// At its middle.
    Middle,
    /// At its end.
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

impl Svg {
    /// A document of `width` × `height` px, with a title and a description
    /// (for screen readers and for the browser's tooltip).
    pub fn new(width: f64, height: f64, class: &str, title: &str) -> Svg {
        let mut out = String::new();
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"wb-picture {class}\" \
             width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
             font-family=\"{FONT_FAMILY}\" font-size=\"{FONT}\">\n<title>{t}</title>\n\
             <rect class=\"background\" x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\"/>\n",
            w = px(width),
            h = px(height),
            t = esc(title),
        );
        Svg { out }
    }

    /// Raw markup (already escaped).
    pub fn raw(&mut self, markup: &str) {
        self.out.push_str(markup);
    }

    /// A rectangle.
    #[allow(clippy::too_many_arguments)]
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, stroke: &str, sw: f64) {
        let _ = writeln!(
            self.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{}\"/>",
            px(x),
            px(y),
            px(w.max(0.0)),
            px(h.max(0.0)),
            px(sw)
        );
    }

    /// A line.
    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, sw: f64) {
        let _ = writeln!(
            self.out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"{}\"/>",
            px(x1),
            px(y1),
            px(x2),
            px(y2),
            px(sw)
        );
    }

    /// Text that fits in `width` px: cut with `…` if it would not, the
    /// whole text then in a `<title>` (shown on hover).
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        x: f64,
        y: f64,
        width: f64,
        text: &str,
        anchor: Anchor,
        fill: &str,
        extra: &str,
    ) {
        let (shown, cut_) = cut(text, fits(width));
        if shown.is_empty() && !cut_ {
            return;
        }
        let _ = write!(
            self.out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" fill=\"{fill}\"{}{extra}>",
            px(x),
            px(y),
            anchor.as_str(),
            if extra.is_empty() { "" } else { " " }
        );
        if cut_ {
            let _ = write!(self.out, "<title>{}</title>", esc(&cut(text, MAX_TITLE).0));
        }
        self.out.push_str(&esc(&shown));
        self.out.push_str("</text>\n");
    }

    /// Opens a group with attributes (already escaped).
    pub fn open(&mut self, attrs: &str) {
        let _ = writeln!(self.out, "<g {attrs}>");
    }

    /// Closes a group.
    pub fn close(&mut self) {
        self.out.push_str("</g>\n");
    }

    /// A `<title>` for the enclosing element (a tooltip).
    pub fn title(&mut self, text: &str) {
        let _ = write!(self.out, "<title>{}</title>", esc(&cut(text, MAX_TITLE).0));
    }

    /// The finished document.
    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_short_text_and_marks_cut_text() {
        assert_eq!(cut("ac = 5", 10), ("ac = 5".to_owned(), false));
        assert_eq!(cut("abcdef", 4), ("abc…".to_owned(), true));
    }

    #[test]
    fn ramp_runs_from_dark_purple_to_yellow() {
        assert_eq!(ramp(0.0), "#440154");
        assert_eq!(ramp(1.0), "#fde725");
        assert_eq!(ramp(2.0), "#fde725");
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(10_000), "10,000");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000_000), "1,000,000");
    }

    #[test]
    fn escaping() {
        assert_eq!(esc("a < b & \"c\""), "a &lt; b &amp; &quot;c&quot;");
    }
}
