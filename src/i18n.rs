//! Translations with Fluent (`templates/locales/<lang>/*.ftl`, embedded at build time).
//! Dutch is the default and the fallback; English and Polish are complete translations,
//! which a test checks key by key.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, langid};
use handlebars::{Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason};
use serde::{Deserialize, Serialize};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./templates/locales",
        fallback_language: "nl",
        // Unicode isolation marks around arguments confuse e-mail clients and tests.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the portal speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Nl,
    En,
    Pl,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Nl, Language::En, Language::Pl];

    pub fn code(self) -> &'static str {
        match self {
            Language::Nl => "nl",
            Language::En => "en",
            Language::Pl => "pl",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        // The codes as the portal writes them (templates' `lang`, accounts), without allocating.
        if let Some(exact) = Self::ALL.into_iter().find(|l| l.code() == code) {
            return Some(exact);
        }
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.code() == primary)
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Language::Nl => langid!("nl"),
            Language::En => langid!("en"),
            Language::Pl => langid!("pl"),
        }
    }

    /// The first supported language of an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut ranked: Vec<(f32, Language)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let language = Language::from_code(pieces.next()?)?;
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (quality > 0.0).then_some((quality, language))
            })
            .collect();
        // Stable sort keeps the header's order among equal qualities.
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map(|(_, l)| *l)
    }

    /// The page language: an explicit choice (cookie) first, then the account's setting,
    /// then the browser's preference, then Dutch.
    pub fn negotiate(cookie: Option<&str>, account: Option<&str>, accept_language: Option<&str>) -> Self {
        cookie
            .and_then(Language::from_code)
            .or_else(|| account.and_then(Language::from_code))
            .or_else(|| accept_language.and_then(Language::from_accept_language))
            .unwrap_or_default()
    }
}

/// Translates `key`; a missing key falls back to Dutch, and then to the key itself.
pub fn translate(language: Language, key: &str) -> String {
    translate_with(language, key, &HashMap::new())
}

pub fn translate_with(language: Language, key: &str, args: &HashMap<Cow<'static, str>, FluentValue<'_>>) -> String {
    try_translate(language, key, args).unwrap_or_else(|| key.to_owned())
}

/// [`try_translate`] with the arguments as names and texts the caller formatted (dates, names).
pub fn try_translate_pairs(language: Language, key: &str, pairs: &[(&'static str, &str)]) -> Option<String> {
    let args = pairs
        .iter()
        .map(|&(name, value)| (Cow::Borrowed(name), FluentValue::from(value)))
        .collect();
    try_translate(language, key, &args)
}

/// `None` when neither the language nor the Dutch fallback has `key`.
pub fn try_translate(
    language: Language,
    key: &str,
    args: &HashMap<Cow<'static, str>, FluentValue<'_>>,
) -> Option<String> {
    let args = (!args.is_empty()).then_some(args);
    // Straight to the language's bundle, then Dutch: the loader's own fallback walk negotiates
    // the language against every bundle on each call, which showed in profiles of the case page
    // (~150 look-ups per page).
    LOCALES
        .lookup_single_language(&language.langid(), key, args)
        .ok()
        .or_else(|| {
            (language != Language::Nl)
                .then(|| LOCALES.lookup_single_language(&Language::Nl.langid(), key, args).ok())
                .flatten()
        })
}

thread_local! {
    /// Messages without arguments as the `t` helper wrote them before, per language (indexed as
    /// [`Language::ALL`]): such a message always reads the same, and a page looks up 150–200 of them,
    /// each a bundle look-up and a pattern to format (~12% of the membership page in profiles). Per
    /// thread, so a look-up takes no lock; the catalogue is compiled in and small.
    static PLAIN_MESSAGES: RefCell<[HashMap<Box<str>, Box<str>>; 3]> = RefCell::default();
}

fn language_index(language: Language) -> usize {
    match language {
        Language::Nl => 0,
        Language::En => 1,
        Language::Pl => 2,
    }
}

/// Calls `use_text` with the message `key` has without arguments, formatted once per thread and
/// language (see `PLAIN_MESSAGES`); `None` when neither the language nor Dutch has `key`.
/// `use_text` runs while the cache is borrowed, so it must not translate itself.
pub fn with_plain<R>(language: Language, key: &str, use_text: impl FnOnce(&str) -> R) -> Option<R> {
    PLAIN_MESSAGES.with_borrow_mut(|messages| {
        let messages = &mut messages[language_index(language)];
        if let Some(text) = messages.get(key) {
            return Some(use_text(text));
        }
        let text = try_translate(language, key, &HashMap::new())?;
        let result = use_text(&text);
        messages.insert(key.into(), text.into_boxed_str());
        Some(result)
    })
}

/// Handlebars helper `{{t "key" name=value}}`; the key may also be a variable or a
/// sub-expression (`{{t (concat "state-" state)}}`). The language comes from the
/// template data's `lang`. In strict builds (tests, debug) an unknown key is an error,
/// so a missing translation fails the test that renders it.
pub struct TranslateHelper {
    pub strict: bool,
}

impl handlebars::HelperDef for TranslateHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        registry: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let key = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or(RenderErrorReason::ParamTypeMismatchForName(
                "t",
                "0".into(),
                "string".into(),
            ))?;
        let language = ctx
            .data()
            .get("lang")
            .and_then(|l| l.as_str())
            .and_then(Language::from_code)
            .unwrap_or_default();
        if h.hash().is_empty() {
            return match with_plain(language, key, |text| out.write(text)) {
                Some(written) => Ok(written?),
                None if self.strict => Err(missing(key, language)),
                None => Ok(out.write(key)?),
            };
        }
        // The helper writes its text as it is (a helper's output is not escaped), so the arguments,
        // which carry what users typed (names, e-mail addresses), are escaped here with the registry's
        // own function: HTML for pages and HTML e-mails, nothing for plain-text e-mails.
        let escape = registry.get_escape_fn();
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = h
            .hash()
            .iter()
            .map(|(name, value)| {
                let value = match value.value() {
                    serde_json::Value::Number(n) => FluentValue::from(n.as_f64().unwrap_or_default()),
                    serde_json::Value::String(s) => FluentValue::from(escape(s)),
                    serde_json::Value::Null => FluentValue::from(""),
                    other => FluentValue::from(escape(&other.to_string())),
                };
                (Cow::Owned((*name).to_owned()), value)
            })
            .collect();
        let text = match try_translate(language, key, &args) {
            Some(text) => text,
            None if self.strict => return Err(missing(key, language)),
            None => key.to_owned(),
        };
        out.write(&text)?;
        Ok(())
    }
}

fn missing(key: &str, language: Language) -> handlebars::RenderError {
    RenderErrorReason::Other(format!("missing translation '{key}' for {}", language.code())).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(
            Language::from_accept_language("de-DE,de;q=0.9,en;q=0.8,pl;q=0.7"),
            Some(Language::En)
        );
        assert_eq!(Language::from_accept_language("pl-PL"), Some(Language::Pl));
        assert_eq!(Language::from_accept_language("fr, de"), None);
        assert_eq!(Language::from_accept_language("en;q=0, pl;q=0.1"), Some(Language::Pl));
    }

    #[test]
    fn a_cookie_choice_beats_the_account_setting_and_the_browser() {
        assert_eq!(Language::negotiate(Some("pl"), Some("en"), Some("nl")), Language::Pl);
        assert_eq!(Language::negotiate(None, Some("en"), Some("pl")), Language::En);
        assert_eq!(Language::negotiate(None, None, Some("pl")), Language::Pl);
        assert_eq!(Language::negotiate(Some("xx"), None, None), Language::Nl);
    }

    #[test]
    fn every_language_has_every_key_of_the_dutch_catalogue() {
        let keys = |lang: &str| -> Vec<String> {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("templates/locales")
                .join(lang);
            let mut keys: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .flat_map(|f| {
                    std::fs::read_to_string(f.unwrap().path())
                        .unwrap()
                        .lines()
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .filter_map(|line| {
                    let key = line.split_once(" =")?.0;
                    (!key.starts_with([' ', '#', '.']) && !key.is_empty()).then(|| key.to_owned())
                })
                .collect();
            keys.sort();
            keys
        };
        let dutch = keys("nl");
        assert!(dutch.len() > 20);
        for other in ["en", "pl"] {
            let theirs = keys(other);
            let missing: Vec<_> = dutch.iter().filter(|k| !theirs.contains(k)).collect();
            let extra: Vec<_> = theirs.iter().filter(|k| !dutch.contains(k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{other}: missing {missing:?}, extra {extra:?}"
            );
        }
    }

    #[test]
    fn arguments_are_interpolated_without_isolation_marks() {
        let mut args = HashMap::new();
        args.insert(Cow::Borrowed("name"), FluentValue::from("Jan"));
        assert_eq!(translate_with(Language::En, "greeting", &args), "Hello, Jan");
    }

    fn helper_renders(template: &str, data: serde_json::Value) -> Result<String, handlebars::RenderError> {
        let mut registry = Handlebars::new();
        registry.register_helper("t", Box::new(TranslateHelper { strict: true }));
        registry.render_template(template, &data)
    }

    #[test]
    fn the_helper_writes_the_same_plain_messages_from_its_memory_and_formats_arguments_each_time() {
        for language in Language::ALL {
            let expected = translate(language, "nav-dashboard");
            for _ in 0..2 {
                let text = helper_renders(
                    r#"{{t "nav-dashboard"}}"#,
                    serde_json::json!({ "lang": language.code() }),
                );
                assert_eq!(text.unwrap(), expected, "{language:?}");
            }
        }
        for name in ["Jan", "Piet"] {
            let text = helper_renders(
                r#"{{t "greeting" name=n}}"#,
                serde_json::json!({ "lang": "en", "n": name }),
            );
            assert_eq!(text.unwrap(), format!("Hello, {name}"));
        }
        // A key that is missing stays an error however often it is asked for.
        for _ in 0..2 {
            assert!(helper_renders(r#"{{t "no-such-key"}}"#, serde_json::json!({ "lang": "nl" })).is_err());
        }
    }
}
