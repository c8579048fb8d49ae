//! The handlebars registry: strict mode (a missing field is an error, not an empty
//! string), templates embedded in the binary (read from disk in debug builds by
//! rust-embed), and the helpers the templates use.

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, Renderable, StringOutput,
    handlebars_helper,
};
use rust_embed::RustEmbed;
use serde_json::{Map, Value};

use crate::i18n::TranslateHelper;

#[derive(RustEmbed)]
#[folder = "templates/"]
#[include = "*.hbs"]
#[include = "**/*.hbs"]
struct TemplateFiles;

handlebars_helper!(eq: |a: Json, b: Json| a == b);
handlebars_helper!(concat: |a: str, b: str| format!("{a}{b}"));
handlebars_helper!(euros: |cents: i64| format_euros(cents));

/// `123456` cents → `€ 1.234,56` (Dutch notation, used in all languages for amounts).
pub fn format_euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("{sign}€ {grouped},{:02}", cents % 100)
}

/// What the `layout` template reads from a page's data (set by `PageContext`), besides `title`.
pub const LAYOUT_KEYS: [&str; 5] = ["lang", "user", "csrf_token", "languages", "path"];

/// `{{#layout title=...}}page{{/layout}}`: renders the page in its own data, then the `layout`
/// template around it with only `title`, the page as `body` and [`LAYOUT_KEYS`]. A partial block
/// (`{{#> layout}}`) would do the same but first copies all of the page's data for the layout,
/// which was up to a third of the work of rendering a page with a long list.
struct LayoutHelper;

impl HelperDef for LayoutHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        registry: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let mut body = StringOutput::new();
        if let Some(page) = h.template() {
            page.render(registry, ctx, rc, &mut body)?;
        }
        let mut data = Map::new();
        for key in LAYOUT_KEYS {
            if let Some(value) = ctx.data().get(key) {
                data.insert(key.to_owned(), value.clone());
            }
        }
        let title = h.hash_get("title").map_or(Value::Null, |t| t.value().clone());
        data.insert("title".to_owned(), title);
        data.insert("body".to_owned(), Value::String(body.into_string()?));
        out.write(&registry.render_with_context("layout", &Context::from(Value::Object(data)))?)?;
        Ok(())
    }
}

/// The registry for pages and HTML e-mails (HTML-escaping every value).
pub fn build() -> Result<Handlebars<'static>, handlebars::TemplateError> {
    build_registry(true)
}

/// The registry for plain-text e-mails and subjects: same templates and helpers, no HTML escaping.
pub fn build_plain_text() -> Result<Handlebars<'static>, handlebars::TemplateError> {
    build_registry(false)
}

fn build_registry(escape_html: bool) -> Result<Handlebars<'static>, handlebars::TemplateError> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    if !escape_html {
        registry.register_escape_fn(handlebars::no_escape);
    }
    registry.register_embed_templates_with_extension::<TemplateFiles>(".hbs")?;
    registry.register_helper(
        "t",
        Box::new(TranslateHelper {
            strict: cfg!(debug_assertions),
        }),
    );
    registry.register_helper("eq", Box::new(eq));
    registry.register_helper("layout", Box::new(LayoutHelper));
    registry.register_helper("concat", Box::new(concat));
    registry.register_helper("euros", Box::new(euros));
    Ok(registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_use_dutch_notation() {
        assert_eq!(format_euros(0), "€ 0,00");
        assert_eq!(format_euros(5000), "€ 50,00");
        assert_eq!(format_euros(123_456_789), "€ 1.234.567,89");
        assert_eq!(format_euros(-1_05), "-€ 1,05");
    }

    #[test]
    fn what_users_typed_in_a_messages_arguments_is_escaped_in_html_and_kept_in_plain_text() {
        let name = r#"<img src=x onerror=alert(1)> & "Jan""#;
        let data = serde_json::json!({ "lang": "nl", "name": name });
        let template = r#"{{t "dashboard-signed-in-as" name=name}}"#;
        let html = build().unwrap().render_template(template, &data).unwrap();
        assert_eq!(
            html,
            "U bent ingelogd als &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt; &amp; &quot;Jan&quot;."
        );
        let plain = build_plain_text().unwrap().render_template(template, &data).unwrap();
        assert_eq!(plain, format!("U bent ingelogd als {name}."));
    }

    #[test]
    fn every_template_compiles() {
        let registry = build().expect("templates compile");
        assert!(registry.has_template("layout"));
        assert!(registry.has_template("pages/home"));
    }
}
