//! Documents both parties keep: a ruling and a settlement's terms. One plain model
//! ([`Printable`]: a title and blocks of text) is turned into HTML ([`Printable::to_html`])
//! and into PDF ([`pdf::render`]), so the two always carry the same words; a test reads
//! the PDF's text back and compares it with the HTML's.

pub mod pdf;

/// One block of a printable document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// A paragraph; line breaks in the text start new lines.
    Paragraph(String),
    /// A labelled fact, shown as `label: value`.
    Field { label: String, value: String },
}

/// A document in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printable {
    /// The language code (`nl`, `en`, `pl`) for the HTML `lang` attribute.
    pub language: String,
    pub title: String,
    pub blocks: Vec<Block>,
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

impl Printable {
    /// A complete, self-contained HTML page (no scripts, no external resources).
    pub fn to_html(&self) -> String {
        let mut body = String::new();
        for block in &self.blocks {
            match block {
                Block::Heading(text) => body.push_str(&format!("<h2>{}</h2>\n", escape(text))),
                Block::Paragraph(text) => {
                    let lines: Vec<String> = text.lines().map(escape).collect();
                    body.push_str(&format!("<p>{}</p>\n", lines.join("<br>\n")));
                }
                Block::Field { label, value } => body.push_str(&format!(
                    "<p><strong>{}:</strong> {}</p>\n",
                    escape(label),
                    escape(value)
                )),
            }
        }
        format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
             <style>body{{font-family:\"DejaVu Sans\",Arial,sans-serif;max-width:42rem;margin:2rem auto;\
             padding:0 1rem;line-height:1.5;color:#1a1a1a}}h1{{font-size:1.5rem}}h2{{font-size:1.15rem;\
             margin-top:1.5rem}}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n{body}</main>\n</body>\n</html>\n",
            lang = escape(&self.language),
            title = escape(&self.title),
        )
    }

    /// The words of the document in reading order, whitespace collapsed: what a reader sees.
    pub fn plain_text(&self) -> String {
        let mut parts = vec![self.title.clone()];
        for block in &self.blocks {
            match block {
                Block::Heading(text) | Block::Paragraph(text) => parts.push(text.clone()),
                Block::Field { label, value } => parts.push(format!("{label}: {value}")),
            }
        }
        collapse_whitespace(&parts.join(" "))
    }

    /// The document as PDF.
    pub fn to_pdf(&self) -> Vec<u8> {
        pdf::render(self)
    }
}

/// Every run of whitespace as one space, trimmed.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The visible text of an HTML page made by [`Printable::to_html`]: the body without tags,
/// entities decoded, whitespace collapsed.
pub fn html_text(html: &str) -> String {
    let body = html
        .split_once("<body>")
        .map(|(_, rest)| rest)
        .unwrap_or(html)
        .split("</body>")
        .next()
        .unwrap_or_default();
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    // The label's colon sits right after its closing tag: "<strong>Label:</strong> value".
    collapse_whitespace(&decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Printable {
        Printable {
            language: "pl".into(),
            title: "Ugoda <sprawa> & co".into(),
            blocks: vec![
                Block::Heading("Warunki".into()),
                Block::Field {
                    label: "Kwota".into(),
                    value: "€ 120,00".into(),
                },
                Block::Paragraph("Zażółć gęślą jaźń.\nTweede regel, één keer.".into()),
            ],
        }
    }

    #[test]
    fn html_escapes_every_value_and_carries_the_language() {
        let html = sample().to_html();
        assert!(html.contains("<html lang=\"pl\">"));
        assert!(html.contains("Ugoda &lt;sprawa&gt; &amp; co"));
        assert!(!html.contains("<sprawa>"));
    }

    #[test]
    fn the_text_of_the_html_is_the_plain_text_of_the_document() {
        let document = sample();
        assert_eq!(html_text(&document.to_html()), document.plain_text());
        assert_eq!(
            document.plain_text(),
            "Ugoda <sprawa> & co Warunki Kwota: € 120,00 Zażółć gęślą jaźń. Tweede regel, één keer."
        );
    }
}
