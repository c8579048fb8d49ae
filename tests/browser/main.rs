//! Browser journeys: the real server, driven through real headless Chromium (chromedriver on a
//! free loopback port, WebDriver from Rust with fantoccini). Every page a journey visits is
//! screenshotted into `target/browser-artifacts/<journey>/` and checked for accessibility (axe-core
//! when it is installed, plus our own checks: one `h1`, a `lang` attribute).
//!
//! Without chromedriver on the PATH (or in `CHROMEDRIVER`), the journeys are skipped with a message,
//! so a plain `cargo test` works on a machine without Chromium. `.ci/run` installs Chromium,
//! chromedriver and axe-core and sets `BROWSER_TESTS=required`, which turns a missing
//! browser or a missing axe-core into a failure. See docs/TESTING.md.

#[allow(dead_code)]
#[path = "../api/figures.rs"]
mod figures;
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod browser;
mod journeys;
