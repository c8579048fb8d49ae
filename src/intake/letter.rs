//! The written complaint the portal prepares when the only thing standing between the consumer and a case
//! is a written complaint or the provider's answer period. Pure: the facts go in, the letter's parts come
//! out, in Dutch (the provider's language), for the printable page and the downloadable text alike.

use chrono::NaiveDate;
use serde::Serialize;

use crate::i18n::Language;
use crate::registry::check::format_date;
use crate::web::templates::format_euros;

/// Everything the letter says, gathered by the handler from the draft, the registry and the account.
#[derive(Debug, Clone)]
pub struct LetterFacts<'a> {
    pub consumer_name: &'a str,
    pub consumer_email: &'a str,
    pub provider_name: &'a str,
    pub provider_street: &'a str,
    pub provider_postcode: &'a str,
    pub provider_city: &'a str,
    pub provider_complaint_email: &'a str,
    pub customer_number: Option<&'a str>,
    /// The category in Dutch (e.g. "storing of snelheid").
    pub category_nl: &'a str,
    pub first_contact_date: Option<NaiveDate>,
    pub description: Option<&'a str>,
    pub desired_outcome: Option<&'a str>,
    pub claim_cents: Option<i64>,
    /// The day the letter is dated.
    pub today: NaiveDate,
    /// The day by which the provider is asked to answer (the scheme's answer period from today).
    pub answer_by: NaiveDate,
    /// The dispute body the consumer will turn to, when known.
    pub scheme_name: Option<&'a str>,
}

/// The parts of the letter, in reading order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComplaintLetter {
    pub sender: Vec<String>,
    pub recipient: Vec<String>,
    pub place_and_date: String,
    pub subject: String,
    pub salutation: String,
    pub paragraphs: Vec<String>,
    pub closing: String,
    pub signature: String,
    /// Advice for the consumer, not part of the letter.
    pub advice: String,
}

/// Writes the letter.
pub fn compose(facts: &LetterFacts<'_>) -> ComplaintLetter {
    let nl = |d: NaiveDate| format_date(Language::Nl, d);
    let mut recipient = vec![facts.provider_name.to_owned(), "t.a.v. de klachtenafdeling".to_owned()];
    for line in [
        facts.provider_street,
        &join_postcode(facts.provider_postcode, facts.provider_city),
    ] {
        if !line.trim().is_empty() {
            recipient.push(line.trim().to_owned());
        }
    }
    if !facts.provider_complaint_email.trim().is_empty() {
        recipient.push(format!("E-mail: {}", facts.provider_complaint_email.trim()));
    }
    let mut subject = format!("Schriftelijke klacht over {}", facts.category_nl);
    if let Some(number) = facts.customer_number.filter(|n| !n.trim().is_empty()) {
        subject.push_str(&format!(" (klantnummer {})", number.trim()));
    }

    let mut paragraphs = Vec::new();
    let mut opening = format!(
        "Hierbij dien ik schriftelijk een klacht bij u in over {}.",
        facts.category_nl
    );
    if let Some(first) = facts.first_contact_date {
        opening.push_str(&format!(
            " Ik heb hierover op {} al contact met u gehad, maar het probleem is niet opgelost.",
            nl(first)
        ));
    }
    paragraphs.push(opening);
    if let Some(description) = facts.description.filter(|d| !d.trim().is_empty()) {
        paragraphs.push(format!("Wat er is gebeurd:\n{}", description.trim()));
    }
    let mut wish = match facts.desired_outcome.filter(|o| !o.trim().is_empty()) {
        Some(outcome) => format!("Ik verzoek u het volgende: {}", outcome.trim()),
        None => "Ik verzoek u het probleem op te lossen.".to_owned(),
    };
    if let Some(cents) = facts.claim_cents.filter(|c| *c > 0) {
        wish.push_str(&format!(" Het bedrag waar het om gaat is {}.", format_euros(cents)));
    }
    paragraphs.push(wish);
    paragraphs.push(format!(
        "Ik verzoek u binnen een redelijke termijn, uiterlijk op {}, schriftelijk op deze klacht te reageren.",
        nl(facts.answer_by)
    ));
    paragraphs.push(match facts.scheme_name {
        Some(scheme) => format!(
            "Komen wij er samen niet uit, dan leg ik het geschil voor aan {scheme}. Ik ga ervan uit dat dit niet \
             nodig zal zijn."
        ),
        None => "Komen wij er samen niet uit, dan leg ik het geschil voor aan een geschillencommissie of de \
                 rechter. Ik ga ervan uit dat dit niet nodig zal zijn."
            .to_owned(),
    });

    ComplaintLetter {
        sender: vec![facts.consumer_name.to_owned(), facts.consumer_email.to_owned()],
        recipient,
        place_and_date: nl(facts.today),
        subject,
        salutation: "Geachte heer, mevrouw,".to_owned(),
        paragraphs,
        closing: "Met vriendelijke groet,".to_owned(),
        signature: facts.consumer_name.to_owned(),
        advice: format!(
            "Stuur deze brief aangetekend of per e-mail, en bewaar een kopie en het bewijs van verzending. \
             Reageert de aanbieder niet of niet naar tevredenheid, dan kunt u vanaf {} uw klacht indienen.",
            nl(facts.answer_by)
        ),
    }
}

fn join_postcode(postcode: &str, city: &str) -> String {
    format!("{} {}", postcode.trim(), city.trim()).trim().to_owned()
}

impl ComplaintLetter {
    /// The letter as plain text, for download.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for line in &self.sender {
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
        for line in &self.recipient {
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.place_and_date);
        out.push_str("\n\nOnderwerp: ");
        out.push_str(&self.subject);
        out.push_str("\n\n");
        out.push_str(&self.salutation);
        out.push_str("\n\n");
        for paragraph in &self.paragraphs {
            out.push_str(paragraph);
            out.push_str("\n\n");
        }
        out.push_str(&self.closing);
        out.push_str("\n\n\n");
        out.push_str(&self.signature);
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn facts() -> LetterFacts<'static> {
        LetterFacts {
            consumer_name: "Jan Jansen",
            consumer_email: "jan@example.nl",
            provider_name: "Glasvezel Aanbieder B.V.",
            provider_street: "Stationsplein 1",
            provider_postcode: "1012 AB",
            provider_city: "Amsterdam",
            provider_complaint_email: "klachten@aanbieder.nl",
            customer_number: Some("123456"),
            category_nl: "storing of snelheid",
            first_contact_date: Some(d(2026, 10, 1)),
            description: Some("Het internet valt elke avond weg."),
            desired_outcome: Some("Drie maanden abonnement terug."),
            claim_cents: Some(12_000),
            today: d(2026, 11, 22),
            answer_by: d(2026, 12, 20),
            scheme_name: Some("De Geschillencommissie Telecommunicatie"),
        }
    }

    #[test]
    fn the_letter_is_addressed_from_the_registry_and_names_problem_outcome_and_deadline() {
        let letter = compose(&facts());
        assert_eq!(
            letter.recipient,
            [
                "Glasvezel Aanbieder B.V.",
                "t.a.v. de klachtenafdeling",
                "Stationsplein 1",
                "1012 AB Amsterdam",
                "E-mail: klachten@aanbieder.nl"
            ]
        );
        assert_eq!(
            letter.subject,
            "Schriftelijke klacht over storing of snelheid (klantnummer 123456)"
        );
        let text = letter.to_text();
        assert!(text.contains("1 oktober 2026"), "{text}");
        assert!(text.contains("Het internet valt elke avond weg."));
        assert!(text.contains("Drie maanden abonnement terug."));
        assert!(text.contains("€ 120,00"));
        assert!(text.contains("uiterlijk op 20 december 2026"));
        assert!(text.contains("De Geschillencommissie Telecommunicatie"));
        assert!(text.starts_with("Jan Jansen\njan@example.nl\n"));
    }

    #[test]
    fn missing_address_parts_and_answers_leave_no_empty_lines_or_placeholders() {
        let letter = compose(&LetterFacts {
            provider_street: "",
            provider_postcode: "",
            provider_city: " ",
            provider_complaint_email: "",
            customer_number: None,
            first_contact_date: None,
            description: None,
            desired_outcome: None,
            claim_cents: None,
            scheme_name: None,
            ..facts()
        });
        assert_eq!(
            letter.recipient,
            ["Glasvezel Aanbieder B.V.", "t.a.v. de klachtenafdeling"]
        );
        assert_eq!(letter.paragraphs.len(), 4);
        assert!(letter.paragraphs[1].contains("het probleem op te lossen"));
        assert!(!letter.to_text().contains("None"));
    }
}
