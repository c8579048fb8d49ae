//! A small PDF writer for [`Printable`] documents: A4 pages, one embedded TrueType font
//! (DejaVu Sans, which covers Dutch, Polish and the euro sign) as a composite font with
//! Identity-H encoding and a ToUnicode map, so readers can search, copy and extract the
//! text. Only the glyphs a document uses are embedded (`subsetter`), which keeps a ruling
//! at a few dozen kilobytes instead of the font's 760. Lines are wrapped at spaces using the
//! font's own advance widths.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::LazyLock;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};

use super::{Block, Printable};

/// DejaVu Sans (free licence, see `assets/fonts/DejaVuSans-LICENSE.txt`).
static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

static FACE: LazyLock<ttf_parser::Face<'static>> =
    LazyLock::new(|| ttf_parser::Face::parse(FONT_BYTES, 0).expect("the embedded font parses"));

fn compress(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("compressing in memory");
    encoder.finish().expect("compressing in memory")
}

/// The glyphs of one document: the embedded font program and the id each original glyph has in it.
struct EmbeddedFont {
    program: Vec<u8>,
    remapper: Option<subsetter::GlyphRemapper>,
    /// The subset tag of the font's name, e.g. `KQWRTB+` (empty for the whole font).
    tag: String,
}

impl EmbeddedFont {
    /// A subset with exactly the glyphs of `pages` (glyph 0 stays 0); the whole font if subsetting fails.
    fn for_pages(pages: &[Vec<Line>]) -> Self {
        let mut remapper = subsetter::GlyphRemapper::new();
        remapper.remap(0);
        for line in pages.iter().flatten() {
            for c in line.text.chars() {
                remapper.remap(glyph(c));
            }
        }
        match subsetter::subset(FONT_BYTES, 0, &remapper) {
            Ok(program) => {
                // The tag is six capitals derived from the glyph set (PDF 32000-1, 9.6.4).
                let mut hash: u64 = 1469598103934665603;
                for gid in remapper.remapped_gids() {
                    hash = (hash ^ u64::from(gid)).wrapping_mul(1099511628211);
                }
                let tag: String = (0..6)
                    .map(|i| char::from(b'A' + ((hash >> (i * 8)) % 26) as u8))
                    .collect();
                Self {
                    program,
                    remapper: Some(remapper),
                    tag: format!("{tag}+"),
                }
            }
            Err(error) => {
                tracing::warn!(%error, "font subsetting failed; embedding the whole font");
                Self {
                    program: FONT_BYTES.to_vec(),
                    remapper: None,
                    tag: String::new(),
                }
            }
        }
    }

    /// The id of an original glyph in the embedded program.
    fn id(&self, gid: u16) -> u16 {
        match &self.remapper {
            Some(remapper) => remapper.get(gid).unwrap_or(0),
            None => gid,
        }
    }
}

const FONT_RESOURCE: Name<'static> = Name(b"F1");
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const TITLE_SIZE: f32 = 16.0;
const HEADING_SIZE: f32 = 12.5;
const BODY_SIZE: f32 = 10.5;

const IDENTITY: SystemInfo<'static> = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// A line placed on a page.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    size: f32,
    y: f32,
    text: String,
}

fn glyph(c: char) -> u16 {
    FACE.glyph_index(c).map(|g| g.0).unwrap_or(0)
}

fn advance(gid: u16) -> f32 {
    let units = FACE.glyph_hor_advance(ttf_parser::GlyphId(gid)).unwrap_or(0);
    f32::from(units) * 1000.0 / f32::from(FACE.units_per_em())
}

/// The width of `text` at `size` points.
fn width(text: &str, size: f32) -> f32 {
    text.chars().map(|c| advance(glyph(c))).sum::<f32>() * size / 1000.0
}

/// Splits a paragraph into lines no wider than `max` at `size`, breaking at spaces; a word
/// wider than a line is broken between characters.
fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for source_line in text.lines() {
        let mut current = String::new();
        for word in source_line.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if width(&candidate, size) <= max {
                current = candidate;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            if width(word, size) <= max {
                current = word.to_owned();
            } else {
                for c in word.chars() {
                    if width(&format!("{current}{c}"), size) > max && !current.is_empty() {
                        lines.push(std::mem::take(&mut current));
                    }
                    current.push(c);
                }
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
    }
    lines
}

/// Lays the document out on pages.
fn layout(document: &Printable) -> Vec<Vec<Line>> {
    let max = PAGE_WIDTH - 2.0 * MARGIN;
    let mut pages: Vec<Vec<Line>> = vec![Vec::new()];
    let mut y = PAGE_HEIGHT - MARGIN;
    let place = |pages: &mut Vec<Vec<Line>>, y: &mut f32, text: String, size: f32, space_before: f32| {
        let leading = size * 1.45;
        *y -= space_before;
        if *y - leading < MARGIN {
            pages.push(Vec::new());
            *y = PAGE_HEIGHT - MARGIN;
        }
        *y -= leading;
        pages
            .last_mut()
            .expect("at least one page")
            .push(Line { size, y: *y, text });
    };
    for line in wrap(&document.title, TITLE_SIZE, max) {
        place(&mut pages, &mut y, line, TITLE_SIZE, 0.0);
    }
    for block in &document.blocks {
        let (text, size, space) = match block {
            Block::Heading(text) => (text.clone(), HEADING_SIZE, 10.0),
            Block::Paragraph(text) => (text.clone(), BODY_SIZE, 5.0),
            Block::Field { label, value } => (format!("{label}: {value}"), BODY_SIZE, 3.0),
        };
        for (i, line) in wrap(&text, size, max).into_iter().enumerate() {
            place(&mut pages, &mut y, line, size, if i == 0 { space } else { 0.0 });
        }
    }
    pages
}

/// Renders the document as a PDF file.
pub fn render(document: &Printable) -> Vec<u8> {
    let pages = layout(document);
    let font = EmbeddedFont::for_pages(&pages);
    let font_name = format!("{}DejaVuSans", font.tag);
    let font_name = Name(font_name.as_bytes());
    // Embedded glyph id → (original glyph id, the character it shows).
    let mut used: BTreeMap<u16, (u16, char)> = BTreeMap::new();
    let mut next_id = 1;
    let mut id = || {
        let r = Ref::new(next_id);
        next_id += 1;
        r
    };
    let catalog_id = id();
    let tree_id = id();
    let type0_id = id();
    let cid_id = id();
    let descriptor_id = id();
    let file_id = id();
    let cmap_id = id();
    let info_id = id();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (id(), id())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(page_ids.len() as i32);
    pdf.document_info(info_id).title(pdf_writer::TextStr(&document.title));

    for (lines, (page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree_id)
            .contents(*content_id);
        page.resources().fonts().pair(FONT_RESOURCE, type0_id);
        page.finish();

        let mut content = Content::new();
        for line in lines {
            let mut encoded = Vec::with_capacity(line.text.len() * 2);
            for c in line.text.chars() {
                let original = glyph(c);
                let gid = font.id(original);
                used.entry(gid).or_insert((original, c));
                encoded.extend_from_slice(&gid.to_be_bytes());
            }
            content
                .begin_text()
                .set_font(FONT_RESOURCE, line.size)
                .next_line(MARGIN, line.y)
                .show(Str(&encoded))
                .end_text();
        }
        pdf.stream(*content_id, content.finish().as_slice());
    }

    pdf.type0_font(type0_id)
        .base_font(font_name)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);
    let mut cid = pdf.cid_font(cid_id);
    cid.subtype(CidFontType::Type2)
        .base_font(font_name)
        .system_info(IDENTITY)
        .font_descriptor(descriptor_id)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    {
        let mut widths = cid.widths();
        for (gid, (original, _)) in &used {
            widths.consecutive(*gid, [advance(*original)]);
        }
    }
    cid.finish();

    let scale = 1000.0 / f32::from(FACE.units_per_em());
    let bbox = FACE.global_bounding_box();
    pdf.font_descriptor(descriptor_id)
        .name(font_name)
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * scale,
            f32::from(bbox.y_min) * scale,
            f32::from(bbox.x_max) * scale,
            f32::from(bbox.y_max) * scale,
        ))
        .italic_angle(0.0)
        .ascent(f32::from(FACE.ascender()) * scale)
        .descent(f32::from(FACE.descender()) * scale)
        .cap_height(f32::from(FACE.capital_height().unwrap_or(FACE.ascender())) * scale)
        .stem_v(80.0)
        .font_file2(file_id);
    pdf.stream(file_id, &compress(&font.program))
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), font.program.len() as i32);

    let mut cmap = UnicodeCmap::new(Name(b"Custom"), IDENTITY);
    for (gid, (_, c)) in &used {
        cmap.pair(*gid, *c);
    }
    pdf.cmap(cmap_id, cmap.finish().as_slice());
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_covers_dutch_polish_and_the_euro_sign() {
        for c in "éëïöüĳ ąćęłńóśźż ĄĆĘŁŃÓŚŹŻ €".chars().filter(|c| !c.is_whitespace()) {
            assert_ne!(glyph(c), 0, "{c} has a glyph");
        }
    }

    #[test]
    fn lines_are_wrapped_at_spaces_within_the_width() {
        let text = "Het rapport van de deskundige laat zien dat de verbinding elke avond wegvalt. ".repeat(5);
        let lines = wrap(&text, BODY_SIZE, 200.0);
        assert!(lines.len() > 5);
        for line in &lines {
            assert!(width(line, BODY_SIZE) <= 200.0, "{line}");
        }
        assert_eq!(lines.join(" "), super::super::collapse_whitespace(&text));
    }

    #[test]
    fn a_word_longer_than_a_line_is_broken_not_lost() {
        let word = "x".repeat(300);
        let lines = wrap(&word, BODY_SIZE, 100.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), word);
    }

    #[test]
    fn a_long_document_flows_onto_more_pages() {
        let document = Printable {
            language: "nl".into(),
            title: "Lang".into(),
            blocks: (0..200).map(|i| Block::Paragraph(format!("Alinea {i}."))).collect(),
        };
        let pages = layout(&document);
        assert!(pages.len() > 1);
        for line in pages.iter().flatten() {
            assert!(line.y >= MARGIN);
        }
        let pdf = render(&document);
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn only_the_glyphs_used_are_embedded() {
        let document = Printable {
            language: "pl".into(),
            title: "Orzeczenie".into(),
            blocks: vec![Block::Paragraph("Zażółć gęślą jaźń, € 240,00.".into())],
        };
        let pdf = render(&document);
        assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
        let font = EmbeddedFont::for_pages(&layout(&document));
        assert!(font.remapper.is_some(), "subsetting works for the embedded font");
        assert_eq!(font.id(0), 0);
        assert_ne!(font.id(glyph('ż')), 0);
    }
}
