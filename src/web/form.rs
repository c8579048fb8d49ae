//! Form validation results: a message key per field, shown next to the field, while the
//! page keeps what the user typed.

use serde_json::{Map, Value, json};

use crate::i18n::Language;

#[derive(Default, Debug)]
pub struct FieldErrors(Map<String, Value>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the first problem of `field` (later ones for the same field are dropped).
    pub fn add(&mut self, field: &str, message_key: &str) {
        self.0.entry(field.to_owned()).or_insert_with(|| json!(message_key));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// `{ field: key, …, "any": bool }` for the templates.
    pub fn to_json(&self) -> Value {
        let mut map = self.0.clone();
        map.insert("any".into(), json!(!self.0.is_empty()));
        Value::Object(map)
    }
}

/// The options of a language `<select>`, with `selected` marked.
pub fn language_options(selected: Language) -> Value {
    Value::Array(
        Language::ALL
            .iter()
            .map(|l| json!({ "code": l.code(), "selected": *l == selected }))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_problem_of_a_field_is_kept() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.to_json()["any"], false);
        errors.add("email", "email-invalid");
        errors.add("email", "email-taken");
        assert_eq!(errors.to_json()["email"], "email-invalid");
        assert_eq!(errors.to_json()["any"], true);
    }
}
