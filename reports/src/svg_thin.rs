//! The plot's SVG written shorter, drawn the same: plotters writes a dashed line as one
//! `<polyline>` per dash (a measurement's mark across a tall plot is hundreds of
//! elements; they were 1.6 MB of the suite's 4.3 MB report) and every default
//! attribute in full. A run of dashes along one line becomes one polyline with a
//! `stroke-dasharray`; `opacity="1"` and `stroke-width="1"` (SVG's defaults) go, and a
//! font size is written to two decimals. Straight segments in a row that look the same
//! (grid lines, tick marks: 0.5 MB of the suite's report) become one `<path>`, and the
//! texts' font family (all `sans-serif`) is said once, by a group around the plot, and
//! their black fill (SVG's default) not at all.
//!
//! Text processing of plotters' output, one element a line, because its SVG backend has
//! neither dashes nor a way to leave out a default.

/// The fewest dashes in a row worth merging.
const MIN_DASHES: usize = 3;

/// `svg` with dash runs merged and default attributes left out.
pub fn thin(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len() / 2);
    let mut run: Vec<Dash<'_>> = Vec::new();
    for line in svg.split_inclusive('\n') {
        if let Some(dash) = Dash::parse(line) {
            if run
                .last()
                .is_some_and(|last| !last.continued_by(&dash, &run))
            {
                flush(&mut run, &mut out);
            }
            run.push(dash);
            continue;
        }
        flush(&mut run, &mut out);
        out.push_str(&shorter(line));
    }
    flush(&mut run, &mut out);
    grouped_font(&merge_segments(&out))
}

/// Consecutive straight segments of the same look as one path.
fn merge_segments(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut path: Option<(String, String)> = None;
    for line in svg.split_inclusive('\n') {
        match segment(line) {
            Some((look, d)) if path.as_ref().is_some_and(|(l, _)| *l == look) => {
                if let Some((_, all)) = &mut path {
                    all.push_str(&d);
                }
            }
            next => {
                out.extend(
                    path.take()
                        .map(|(look, d)| format!("<path {look}d=\"{d}\"/>\n")),
                );
                match next {
                    Some(p) => path = Some(p),
                    None => out.push_str(line),
                }
            }
        }
    }
    out.extend(path.map(|(look, d)| format!("<path {look}d=\"{d}\"/>\n")));
    out
}

/// A `<line>` or a two-point `<polyline>` on a line of its own: its other attributes
/// (with `fill="none"`: a path would be filled) and its path data (`M1 2V3`).
fn segment(line: &str) -> Option<(String, String)> {
    let (tag, rest) = line.trim_end().strip_prefix('<')?.split_once(' ')?;
    let attrs = rest.strip_suffix("/>")?;
    let mut look = String::new();
    let mut ends: Vec<(&str, &str)> = Vec::new();
    let (mut x, mut y) = ([""; 2], [""; 2]);
    for attr in attrs.split_inclusive("\" ") {
        let (name, value) = attr.trim().split_once("=\"")?;
        let value = value.strip_suffix('"')?;
        match (tag, name) {
            ("line", "x1") => x[0] = value,
            ("line", "y1") => y[0] = value,
            ("line", "x2") => x[1] = value,
            ("line", "y2") => y[1] = value,
            ("polyline", "points") => {
                for p in value.split_whitespace() {
                    ends.push(p.split_once(',')?);
                }
            }
            (_, "fill") => {}
            _ => look.push_str(&format!("{name}=\"{value}\" ")),
        }
    }
    match tag {
        "line" if x.iter().chain(&y).all(|v| !v.is_empty()) => {
            ends = vec![(x[0], y[0]), (x[1], y[1])];
        }
        "polyline" if ends.len() == 2 && attrs.contains("fill=\"none\"") => {}
        _ => return None,
    }
    let ((x0, y0), (x1, y1)) = (ends[0], ends[1]);
    let to = if x0 == x1 {
        format!("V{y1}")
    } else if y0 == y1 {
        format!("H{x1}")
    } else {
        format!("L{x1} {y1}")
    };
    Some((format!("fill=\"none\" {look}"), format!("M{x0} {y0}{to}")))
}

/// The texts' `sans-serif` said once, by a group inside the `<svg>` element.
fn grouped_font(svg: &str) -> String {
    const FONT: &str = " font-family=\"sans-serif\"";
    let (Some(open), Some(close)) = (svg.find("<svg"), svg.rfind("</svg>")) else {
        return svg.to_string();
    };
    let Some(open_end) = svg[open..].find('>').map(|i| open + i + 1) else {
        return svg.to_string();
    };
    let body = svg[open_end..close]
        .replace(FONT, "")
        .replace("<text fill=\"#000000\" ", "<text ")
        .replace(" fill=\"#000000\">", ">");
    format!("{}<g{FONT}>{body}</g>{}", &svg[..open_end], &svg[close..])
}

/// One two-point polyline along an axis: a dash, if others follow it.
#[derive(Clone, Copy, Debug)]
struct Dash<'a> {
    line: &'a str,
    /// Everything before `points="`.
    attrs: &'a str,
    from: (i64, i64),
    to: (i64, i64),
}

impl<'a> Dash<'a> {
    fn parse(line: &'a str) -> Option<Dash<'a>> {
        let rest = line.strip_prefix("<polyline ")?;
        let (attrs, points) = rest.split_once("points=\"")?;
        let points = points.trim_end().strip_suffix("\"/>")?;
        let mut pts = points.split_whitespace().map(|p| {
            let (x, y) = p.split_once(',')?;
            Some((x.parse().ok()?, y.parse().ok()?))
        });
        let (from, to) = (pts.next()??, pts.next()??);
        let along_axis = (from.0 == to.0) != (from.1 == to.1);
        (pts.next().is_none() && along_axis && !attrs.contains("dasharray")).then_some(Dash {
            line,
            attrs,
            from,
            to,
        })
    }

    fn length(&self) -> i64 {
        (self.to.0 - self.from.0).abs() + (self.to.1 - self.from.1).abs()
    }

    /// The unit step along the dash's direction.
    fn direction(&self) -> (i64, i64) {
        (
            (self.to.0 - self.from.0).signum(),
            (self.to.1 - self.from.1).signum(),
        )
    }

    /// `next` is the next dash of the same dashed line as `run` (which ends with self):
    /// same look, same direction, after the same gap, and no dash before it shorter
    /// than the first (only the last of a line is cut short).
    fn continued_by(&self, next: &Dash<'_>, run: &[Dash<'_>]) -> bool {
        let first = run[0];
        let dir = first.direction();
        let gap_of = |a: &Dash<'_>, b: &Dash<'_>| {
            let (dx, dy) = (b.from.0 - a.to.0, b.from.1 - a.to.1);
            (dx * dir.0 + dy * dir.1, dx * dir.1 - dy * dir.0)
        };
        let (gap, off_axis) = gap_of(self, next);
        let same_gap = run.len() < 2 || gap_of(&run[0], &run[1]) == (gap, 0);
        next.attrs == first.attrs
            && next.direction() == dir
            && off_axis == 0
            && gap > 0
            && same_gap
            && self.length() == first.length()
            && next.length() <= first.length()
    }
}

/// Write `run` out: as one dashed polyline when it is long enough, else as it was.
fn flush(run: &mut Vec<Dash<'_>>, out: &mut String) {
    if run.len() >= MIN_DASHES {
        let (first, last) = (run[0], run[run.len() - 1]);
        let gap = {
            let (a, b) = (run[0], run[1]);
            (b.from.0 - a.to.0).abs() + (b.from.1 - a.to.1).abs()
        };
        let attrs = shorter(first.attrs);
        out.push_str(&format!(
            "<polyline {attrs}stroke-dasharray=\"{} {gap}\" points=\"{},{} {},{} \"/>\n",
            first.length(),
            first.from.0,
            first.from.1,
            last.to.0,
            last.to.1
        ));
    } else {
        for dash in run.iter() {
            out.push_str(&shorter(dash.line));
        }
    }
    run.clear();
}

/// An element without the attributes that say SVG's defaults, its font size short.
fn shorter(line: &str) -> String {
    let mut s = line
        .replace(" opacity=\"1\"", "")
        .replace(" stroke-width=\"1\"", "");
    if let Some(at) = s.find("font-size=\"") {
        let start = at + "font-size=\"".len();
        if let Some(len) = s[start..].find('"')
            && let Ok(size) = s[start..start + len].parse::<f64>()
        {
            let short = format!("{}", (size * 100.0).round() / 100.0);
            s.replace_range(start..start + len, &short);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLE: &str = r##"fill="none" opacity="1" stroke="#8250DF" stroke-width="1" "##;

    fn dash(x: i64, y0: i64, y1: i64) -> String {
        format!("<polyline {STYLE}points=\"{x},{y0} {x},{y1} \"/>\n")
    }

    #[test]
    fn a_dashed_line_becomes_one_polyline_with_its_dash_pattern() {
        // Upwards from 199, five on and three off, the last dash cut at 30.
        let mut svg = String::from("<svg>\n");
        let mut y = 199;
        while y > 30 {
            svg.push_str(&dash(525, y, (y - 5).max(30)));
            y -= 8;
        }
        svg.push_str("</svg>\n");
        let thin = thin(&svg);
        assert_eq!(
            thin,
            "<svg><g font-family=\"sans-serif\">\n<path fill=\"none\" stroke=\"#8250DF\" \
             stroke-dasharray=\"5 3\" d=\"M525 199V30\"/>\n</g></svg>\n"
        );
    }

    #[test]
    fn lines_that_are_not_one_dash_pattern_stay_as_they_are() {
        // Two dashes only; then three with different gaps; then a diagonal.
        let svg = [
            dash(10, 100, 95),
            dash(10, 92, 87),
            "<rect/>\n".to_string(),
            dash(20, 100, 95),
            dash(20, 92, 87),
            dash(20, 80, 75),
            format!("<polyline {STYLE}points=\"1,1 5,5 \"/>\n"),
        ]
        .concat();
        let thin = thin(&svg);
        // Each dash still drawn on its own (the rect between them breaks the path).
        assert_eq!(thin.matches(['M']).count(), 6, "{thin}");
        assert!(!thin.contains("dasharray"));
        assert!(!thin.contains("opacity=\"1\""));
    }

    #[test]
    fn segments_in_a_row_that_look_the_same_are_one_path() {
        let svg = concat!(
            "<svg width=\"9\">\n",
            "<line stroke=\"#EBEBEB\" x1=\"100\" y1=\"199\" x2=\"100\" y2=\"30\"/>\n",
            "<line stroke=\"#EBEBEB\" x1=\"90\" y1=\"50\" x2=\"120\" y2=\"50\"/>\n",
            "<line stroke=\"#000000\" x1=\"1\" y1=\"2\" x2=\"3\" y2=\"4\"/>\n",
            "<polyline fill=\"none\" stroke=\"#000000\" points=\"5,6 7,8 \"/>\n",
            "<polyline fill=\"none\" stroke=\"#000000\" points=\"5,6 7,8 9,9 \"/>\n",
            "<text x=\"1\" font-family=\"sans-serif\" fill=\"#000000\">\nV\n</text>\n",
            "</svg>\n",
        );
        assert_eq!(
            thin(svg),
            concat!(
                "<svg width=\"9\"><g font-family=\"sans-serif\">\n",
                "<path fill=\"none\" stroke=\"#EBEBEB\" d=\"M100 199V30M90 50H120\"/>\n",
                "<path fill=\"none\" stroke=\"#000000\" d=\"M1 2L3 4M5 6L7 8\"/>\n",
                "<polyline fill=\"none\" stroke=\"#000000\" points=\"5,6 7,8 9,9 \"/>\n",
                "<text x=\"1\">\nV\n</text>\n",
                "</g></svg>\n",
            )
        );
    }

    #[test]
    fn defaults_go_and_font_sizes_are_short() {
        let text = "<text x=\"1\" font-size=\"12.096774193548388\" opacity=\"1\" \
                    fill=\"#000000\">V</text>\n";
        assert_eq!(
            thin(text),
            "<text x=\"1\" font-size=\"12.1\" fill=\"#000000\">V</text>\n"
        );
        let half = "<rect opacity=\"0.6\" stroke-width=\"2\"/>\n";
        assert_eq!(thin(half), half);
    }
}
