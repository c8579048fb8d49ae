//! Anonymising a ruling's text before publication. Pure: the case's own personal data
//! (who the consumer is, where they live, their numbers) is replaced wherever it occurs,
//! and the common shapes of personal data (e-mail addresses, Dutch phone numbers, IBANs,
//! postcodes with the place after them, street addresses, customer and invoice numbers)
//! are replaced even when the case did not know them. Over-replacing is the safe side:
//! the secretariat reviews the text before it is published.

use std::sync::LazyLock;

use regex::{Captures, Regex};

pub const CONSUMER: &str = "[CONSUMENT]";
pub const PERSON: &str = "[NAAM]";
pub const PLACE: &str = "[PLAATS]";
pub const ADDRESS: &str = "[ADRES]";
pub const POSTCODE: &str = "[POSTCODE]";
pub const EMAIL: &str = "[E-MAIL]";
pub const PHONE: &str = "[TELEFOONNUMMER]";
pub const IBAN: &str = "[IBAN]";
pub const CUSTOMER_NUMBER: &str = "[KLANTNUMMER]";
pub const INVOICE_NUMBER: &str = "[FACTUURNUMMER]";
pub const NUMBER: &str = "[NUMMER]";

/// What the portal knows about the people in a case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownPersonalData {
    /// The consumer's name(s) as written in their account and the file.
    pub consumer_names: Vec<String>,
    /// Other natural persons in the file (provider staff, relatives named in the file).
    pub other_names: Vec<String>,
    /// Street lines, e.g. `Kerkstraat 12a`.
    pub addresses: Vec<String>,
    /// The consumer's place of residence.
    pub places: Vec<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub ibans: Vec<String>,
    pub customer_numbers: Vec<String>,
    pub invoice_numbers: Vec<String>,
}

/// Words inside Dutch names that are not names on their own.
const NAME_PARTICLES: &[&str] = &[
    "van", "de", "der", "den", "het", "ten", "ter", "te", "in", "op", "la", "le", "du", "da", "di", "von", "'t",
];

static EMAIL_PATTERN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}\b").expect("regex"));
/// IBANs with or without the usual groups of four (NL91 ABNA 0417 1643 00).
static IBAN_PATTERN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b[a-z]{2}\d{2}[ ]?(?:[a-z0-9]{4}[ ]?){2,7}[a-z0-9]{1,4}\b").expect("regex"));
/// Dutch phone numbers: 06-12345678, 020 123 45 67, (020) 1234567, +31 6 1234 5678, 0031 20 1234567.
static PHONE_PATTERN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:\+31|\b0031|\(0|\b0)(?:[ \-\.\)]{0,2}\d){9}\b").expect("regex"));
/// A postcode (1234 AB; SA, SD and SS are not issued) and the place that usually follows it.
static POSTCODE_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b[1-9]\d{3}[ ]?(?:[A-RT-Z][A-Z]|S[BCE-RT-Z])\b(?P<place>,?[ ]+(?:'s-)?\p{Lu}[\p{L}\-]+(?:[ ]\p{Lu}[\p{L}\-]+)?)?",
    )
    .expect("regex")
});
/// A street and house number: Kerkstraat 12a, Van Nellelaan 3-5, Lange Voorhout 7 bis is too rare to chase.
static ADDRESS_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:\b(?:Van|De|Den|Der|Ter|'t)(?:[ ]+(?:de|der|den))?[ ]+)?\b\p{Lu}[\p{L}'\.\-]*(?:straat|laan|weg|plein|gracht|kade|singel|dijk|hof|pad|steeg|dreef|park|markt|plantsoen|boulevard|baan|erf|ring|wal|straatweg|allee|veld|burcht|hoven)[ ]+\d{1,5}(?:[ ]?[a-zA-Z]\b)?(?:[ ]?[\-/][ ]?\d{1,4}[a-zA-Z]?)?",
    )
    .expect("regex")
});
/// A labelled number: "klantnummer: 12345678", "factuurnr. F-2025-0042", "customer number 998877".
static LABELLED_NUMBER_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?P<label>klant(?:en)?(?:nummer|nr\.?)|debiteur(?:en)?(?:nummer|nr\.?)|factuur(?:nummer|nr\.?)|contract(?:nummer|nr\.?)|abonnements?(?:nummer|nr\.?)|order(?:nummer|nr\.?)|dossier(?:nummer|nr\.?)|referentie(?:nummer)?|customer (?:number|no\.?|id)|account (?:number|no\.?)|invoice (?:number|no\.?)|numer klienta|numer faktury)(?P<sep>[ ]*[:#]?[ ]*(?:is[ ]+)?)(?P<number>[A-Za-z0-9][A-Za-z0-9\-/\.]*\d[A-Za-z0-9\-/]*)",
    )
    .expect("regex")
});
/// A person named with a form of address: "de heer Pieters", "mevrouw J. de Boer", "dhr. Smit".
static ADDRESSED_PERSON_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?P<title>\b(?i:de heer|heer|mevrouw|meneer|mevr\.|mw\.|dhr\.|mr\.|drs\.|dr\.|ir\.|pan|pani|mrs\.?|mr|ms\.?))[ ]+(?:\p{Lu}\.[ ]?)*(?:(?:van|de|der|den|ter|ten|het)[ ]+)*\p{Lu}[\p{L}'\-]+",
    )
    .expect("regex")
});
/// A placeholder this module wrote, e.g. `[CONSUMENT]`.
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[[A-Z\-]+\]").expect("regex"));
static REPEATED_PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\[[A-Z\-]+\])(?:[ ]+\[[A-Z\-]+\])*").expect("regex"));

/// The text with every piece of personal data replaced by its placeholder.
pub fn anonymise(text: &str, known: &KnownPersonalData) -> String {
    let mut out = text.to_owned();

    // Known e-mail addresses and the e-mail shape.
    out = replace_literals(&out, &known.emails, EMAIL);
    out = EMAIL_PATTERN.replace_all(&out, EMAIL).into_owned();

    // Numbers before phone numbers: an IBAN or a customer number holds digit runs that look like one.
    out = replace_literals(&out, &known.ibans, IBAN);
    out = IBAN_PATTERN
        .replace_all(&out, |c: &Captures| {
            let found = &c[0];
            if found.chars().filter(char::is_ascii_digit).count() >= 8 && iban_checksum_or_dutch(found) {
                IBAN.to_owned()
            } else {
                found.to_owned()
            }
        })
        .into_owned();
    out = replace_literals(&out, &known.customer_numbers, CUSTOMER_NUMBER);
    out = replace_literals(&out, &known.invoice_numbers, INVOICE_NUMBER);
    out = LABELLED_NUMBER_PATTERN
        .replace_all(&out, |c: &Captures| {
            let label = &c["label"];
            let lower = label.to_lowercase();
            let placeholder =
                if lower.starts_with("factuur") || lower.starts_with("invoice") || lower.contains("faktury") {
                    INVOICE_NUMBER
                } else if lower.starts_with("klant") || lower.starts_with("customer") || lower.contains("klienta") {
                    CUSTOMER_NUMBER
                } else {
                    NUMBER
                };
            format!("{label}{}{placeholder}", &c["sep"])
        })
        .into_owned();

    // Phone numbers, known ones in whatever notation first.
    for phone in &known.phones {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 6 {
            out = replace_digit_sequence(&out, &digits, PHONE);
        }
    }
    out = PHONE_PATTERN.replace_all(&out, PHONE).into_owned();

    // Where the consumer lives.
    out = replace_literals(&out, &known.addresses, ADDRESS);
    out = POSTCODE_PATTERN
        .replace_all(&out, |c: &Captures| {
            if c.name("place").is_some() {
                format!("{POSTCODE} {PLACE}")
            } else {
                POSTCODE.to_owned()
            }
        })
        .into_owned();
    out = ADDRESS_PATTERN.replace_all(&out, ADDRESS).into_owned();
    out = replace_literals(&out, &known.places, PLACE);

    // Names: whole names first, then their parts (with initials and particles in front).
    out = replace_names(&out, &known.consumer_names, CONSUMER);
    out = replace_names(&out, &known.other_names, PERSON);
    // Anyone else named with a form of address.
    out = ADDRESSED_PERSON_PATTERN
        .replace_all(&out, |c: &Captures| format!("{} {PERSON}", &c["title"]))
        .into_owned();

    // "[CONSUMENT] [CONSUMENT]" (first name and surname replaced apart) reads as one.
    REPEATED_PLACEHOLDER
        .replace_all(&out, |c: &Captures| {
            let first = &c[1];
            let all_same = c[0].split_whitespace().all(|p| p == first);
            if all_same { first.to_owned() } else { c[0].to_owned() }
        })
        .into_owned()
}

/// The pieces of `text` that still look like personal data (for the review page).
pub fn remaining_findings(text: &str, known: &KnownPersonalData) -> bool {
    anonymise(text, known) != text
}

/// A Dutch IBAN (always checked by shape), or any IBAN whose mod-97 checksum holds, so that
/// a long product code is not taken for one.
fn iban_checksum_or_dutch(candidate: &str) -> bool {
    let compact: String = candidate
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if compact.starts_with("NL") && compact.len() == 18 {
        return true;
    }
    if compact.len() < 15 || compact.len() > 34 {
        return false;
    }
    let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
    let mut remainder: u32 = 0;
    for c in rearranged.chars() {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        let width = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * width + value) % 97;
    }
    remainder == 1
}

/// Replaces every whole-word, case-insensitive occurrence of the given strings.
fn replace_literals(text: &str, needles: &[String], placeholder: &str) -> String {
    let mut needles: Vec<&str> = needles
        .iter()
        .map(|n| n.trim())
        .filter(|n| n.chars().count() >= 2)
        .collect();
    if needles.is_empty() {
        return text.to_owned();
    }
    needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let alternatives: Vec<String> = needles
        .iter()
        .map(|n| {
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            format!(
                "{}{}{}",
                if word(n.chars().next()) { r"\b" } else { "" },
                flexible_whitespace(&regex::escape(n)),
                if word(n.chars().last()) { r"\b" } else { "" }
            )
        })
        .collect();
    match Regex::new(&format!("(?i)(?:{})", alternatives.join("|"))) {
        Ok(re) => outside_placeholders(text, |part| re.replace_all(part, placeholder).into_owned()),
        Err(_) => text.to_owned(),
    }
}

/// Applies `replace` to the text between the placeholders already in it. A known word that is
/// also a placeholder's word (a consumer called "Naam Consument", a place called "Plaats") would
/// otherwise eat into `[CONSUMENT]` and `[NAAM]`, growing brackets on every pass, so that the
/// secretariat's save never comes back unchanged and the ruling can never be published.
fn outside_placeholders(text: &str, replace: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for found in PLACEHOLDER.find_iter(text) {
        out.push_str(&replace(&text[last..found.start()]));
        out.push_str(found.as_str());
        last = found.end();
    }
    out.push_str(&replace(&text[last..]));
    out
}

/// Lets a space in an escaped needle match any run of white space (line breaks in a letter).
fn flexible_whitespace(escaped: &str) -> String {
    escaped
        .split(' ')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(r"\s+")
}

/// The digits of a known number, with any spaces, dashes, dots or brackets between them,
/// and a +31/0031 written instead of its leading 0.
fn replace_digit_sequence(text: &str, digits: &str, placeholder: &str) -> String {
    let national = digits
        .strip_prefix("0031")
        .or_else(|| digits.strip_prefix("31").filter(|_| digits.len() == 11))
        .map(|rest| format!("0{rest}"))
        .unwrap_or_else(|| digits.to_owned());
    let tail = national.strip_prefix('0').unwrap_or(&national);
    let separated: Vec<String> = tail.chars().map(|c| c.to_string()).collect();
    let body = separated.join(r"[ \-\.\)\(]{0,2}");
    let pattern = format!(r"(?:\+31|\b0031|\(0|\b0)?[ \-\.\)]{{0,2}}{body}\b");
    match Regex::new(&pattern) {
        Ok(re) => re.replace_all(text, placeholder).into_owned(),
        Err(_) => text.to_owned(),
    }
}

/// Whole names, then each part of a name that is not a particle, with the initials and
/// particles that may stand before it ("J. de Vries", "mevrouw De Vries").
fn replace_names(text: &str, names: &[String], placeholder: &str) -> String {
    let mut out = replace_literals(text, names, placeholder);
    let mut parts: Vec<String> = names
        .iter()
        .flat_map(|n| n.split_whitespace())
        .map(|p| p.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-'))
        .filter(|p| p.chars().count() >= 3 && !NAME_PARTICLES.contains(&p.to_lowercase().as_str()))
        .map(str::to_owned)
        .collect();
    parts.sort_by_key(|p| std::cmp::Reverse(p.len()));
    parts.dedup();
    if parts.is_empty() {
        return out;
    }
    let alternatives: Vec<String> = parts.iter().map(|p| regex::escape(p)).collect();
    let particles = NAME_PARTICLES
        .iter()
        .map(|p| regex::escape(p))
        .collect::<Vec<_>>()
        .join("|");
    let pattern = format!(
        r"(?i)(?:\b\p{{Lu}}\.[ ]?)*(?:\b(?:{particles})[ ]+)*\b(?:{})\b",
        alternatives.join("|")
    );
    if let Ok(re) = Regex::new(&pattern) {
        out = outside_placeholders(&out, |part| re.replace_all(part, placeholder).into_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> KnownPersonalData {
        KnownPersonalData {
            consumer_names: vec!["Jan de Vries".into()],
            other_names: vec!["Petra Bakker".into()],
            addresses: vec!["Kerkstraat 12a".into()],
            places: vec!["Zwolle".into()],
            emails: vec!["jan.devries@example.nl".into()],
            phones: vec!["06-12345678".into()],
            ibans: vec!["NL91ABNA0417164300".into()],
            customer_numbers: vec!["KL-778899".into()],
            invoice_numbers: vec!["F2025-0042".into()],
        }
    }

    #[test]
    fn the_consumers_own_name_is_replaced_in_every_form() {
        let text = "De consument, Jan de Vries, schreef. De heer De Vries wachtte. J. de Vries tekende. Jan belde.";
        let out = anonymise(text, &known());
        assert!(!out.contains("Vries") && !out.contains("Jan "), "{out}");
        assert!(out.contains("De consument, [CONSUMENT], schreef."), "{out}");
        assert!(out.contains("De heer [CONSUMENT] wachtte."), "{out}");
        assert!(out.contains("[CONSUMENT] tekende."), "{out}");
    }

    #[test]
    fn a_name_that_is_also_a_placeholder_word_leaves_the_placeholders_alone_and_a_second_pass_changes_nothing() {
        let placeholder_words = KnownPersonalData {
            consumer_names: vec!["Naam Consument".into()],
            other_names: vec!["Kees Plaats".into()],
            ..KnownPersonalData::default()
        };
        let once = anonymise(
            "Naam Consument schreef; Kees Plaats antwoordde. Consument belde.",
            &placeholder_words,
        );
        assert_eq!(once, "[CONSUMENT] schreef; [NAAM] antwoordde. [CONSUMENT] belde.");
        assert_eq!(
            anonymise(&once, &placeholder_words),
            once,
            "the secretariat's save must come back unchanged"
        );
        let text = "De consument, Jan de Vries (Kerkstraat 12a, Zwolle, jan.devries@example.nl), schreef Petra Bakker.";
        let once = anonymise(text, &known());
        assert_eq!(anonymise(&once, &known()), once);
    }

    #[test]
    fn other_people_named_in_the_file_become_a_name_placeholder() {
        let out = anonymise(
            "Medewerker Petra Bakker antwoordde; mevrouw Bakker beloofde terugbellen.",
            &known(),
        );
        assert_eq!(
            out,
            "Medewerker [NAAM] antwoordde; mevrouw [NAAM] beloofde terugbellen."
        );
    }

    #[test]
    fn people_named_with_a_form_of_address_are_replaced_even_when_unknown() {
        let none = KnownPersonalData::default();
        assert_eq!(
            anonymise(
                "De heer Pieters belde; mevrouw J. de Boer en dhr. Smit-Jansen niet.",
                &none
            ),
            "De heer [NAAM] belde; mevrouw [NAAM] en dhr. [NAAM] niet."
        );
        // A placeholder after a form of address stays as it is.
        assert_eq!(
            anonymise("Mevrouw [CONSUMENT] klaagt.", &none),
            "Mevrouw [CONSUMENT] klaagt."
        );
    }

    #[test]
    fn email_addresses_known_or_not_are_replaced() {
        let out = anonymise(
            "Mail naar jan.devries@example.nl en cc aan iemand.anders+tag@mail.example.com.",
            &KnownPersonalData::default(),
        );
        assert_eq!(out, "Mail naar [E-MAIL] en cc aan [E-MAIL].");
    }

    #[test]
    fn dutch_phone_numbers_in_every_usual_notation_are_replaced() {
        for phone in [
            "06-12345678",
            "06 1234 5678",
            "0612345678",
            "+31 6 12345678",
            "+31612345678",
            "0031 6 1234 5678",
            "020 123 45 67",
            "(020) 1234567",
            "010-1234567",
        ] {
            let out = anonymise(&format!("Bel {phone} graag."), &KnownPersonalData::default());
            assert_eq!(out, "Bel [TELEFOONNUMMER] graag.", "{phone}");
        }
    }

    #[test]
    fn a_known_phone_number_is_found_however_it_is_written() {
        let out = anonymise("Zijn nummer: +31 (6) 123 456 78.", &known());
        assert!(!out.contains("456"), "{out}");
    }

    #[test]
    fn amounts_dates_and_references_are_not_taken_for_phone_numbers() {
        let text = "Op 01-02-2025 betaalde hij € 1.234,56 voor zaak TEL-2026-000123 (artikel 7:17 BW).";
        assert_eq!(anonymise(text, &KnownPersonalData::default()), text);
    }

    #[test]
    fn ibans_with_and_without_spaces_are_replaced() {
        let none = KnownPersonalData::default();
        assert_eq!(anonymise("Rekening NL91ABNA0417164300.", &none), "Rekening [IBAN].");
        assert_eq!(anonymise("Rekening NL91 ABNA 0417 1643 00.", &none), "Rekening [IBAN].");
        assert_eq!(anonymise("Konto DE89 3704 0044 0532 0130 00.", &none), "Konto [IBAN].");
    }

    #[test]
    fn postcodes_and_the_place_after_them_are_replaced() {
        let none = KnownPersonalData::default();
        assert_eq!(
            anonymise("Hij woont in 8011 AB Zwolle sinds 2019.", &none),
            "Hij woont in [POSTCODE] [PLAATS] sinds 2019."
        );
        assert_eq!(anonymise("Postcode 1234AB.", &none), "Postcode [POSTCODE].");
        // A year followed by a Dutch word is not a postcode.
        assert_eq!(anonymise("In 2024 de storing.", &none), "In 2024 de storing.");
    }

    #[test]
    fn street_addresses_are_replaced() {
        let none = KnownPersonalData::default();
        assert_eq!(
            anonymise("Adres: Kerkstraat 12a, tweede etage.", &none),
            "Adres: [ADRES], tweede etage."
        );
        assert_eq!(
            anonymise("Aan de Van Nellelaan 3-5 geleverd.", &none),
            "Aan de [ADRES] geleverd."
        );
        assert_eq!(anonymise("Op de Van der Helststraat 7 B.", &none), "Op de [ADRES].");
    }

    #[test]
    fn the_consumers_place_is_replaced_even_without_a_postcode() {
        assert_eq!(
            anonymise("De monteur kwam in Zwolle langs.", &known()),
            "De monteur kwam in [PLAATS] langs."
        );
    }

    #[test]
    fn labelled_customer_and_invoice_numbers_are_replaced_but_the_label_stays() {
        let none = KnownPersonalData::default();
        assert_eq!(
            anonymise(
                "Klantnummer: 12345678, factuurnr. F-2025-0042 en contractnummer 9988.",
                &none
            ),
            "Klantnummer: [KLANTNUMMER], factuurnr. [FACTUURNUMMER] en contractnummer [NUMMER]."
        );
        assert_eq!(
            anonymise("Zie KL-778899 en F2025-0042.", &known()),
            "Zie [KLANTNUMMER] en [FACTUURNUMMER]."
        );
    }

    #[test]
    fn the_provider_and_the_facts_of_the_dispute_stay_readable() {
        let text = "Glasvezel Noord B.V. moet € 240,00 terugbetalen omdat de verbinding 14 dagen uitviel.";
        assert_eq!(anonymise(text, &known()), text);
    }

    #[test]
    fn anonymising_twice_changes_nothing_more() {
        let text = "Jan de Vries (jan.devries@example.nl, 06-12345678) woont aan de Kerkstraat 12a, 8011 AB Zwolle.";
        let once = anonymise(text, &known());
        assert_eq!(anonymise(&once, &known()), once);
        assert!(!remaining_findings(&once, &known()));
        assert!(remaining_findings(text, &known()));
    }

    #[test]
    fn names_with_regex_characters_do_not_break_anything() {
        let known = KnownPersonalData {
            consumer_names: vec!["A.(B) [C]*".into(), "".into(), " ".into()],
            ..KnownPersonalData::default()
        };
        let _ = anonymise("A.(B) [C]* schreef", &known);
    }
}
