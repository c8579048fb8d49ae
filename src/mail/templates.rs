//! E-mails as templates: `templates/email/<name>.text.hbs` and `<name>.html.hbs`, with the
//! subject from the translation `email-<name>-subject`, rendered in the recipient's language.

use handlebars::Handlebars;
use serde_json::{Value, json};

use crate::i18n::Language;
use crate::jobs::OutgoingEmail;
use crate::web::templates;

pub struct EmailTemplates {
    html: Handlebars<'static>,
    text: Handlebars<'static>,
}

impl EmailTemplates {
    pub fn build() -> Result<Self, handlebars::TemplateError> {
        Ok(Self {
            html: templates::build()?,
            text: templates::build_plain_text()?,
        })
    }

    /// Renders e-mail `name` for `to` in `language`; `data` must be an object.
    pub fn render(
        &self,
        name: &str,
        language: Language,
        to: &str,
        data: Value,
    ) -> Result<OutgoingEmail, handlebars::RenderError> {
        let mut data = data;
        if let Value::Object(map) = &mut data {
            map.insert("lang".into(), json!(language.code()));
        }
        let subject = self
            .text
            .render_template(&format!("{{{{t \"email-{name}-subject\"}}}}"), &data)?;
        Ok(OutgoingEmail {
            to: to.to_owned(),
            subject: subject.trim().to_owned(),
            text: self.text.render(&format!("email/{name}.text"), &data)?,
            html: self.html.render(&format!("email/{name}.html"), &data)?,
            attachments: Vec::new(),
        })
    }
}
