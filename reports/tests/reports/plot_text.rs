//! The plot's text measured in the SVG: legends right of the data, step numbers that do
//! not overprint each other, text big enough to read, one spelling of every unit.

use rig_reports::detail::PlanDetail;
use rig_reports::log::parse_log;
use rig_reports::plot::{PLOT_LEFT, PLOT_RIGHT, svg};
use rig_reports::synthetic::{Spec, log};

/// A `<text>` of the SVG: where it starts, its size in px, its fill and its content.
struct Text {
    x: f64,
    y: f64,
    size: f64,
    fill: String,
    anchor: String,
    content: String,
}

impl Text {
    /// Its extent along x, from above (0.65 em a glyph, as DejaVu Sans's widest common).
    fn span(&self) -> (f64, f64) {
        let w = self.content.chars().count() as f64 * self.size * 0.65;
        match self.anchor.as_str() {
            "middle" => (self.x - w / 2.0, self.x + w / 2.0),
            "end" => (self.x - w, self.x),
            _ => (self.x, self.x + w),
        }
    }
}

fn plot_of(spec: &Spec) -> String {
    svg(&PlanDetail::from_log(&parse_log(&log(spec)))).expect("the plot draws")
}

fn texts(svg: &str) -> Vec<Text> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let num = |a: &str| n.attribute(a).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            Text {
                x: num("x"),
                y: num("y"),
                size: num("font-size"),
                fill: n.attribute("fill").unwrap_or("").to_string(),
                anchor: n.attribute("text-anchor").unwrap_or("start").to_string(),
                content: n.text().unwrap_or("").trim().to_string(),
            }
        })
        .collect()
}

fn many_steps() -> Spec {
    Spec {
        duration_s: 600.0,
        steps: 80,
        channels: 12,
        ..Spec::default()
    }
}

#[test]
fn legends_are_right_of_the_data_and_the_data_stays_left_of_them() {
    let svg = plot_of(&many_steps());
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let (mut data_points, mut strokes) = (0, 0);
    // Polylines (the data), and paths: straight segments, `M x y` then `H x`, `V y`
    // or `L x y`, one or more (grid lines, ticks, a legend's colour stroke).
    let mut shapes: Vec<Vec<f64>> = Vec::new();
    for line in doc.descendants().filter(|n| n.has_tag_name("polyline")) {
        let xs: Vec<f64> = line
            .attribute("points")
            .unwrap_or("")
            .split_whitespace()
            .map(|pair| pair.split(',').next().unwrap().parse().unwrap())
            .collect();
        shapes.push(xs);
    }
    for path in doc.descendants().filter(|n| n.has_tag_name("path")) {
        for segment in path.attribute("d").unwrap_or("").split('M').skip(1) {
            let x0: f64 = segment.split(' ').next().unwrap().parse().unwrap();
            let x1 = match segment.split_once(['H', 'L']) {
                Some((_, rest)) => rest.split(' ').next().unwrap().parse().unwrap(),
                None => x0,
            };
            shapes.push(vec![x0, x1]);
        }
    }
    for xs in shapes {
        let right = f64::from(PLOT_RIGHT);
        if xs.iter().all(|&x| x > right) && xs.len() == 2 {
            strokes += 1; // a legend's colour stroke
            continue;
        }
        for x in xs {
            assert!(x <= right + 1.0, "data at x = {x}");
            data_points += 1;
        }
    }
    assert!(strokes >= 8, "{strokes} legend strokes");
    assert!(
        data_points > 100,
        "the plot has data ({data_points} points)"
    );
    let legend: Vec<Text> = texts(&svg)
        .into_iter()
        .filter(|t| t.content.starts_with("source.") || t.content.starts_with("bms.soc"))
        .collect();
    assert!(!legend.is_empty(), "the legend names the channels");
    for t in &legend {
        assert!(
            t.x > f64::from(PLOT_RIGHT),
            "legend `{}` at x = {}",
            t.content,
            t.x
        );
    }
}

#[test]
fn step_numbers_do_not_overprint_each_other() {
    let spec = many_steps();
    let svg = plot_of(&spec);
    let steps: Vec<Text> = texts(&svg)
        .into_iter()
        .filter(|t| t.fill == "#5A5A5A")
        .collect();
    // 80 steps on 600 s cannot all be labelled; the first is, and many are.
    assert!(
        steps.len() > 10 && steps.len() < spec.steps,
        "{} labels",
        steps.len()
    );
    assert_eq!(steps[0].content, "1");
    for pair in steps.windows(2) {
        let (a, b) = (pair[0].span(), pair[1].span());
        assert!(
            a.1 <= b.0 || (pair[0].y - pair[1].y).abs() >= pair[0].size,
            "step {} ({a:?}) overlaps step {} ({b:?})",
            pair[0].content,
            pair[1].content
        );
        assert!(pair[0].x >= f64::from(PLOT_LEFT));
    }
}

#[test]
fn all_text_is_readable_and_units_have_one_spelling() {
    let svg = plot_of(&many_steps());
    let all = texts(&svg);
    for t in &all {
        assert!(t.size >= 11.0, "`{}` is {} px", t.content, t.size);
    }
    assert!(!svg.contains("degC"), "the plot spells degC");
    assert!(all.iter().any(|t| t.content.contains("[°C]")));
    // Panel titles say what they show.
    for title in [
        "voltages: source and pack [V]",
        "currents: source and pack [A]",
    ] {
        assert!(all.iter().any(|t| t.content == title), "no panel `{title}`");
    }
}
