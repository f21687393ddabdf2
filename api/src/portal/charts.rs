//! The score-trend chart of the merchant page: inline SVG drawn on the server with
//! plotters. It carries no text, so no font is needed on the server: the page labels its
//! axis and grade bands in HTML beside it. Bar charts are HTML (labelled bars in their
//! tables), which the browser labels in the reader's own fonts.

use chrono::NaiveDate;
use plotters::prelude::*;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 150;

/// Makes the drawn SVG scale with the page and names it for assistive technology.
fn responsive(svg: String, label: &str) -> String {
    let sized = format!("width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\"");
    let label = label.replace(['"', '<', '>', '&'], "");
    svg.replacen(
        &sized,
        &format!(
            "viewBox=\"0 0 {WIDTH} {HEIGHT}\" preserveAspectRatio=\"none\" class=\"chart\" role=\"img\" aria-label=\"{label}\""
        ),
        1,
    )
}

/// The score over time as a step line on a 0–100 scale, with the grade bands shaded.
pub fn score_over_time(
    points: &[(NaiveDate, i32)],
    today: NaiveDate,
    label: &str,
) -> Option<String> {
    let first = points.first()?.0;
    let start = first.min(today - chrono::TimeDelta::days(30));
    // A little room on the right, so today's point is not cut in half.
    let end = today + chrono::TimeDelta::days(((today - start).num_days() / 40).max(1));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(6)
            .build_cartesian_2d(start..end, 0i32..100i32)
            .ok()?;
        // Grade bands: D below 60, C 60–69, B 70–84, A 85 and up.
        for (low, high, colour) in [
            (0, 60, RGBColor(253, 236, 234)),
            (60, 70, RGBColor(254, 243, 226)),
            (70, 85, RGBColor(234, 242, 252)),
            (85, 100, RGBColor(232, 245, 236)),
        ] {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(start, low), (end, high)],
                    colour.filled(),
                )))
                .ok()?;
        }
        let mut steps = Vec::with_capacity(points.len() * 2 + 1);
        for (i, (day, score)) in points.iter().enumerate() {
            if i > 0 {
                steps.push((*day, points[i - 1].1));
            }
            steps.push((*day, *score));
        }
        // The current score holds until today and a little past, so a single score shows.
        if let Some((_, last)) = points.last() {
            steps.push((end, *last));
        }
        chart
            .draw_series(LineSeries::new(
                steps,
                RGBColor(23, 92, 168).stroke_width(3),
            ))
            .ok()?;
        root.present().ok()?;
    }
    Some(responsive(svg, label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_responsive_inline_svg() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let svg = score_over_time(
            &[
                (NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), 100),
                (NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(), 72),
            ],
            today,
            "信用分走势",
        )
        .unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("viewBox=\"0 0 640 150\""));
        assert!(svg.contains("aria-label=\"信用分走势\"") && svg.contains("<polyline"));
    }
}
