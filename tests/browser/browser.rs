//! The harness: starts chromedriver on a free port, opens a headless Chromium session, and
//! gives journeys small verbs (`open`, `fill`, `press`, `snapshot`) that screenshot and check
//! every page they reach.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// `BROWSER_TESTS=required` (set by `.ci/run`): a missing browser or axe-core fails the run.
fn required() -> bool {
    std::env::var("BROWSER_TESTS").is_ok_and(|v| v == "required")
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

/// Where screenshots go: `BROWSER_ARTIFACTS_DIR`, else `<target dir>/browser-artifacts`.
pub fn artifacts_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("BROWSER_ARTIFACTS_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target dir")
        .join("browser-artifacts")
}

/// axe-core's script: `AXE_CORE_JS`, else `<target dir>/npm/node_modules/axe-core/axe.min.js`
/// (where `.ci/run` installs it).
fn axe_source() -> Option<String> {
    let path = std::env::var_os("AXE_CORE_JS").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .join("npm/node_modules/axe-core/axe.min.js")
    });
    std::fs::read_to_string(path).ok()
}

/// chromedriver in a process group of its own, with the Chromium it starts. Dropping it (also when
/// a journey panics half-way) kills the whole group: killing chromedriver alone leaves the browser
/// running.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = i32::try_from(self.0.id()).expect("a process id");
        // SAFETY: kill(2) with a negative pid signals that process group; it reads no memory of ours.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = self.0.wait();
    }
}

pub struct Browser {
    pub client: Client,
    base: String,
    dir: PathBuf,
    step: usize,
    axe: Option<String>,
    /// Accessibility problems, per page; the journey fails at `finish` if there are any, after
    /// every page has been screenshotted.
    findings: Vec<String>,
    _driver: Driver,
}

impl Browser {
    /// A headless Chromium for one journey, or `None` (skipped) when there is no chromedriver
    /// and the browser tests are not required.
    pub async fn launch(journey: &str, base: &str) -> Option<Browser> {
        let Some(chromedriver) = std::env::var_os("CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| find_on_path("chromedriver"))
        else {
            assert!(!required(), "BROWSER_TESTS=required but chromedriver is not installed");
            eprintln!("skipped {journey}: no chromedriver on the PATH (apt install chromium chromium-driver)");
            return None;
        };
        let axe = axe_source();
        assert!(
            axe.is_some() || !required(),
            "BROWSER_TESTS=required but axe-core is not installed (see docs/TESTING.md)"
        );
        if axe.is_none() {
            eprintln!("{journey}: axe-core not found; only the built-in accessibility checks run");
        }

        let port = crate::helpers::free_port();
        let driver = Driver(
            Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .process_group(0)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts"),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let probe = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..100 {
            if probe.get(format!("{webdriver}/status")).send().await.is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not answer on {webdriver}");

        let mut options = json!({
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1280,1000",
                "--lang=nl",
            ],
            "prefs": { "intl.accept_languages": "nl" },
        });
        if let Some(binary) = std::env::var_os("CHROME_BIN") {
            options["binary"] = json!(binary.to_string_lossy());
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .expect("a Chromium session");

        let dir = artifacts_root().join(journey);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("artifacts folder");
        Some(Browser {
            client,
            base: base.to_owned(),
            dir,
            step: 0,
            axe,
            findings: Vec::new(),
            _driver: driver,
        })
    }

    pub async fn open(&mut self, path: &str, name: &str) {
        self.client
            .goto(&format!("{}{}", self.base, path))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
        self.snapshot(name).await;
    }

    /// Types into the field with this CSS selector (after clearing it).
    pub async fn fill(&self, selector: &str, text: &str) {
        let field = self.find(selector).await;
        field.clear().await.unwrap_or_else(|e| panic!("clear {selector}: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {selector}: {e}"));
    }

    /// Clicks the element with this CSS selector and screenshots the page it leads to.
    pub async fn press(&mut self, selector: &str, name: &str) {
        self.find(selector)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {selector}: {e}"));
        self.snapshot(name).await;
    }

    pub async fn find(&self, selector: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(selector))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no {selector} on {}: {e}", self.path().await),
        }
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|url| match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_owned(),
            })
            .unwrap_or_default()
    }

    pub async fn text(&self, selector: &str) -> String {
        self.find(selector).await.text().await.unwrap_or_default()
    }

    /// The visible text of the whole page.
    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    /// How many elements on the page match this CSS selector (without waiting for any).
    pub async fn count(&self, selector: &str) -> usize {
        self.client
            .find_all(Locator::Css(selector))
            .await
            .map(|found| found.len())
            .unwrap_or_else(|e| panic!("find {selector}: {e}"))
    }

    /// Fetches `path` from inside the page (the session's cookies, as a download link would):
    /// the status, the `Content-Disposition` header and the body as text.
    pub async fn fetch(&self, path: &str) -> (u64, String, String) {
        let answer = self
            .client
            .execute_async(
                r#"
const done = arguments[arguments.length - 1];
fetch(arguments[0], { credentials: 'same-origin' })
  .then(async r => done([r.status, r.headers.get('content-disposition') || '', await r.text()]))
  .catch(e => done([0, '', String(e)]));
"#,
                vec![path.into()],
            )
            .await
            .unwrap_or_else(|e| panic!("fetch {path}: {e}"));
        (
            answer[0].as_u64().unwrap_or_default(),
            answer[1].as_str().unwrap_or_default().to_owned(),
            answer[2].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// Saves a screenshot of the current page and checks its accessibility.
    pub async fn snapshot(&mut self, name: &str) {
        self.step += 1;
        // The whole page, not only the viewport: grow the window to the page's height first.
        let height = self
            .client
            .execute("return document.documentElement.scrollHeight", vec![])
            .await
            .ok()
            .and_then(|h| h.as_u64())
            .unwrap_or(1000)
            .clamp(600, 8000) as u32;
        let _ = self.client.set_window_size(1280, height + 140).await;
        let png = self.client.screenshot().await.expect("screenshot");
        let _ = self.client.set_window_size(1280, 1000).await;
        let file = self.dir.join(format!("{:02}-{name}.png", self.step));
        std::fs::write(&file, png).expect("write screenshot");
        let path = self.path().await;
        for problem in self.accessibility_problems().await {
            self.findings.push(format!("{path} ({name}): {problem}"));
        }
    }

    /// The accessibility problems of the page as it is now.
    pub async fn accessibility_problems(&self) -> Vec<String> {
        if let Some(axe) = &self.axe {
            let loaded = self
                .client
                .execute("return typeof window.axe", vec![])
                .await
                .expect("script");
            if loaded != json!("object") {
                // Runs through the DevTools protocol, so the page's CSP does not block it.
                let injected = self
                    .client
                    .execute(&format!("{axe}\n;return typeof window.axe"), vec![])
                    .await
                    .expect("inject axe-core");
                assert_eq!(injected, json!("object"), "axe-core did not load into the page");
            }
        }
        let result = self
            .client
            .execute_async(
                r#"
const done = arguments[arguments.length - 1];
(async () => {
  const problems = [];
  if (!document.documentElement.getAttribute('lang')) problems.push('the html element has no lang attribute');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(`${h1} h1 elements (want exactly one)`);
  for (const field of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const labelled = (field.id && document.querySelector(`label[for="${field.id}"]`)) || field.closest('label')
      || field.getAttribute('aria-label') || field.getAttribute('aria-labelledby');
    if (!labelled) problems.push(`unlabelled field ${field.name || field.id}`);
  }
  if (typeof window.axe === 'object') {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    for (const v of result.violations) {
      const nodes = v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ');
      problems.push(`axe ${v.id} (${v.impact}): ${v.help} at ${nodes}`);
    }
  }
  done(problems);
})().catch(e => done([`accessibility check failed: ${e}`]));
"#,
                vec![],
            )
            .await
            .expect("accessibility script");
        serde_json::from_value(result).unwrap_or_default()
    }

    /// Ends the journey: closes the browser and fails if any page had accessibility problems.
    pub async fn finish(self) {
        let findings = self.findings.clone();
        std::fs::write(self.dir.join("accessibility.txt"), findings.join("\n")).expect("write findings");
        self.close().await;
        assert!(findings.is_empty(), "accessibility problems:\n{}", findings.join("\n"));
    }

    /// Ends the Chromium session. Killing chromedriver (on drop) does not end the browser it
    /// started, which would go on running after the test.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
