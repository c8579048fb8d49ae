//! Documentation that is generated from the code must match it.

use geschillenportaal::cases::lifecycle::mermaid_diagram;

#[test]
fn the_lifecycle_diagram_in_the_docs_matches_the_transition_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/LIFECYCLE.md");
    let doc = std::fs::read_to_string(path).expect("docs/LIFECYCLE.md exists");
    let start = doc.find("```mermaid\n").expect("a mermaid block") + "```mermaid\n".len();
    let end = start + doc[start..].find("```").expect("closed block");
    let expected = mermaid_diagram();
    if std::env::var("UPDATE_DOCS").is_ok() {
        std::fs::write(path, format!("{}{}{}", &doc[..start], expected, &doc[end..])).unwrap();
        return;
    }
    assert_eq!(
        &doc[start..end],
        expected,
        "docs/LIFECYCLE.md is out of date: run UPDATE_DOCS=1 cargo test --test docs"
    );
}
