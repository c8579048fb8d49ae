//! Simple charts as inline SVG, rendered on the server: readable without JavaScript, with
//! a text alternative (`<title>` and `aria-labelledby`), and the values written next to the
//! bars so the chart never carries information by length or colour alone. Pure.

/// One bar: its label, its value (for the length) and the text shown after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
    /// Drawn in the highlight colour (e.g. "this provider" against the sector).
    pub highlight: bool,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const LABEL_WIDTH: f64 = 190.0;
const BAR_AREA: f64 = 300.0;
const ROW: f64 = 28.0;

/// A horizontal bar chart. `max` is the value of a full bar (e.g. 100 for percentages);
/// `None` scales to the largest value. `id` must be unique on the page.
pub fn bar_chart(id: &str, title: &str, bars: &[Bar], max: Option<f64>) -> String {
    let largest = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let full = max.unwrap_or(largest).max(f64::EPSILON);
    let height = ROW * bars.len() as f64 + 8.0;
    let width = LABEL_WIDTH + BAR_AREA + 90.0;
    let id = escape(id);
    let mut svg = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}-title\" \
         viewBox=\"0 0 {width} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">\
         <title id=\"{id}-title\">{}</title>",
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let length = (bar.value.max(0.0) / full * BAR_AREA).min(BAR_AREA);
        let class = if bar.highlight { "bar highlight" } else { "bar" };
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"label\">{label}</text>\
             <rect x=\"{bx}\" y=\"{y}\" width=\"{length:.1}\" height=\"{h}\" class=\"{class}\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" class=\"value\">{text}</text>",
            lx = LABEL_WIDTH - 8.0,
            ty = y + 15.0,
            label = escape(&bar.label),
            bx = LABEL_WIDTH,
            h = ROW - 8.0,
            vx = LABEL_WIDTH + length + 6.0,
            text = escape(&bar.text),
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64) -> Bar {
        Bar {
            label: label.into(),
            value,
            text: format!("{value}"),
            highlight: false,
        }
    }

    #[test]
    fn bars_are_scaled_to_the_maximum_and_labelled() {
        let svg = bar_chart(
            "c1",
            "Aandeel geschikt",
            &[bar("A", 50.0), bar("B", 100.0)],
            Some(100.0),
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title id=\"c1-title\">Aandeel geschikt</title>"));
        assert!(svg.contains("width=\"150.0\""));
        assert!(svg.contains("width=\"300.0\""));
        assert!(svg.contains(">A</text>") && svg.contains(">100</text>"));
    }

    #[test]
    fn text_is_escaped_so_a_provider_name_cannot_inject_markup() {
        let svg = bar_chart("x\"", "<b>", &[bar("Kabel & <script>", 1.0)], None);
        assert!(!svg.contains("<script>") && !svg.contains("<b>"));
        assert!(svg.contains("Kabel &amp; &lt;script&gt;"));
        assert!(svg.contains("x&quot;-title"));
    }

    #[test]
    fn zero_and_negative_values_draw_empty_bars_without_dividing_by_zero() {
        let svg = bar_chart("z", "t", &[bar("A", 0.0), bar("B", -3.0)], None);
        assert!(svg.contains("width=\"0.0\""));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}
