use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use diesel::Connection;
use diesel::RunQueryDsl;
use geschillenportaal::accounts::{self, NewUser, Role};
use geschillenportaal::db::Database;
use geschillenportaal::settings::{Settings, SmtpTls};
use geschillenportaal::startup::{AppState, Application, WorkerContext};
use secrecy::SecretString;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Database,
    pub settings: Settings,
    pub state: actix_web::web::Data<AppState>,
    /// The test's database, reached directly (not through a test's proxy): the check at the end
    /// reads it.
    database_url: String,
    _data_dir: tempfile::TempDir,
}

/// At the end of every test that did not fail, each case's figure row must follow its history
/// unless the case is marked for the worker (`figures::assert_rows_current_or_marked`): a writer of
/// history that forgets `aggregates::mark` after the figures were derived (`run_worker` derives
/// them) fails the test that exercises it.
impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        // Not through the app's pool: a test's proxy to the database runs on the test's runtime,
        // which this drop blocks.
        let db = Database::new(&self.database_url, 1).expect("the test database");
        let mut conn = db.get().expect("connection for the figures check");
        crate::figures::assert_rows_current_or_marked(&mut conn);
    }
}

pub const TEST_PASSWORD: &str = "lange-test-wachtzin-2026";

/// A database URL of its own for one test.
pub fn fresh_database_url(data_dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(server_url) if !server_url.is_empty() => {
            let name = format!(
                "gp_test_{}",
                geschillenportaal::accounts::tokens::random_id()[..12]
                    .to_lowercase()
                    .replace(['-', '_'], "x")
            );
            let mut admin = diesel::PgConnection::establish(&server_url).expect("TEST_DATABASE_URL reachable");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .expect("create test database");
            let (base, _) = server_url.rsplit_once('/').expect("URL with a database name");
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}", data_dir.join("portal.db").display()),
    }
}

pub fn test_settings(data_dir: &std::path::Path) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        base_url: "http://127.0.0.1:8080".into(),
        data_dir: data_dir.to_owned(),
        database_url: fresh_database_url(data_dir),
        database_max_connections: 8,
        jwt_secret: Some(SecretString::from("integration-test-signing-key-0123456789".to_owned())),
        worker_in_process: false,
        ..Settings::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(data_dir.path());
    customise(&mut settings);
    let database_url = settings.database_url.clone();
    // TEST_LOG=1 shows the server's log lines (quiet by default).
    if std::env::var("TEST_LOG").is_ok() {
        geschillenportaal::telemetry::init(&settings);
    }
    let app = Application::build(settings.clone()).await.expect("application builds");
    let address = app.url();
    let state = app.state();
    let db = state.db.clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    TestApp {
        address,
        client,
        db,
        settings,
        state,
        database_url,
        _data_dir: data_dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_html(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Runs blocking database work for test setup.
    pub async fn with_db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut geschillenportaal::db::DbConnection) -> T + Send + 'static,
    ) -> T {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&mut db.get().expect("connection")))
            .await
            .expect("db task")
    }

    pub async fn create_user(&self, email: &str, role: Role) -> i64 {
        let email = email.to_owned();
        self.with_db(move |conn| {
            let user = NewUser {
                email,
                display_name: "Test Gebruiker".into(),
                role,
                password: TEST_PASSWORD.into(),
                language: "nl".into(),
                provider_id: None,
            };
            accounts::create_user(conn, user, chrono::Utc::now().naive_utc(), true).expect("user created")
        })
        .await
    }

    /// The CSRF token of the form on `path` (for this client's cookies).
    pub async fn csrf_token(&self, path: &str) -> String {
        extract_csrf(&self.get_html(path).await)
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        let token = self.csrf_token("/login").await;
        self.post_form(
            "/login",
            &[("csrf_token", &token), ("email", email), ("password", password)],
        )
        .await
    }

    pub fn worker_context(&self) -> WorkerContext {
        WorkerContext {
            db: self.db.clone(),
            mailer: Arc::new(geschillenportaal::mail::Mailer::from_settings(&self.settings).expect("mailer")),
            emails: self.state.emails.clone(),
            settings: Arc::new(self.settings.clone()),
            metrics: self.state.metrics.clone(),
        }
    }
}

pub fn extract_csrf(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_owned()
}

/// A real SMTP server (mailin) on loopback that keeps what it receives.
#[derive(Clone, Default)]
pub struct SmtpSink {
    pub messages: Arc<Mutex<Vec<String>>>,
    current: Vec<u8>,
}

impl mailin_embedded::Handler for SmtpSink {
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        let message = String::from_utf8_lossy(&std::mem::take(&mut self.current)).into_owned();
        self.messages.lock().unwrap().push(message);
        mailin_embedded::response::OK
    }
}

impl SmtpSink {
    /// Starts the server on `listener` in a background thread.
    pub fn start(listener: TcpListener) -> Self {
        let sink = SmtpSink::default();
        let mut server = mailin_embedded::Server::new(sink.clone());
        server.with_name("smtp.test.localhost").with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        sink
    }

    pub fn received(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }
}

/// A port on loopback that nothing listens on (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn smtp_settings(port: u16) -> impl FnOnce(&mut Settings) {
    move |settings| {
        settings.smtp_host = Some("127.0.0.1".into());
        settings.smtp_port = port;
        settings.smtp_tls = SmtpTls::None;
    }
}

/// An app whose PostgreSQL is reached through a [`TcpProxy`], for tests that cut the path to it;
/// returns the app, the proxy and the address the proxy forwards to (to start it again on the same
/// port). `None`, with a message, without `TEST_DATABASE_URL`.
pub async fn spawn_app_behind_proxy() -> Option<(TestApp, TcpProxy, String)> {
    let Ok(server_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: needs TEST_DATABASE_URL (PostgreSQL); .ci/run sets it");
        return None;
    };
    let upstream = server_url
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a host in TEST_DATABASE_URL")
        .to_owned();
    let proxy = TcpProxy::start(&upstream).await;
    let proxy_port = proxy.port;
    let through_proxy = upstream.clone();
    let mut app = spawn_app_with(move |settings| {
        settings.database_url = settings
            .database_url
            .replace(&through_proxy, &format!("127.0.0.1:{proxy_port}"));
    })
    .await;
    app.database_url = app
        .settings
        .database_url
        .replace(&format!("127.0.0.1:{proxy_port}"), &upstream);
    Some((app, proxy, upstream))
}

/// A TCP proxy on loopback, to cut and restore the path to PostgreSQL in fault tests.
pub struct TcpProxy {
    pub port: u16,
    tasks: tokio::task::JoinSet<()>,
}

impl TcpProxy {
    pub async fn start(upstream: &str) -> Self {
        Self::start_on(upstream, 0).await
    }

    pub async fn start_on(upstream: &str, port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("proxy port");
        let port = listener.local_addr().unwrap().port();
        let upstream = upstream.to_owned();
        let mut tasks = tokio::task::JoinSet::new();
        let connections = Arc::new(Mutex::new(Vec::<tokio::task::AbortHandle>::new()));
        let tracked = connections.clone();
        tasks.spawn(async move {
            let _abort_connections_on_drop = AbortAll(tracked.clone());
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let handle = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tracked.lock().unwrap().push(handle.abort_handle());
            }
        });
        Self { port, tasks }
    }

    /// Closes the listening port and every connection through it.
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}

struct AbortAll(Arc<Mutex<Vec<tokio::task::AbortHandle>>>);

impl Drop for AbortAll {
    fn drop(&mut self) {
        for handle in self.0.lock().unwrap().drain(..) {
            handle.abort();
        }
    }
}

/// A received e-mail, parsed.
pub struct Received {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn parse_email(raw: &str) -> Received {
    let message = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a MIME message");
    Received {
        to: message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_owned(),
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message.body_text(0).unwrap_or_default().into_owned(),
        html: message.body_html(0).unwrap_or_default().into_owned(),
    }
}

/// The first link to this portal in a text.
pub fn link_in(text: &str, base_url: &str) -> String {
    let start = text.find(base_url).expect("the e-mail has a link");
    let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    link.trim_start_matches(base_url).to_owned()
}

impl TestApp {
    /// Runs the worker's jobs until none is due (so e-mails go out), then derives the statistics of
    /// the cases changed so far, as its housekeeping does (so that a later change that forgets its
    /// mark leaves a row out of date, which the check at the test's end finds).
    pub async fn run_worker(&self) {
        let context = self.worker_context();
        while geschillenportaal::jobs::worker::run_one(&context, "test-worker")
            .await
            .expect("worker")
        {}
        self.with_db(|conn| {
            geschillenportaal::statistics::aggregates::catch_up(
                conn,
                std::time::Duration::from_secs(10),
                chrono::Utc::now().naive_utc(),
            )
            .expect("figures derived")
        })
        .await;
    }
}

/// An app whose e-mail goes over SMTP to a fresh sink on loopback.
pub async fn spawn_app_with_smtp() -> (TestApp, SmtpSink) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = SmtpSink::start(listener);
    (spawn_app_with(smtp_settings(port)).await, sink)
}

impl TestApp {
    /// Signs in with a client of its own (a second browser); returns it and the answer.
    pub async fn sign_in_as_new_client(&self, email: &str, password: &str) -> (reqwest::Client, reqwest::Response) {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let login = client
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = extract_csrf(&login);
        let response = client
            .post(self.url("/login"))
            .form(&[("csrf_token", csrf.as_str()), ("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        (client, response)
    }
}

/// A case in state `submitted` under the telecom commission's default rules, with a
/// consumer, two staff of its provider (one of another provider), an assigned and an
/// unassigned mediator, and the secretariat; all with TEST_PASSWORD.
pub struct SeededCase {
    pub case_id: i64,
}

pub const CONSUMER: &str = "consument@example.nl";
pub const OTHER_CONSUMER: &str = "andere.consument@example.nl";
pub const STAFF: &str = "medewerker@aanbieder.nl";
pub const OTHER_STAFF: &str = "medewerker@concurrent.nl";
pub const MEDIATOR: &str = "bemiddelaar@example.nl";
pub const OTHER_MEDIATOR: &str = "andere.bemiddelaar@example.nl";
pub const SECRETARIAT: &str = "secretariaat@example.nl";

impl TestApp {
    pub async fn seed_case(&self) -> SeededCase {
        self.seed_case_with(geschillenportaal::registry::rules::SchemeRules::commission_defaults())
            .await
    }

    pub async fn seed_case_with(&self, rules: geschillenportaal::registry::rules::SchemeRules) -> SeededCase {
        self.seed(rules, true).await
    }

    /// The seats of the case, oldest first, as (mediator's e-mail, seat, status).
    pub async fn seats_of(&self, case_id: i64) -> Vec<(String, String, String)> {
        use diesel::prelude::*;
        use geschillenportaal::db::schema::{case_assignments, users};
        self.with_db(move |conn| {
            case_assignments::table
                .inner_join(users::table.on(users::id.eq(case_assignments::user_id)))
                .filter(case_assignments::case_id.eq(case_id))
                .order(case_assignments::id)
                .select((users::email, case_assignments::panel_role, case_assignments::status))
                .load(conn)
                .unwrap()
        })
        .await
    }

    /// Makes the mediator with this e-mail one of the case's scheme (a profile: chair, Dutch and
    /// English, telecom), whom the portal may propose for its seats.
    pub async fn mediator_of_the_case_scheme(&self, case_id: i64, email: &'static str) {
        use diesel::prelude::*;
        use geschillenportaal::db::schema::cases;
        self.with_db(move |conn| {
            let scheme_id: i64 = cases::table.find(case_id).select(cases::scheme_id).first(conn).unwrap();
            let mediator = user_id(conn, email);
            diesel::sql_query(
                "INSERT INTO mediator_profiles (user_id, panel_role, languages, expertise, active) \
                 VALUES ($1, 'chair', 'nl,en', 'telecom', TRUE)",
            )
            .bind::<diesel::sql_types::BigInt, _>(mediator)
            .execute(conn)
            .unwrap();
            diesel::sql_query("INSERT INTO mediator_schemes (user_id, scheme_id) VALUES ($1, $2)")
                .bind::<diesel::sql_types::BigInt, _>(mediator)
                .bind::<diesel::sql_types::BigInt, _>(scheme_id)
                .execute(conn)
                .unwrap();
        })
        .await;
    }

    /// Makes the provider of a seeded case a member of its scheme (since 2020), so consumers can
    /// file against it; returns the provider's id.
    #[allow(dead_code, reason = "used by the API tests only")]
    pub async fn make_provider_a_member(&self, case_id: i64) -> i64 {
        use diesel::prelude::*;
        use geschillenportaal::db::schema::cases;
        self.with_db(move |c| {
            let (provider_id, scheme_id) = cases::table
                .find(case_id)
                .select((cases::provider_id, cases::scheme_id))
                .first::<(i64, i64)>(c)
                .unwrap();
            geschillenportaal::registry::create_membership(
                c,
                geschillenportaal::registry::NewMembership {
                    provider_id,
                    scheme_id,
                    valid_from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                    valid_until: None,
                    via: "direct",
                    guarantor_id: None,
                    status: "active",
                },
                chrono::Utc::now().naive_utc(),
            )
            .unwrap();
            provider_id
        })
        .await
    }

    /// As [`TestApp::seed_case`], but nobody is assigned to the case yet (the secretariat staffs it).
    #[allow(dead_code, reason = "used by the browser journeys only")]
    pub async fn seed_unstaffed_case(&self) -> SeededCase {
        self.seed(
            geschillenportaal::registry::rules::SchemeRules::commission_defaults(),
            false,
        )
        .await
    }

    async fn seed(&self, rules: geschillenportaal::registry::rules::SchemeRules, staffed: bool) -> SeededCase {
        use diesel::prelude::*;
        use geschillenportaal::db::schema::case_assignments;
        use geschillenportaal::registry::{self, NewProvider};
        let hash = geschillenportaal::accounts::password::hash_password(TEST_PASSWORD);
        self.with_db(move |conn| {
            let now = chrono::Utc::now().naive_utc();
            let since = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
            let scheme_id = registry::create_scheme(
                conn,
                registry::NewScheme {
                    code: "TEL",
                    name: "Geschillencommissie Telecommunicatie",
                    languages: "nl",
                    reference_prefix: "TEL",
                },
                &rules,
                since,
                now,
            )
            .unwrap();
            let provider = |conn: &mut geschillenportaal::db::DbConnection, kvk: &str, name: &str| {
                registry::create_provider(
                    conn,
                    NewProvider {
                        kvk_number: kvk,
                        legal_name: name,
                        trade_names: "",
                        street: "",
                        postcode: "",
                        city: "",
                        website: "",
                        complaint_email: "",
                    },
                    now,
                )
                .unwrap()
            };
            let provider_id = provider(conn, "11111111", "Glasvezel Aanbieder B.V.");
            let other_provider = provider(conn, "22222222", "Concurrent B.V.");
            let mut user = |email: &str, role: geschillenportaal::accounts::Role, provider: Option<i64>| {
                let name = format!("Naam {}", email.split('@').next().unwrap_or_default());
                geschillenportaal::accounts::insert_user(
                    conn,
                    email,
                    &name,
                    &hash,
                    role,
                    provider,
                    "nl",
                    Some(now),
                    now,
                )
                .unwrap()
            };
            use geschillenportaal::accounts::Role::*;
            let consumer = user(CONSUMER, Consumer, None);
            user(OTHER_CONSUMER, Consumer, None);
            user(STAFF, ProviderStaff, Some(provider_id));
            user(OTHER_STAFF, ProviderStaff, Some(other_provider));
            let mediator = user(MEDIATOR, Mediator, None);
            user(OTHER_MEDIATOR, Mediator, None);
            user(SECRETARIAT, Secretariat, None);
            let rules_id = registry::rules_in_force(conn, scheme_id, now.date())
                .unwrap()
                .unwrap()
                .id;
            let (case_id, _) = geschillenportaal::cases::import_case(
                conn,
                geschillenportaal::cases::ImportedCase {
                    scheme_id,
                    reference_prefix: "TEL",
                    rules_id,
                    consumer_id: consumer,
                    provider_id,
                    category: "outage_speed",
                    language: "nl",
                    state: "submitted",
                    state_due_on: None,
                    contract_date: Some(since),
                    written_complaint_date: now.date() - chrono::TimeDelta::days(40),
                    written_complaint_channel: "registered_letter",
                    claim_cents: Some(24_000),
                    desired_outcome: "Terugbetaling van drie maanden abonnement.",
                    description: "Internet valt elke avond weg.",
                    fee_cents: 5000,
                    fee_status: "due",
                    complete_on: None,
                    outcome_due_on: None,
                    submitted_at: now,
                },
                None,
                now,
            )
            .unwrap();
            if staffed {
                diesel::insert_into(case_assignments::table)
                    .values((
                        case_assignments::case_id.eq(case_id),
                        case_assignments::user_id.eq(mediator),
                        case_assignments::panel_role.eq("chair"),
                        case_assignments::status.eq("confirmed"),
                        case_assignments::created_at.eq(now),
                        case_assignments::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .unwrap();
            }
            // Derived at once, so that a later change that forgets its mark is found at the end.
            geschillenportaal::statistics::aggregates::catch_up(conn, std::time::Duration::from_secs(10), now).unwrap();
            SeededCase { case_id }
        })
        .await
    }

    /// A signed-in client for one of the seeded users.
    pub async fn client_for(&self, email: &str) -> reqwest::Client {
        let (client, response) = self.sign_in_as_new_client(email, TEST_PASSWORD).await;
        assert_eq!(response.status(), 303, "{email} signs in");
        client
    }

    /// Posts a form as `client` with its session's CSRF token (read from the settings page, which
    /// every signed-in user has), so that tests of refusals do not depend on seeing the target page.
    pub async fn post_as(&self, client: &reqwest::Client, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let settings = client
            .get(self.url("/settings"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = extract_csrf(&settings);
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend_from_slice(fields);
        client.post(self.url(path)).form(&form).send().await.unwrap()
    }

    /// A personal API token of `client`'s user with `scope` (`read` or `write`), made in the settings.
    pub async fn api_token(&self, client: &reqwest::Client, scope: &str) -> String {
        let fields = [("name", "Ticketsysteem"), ("scope", scope), ("days", "30")];
        let page = self
            .post_as(client, "/settings/api-tokens", &fields)
            .await
            .text()
            .await
            .unwrap();
        let start = page.find("id=\"new-token\">").expect("the token is shown once") + "id=\"new-token\">".len();
        page[start..].chars().take_while(|c| *c != '<').collect()
    }

    /// The page at `path` as `client` sees it: status and body.
    pub async fn page_as(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let response = client.get(self.url(path)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Performs a case action through the page's form, as a user would.
    pub async fn act(&self, client: &reqwest::Client, case_id: i64, action: &str, note: &str) -> reqwest::Response {
        let response = client.get(self.url(&format!("/zaken/{case_id}"))).send().await.unwrap();
        let status = response.status();
        let page = response.text().await.unwrap();
        assert!(page.contains("csrf_token"), "case page {status}: {page}");
        let csrf = extract_csrf(&page);
        let marker = "name=\"version\" value=\"";
        let start = page.find(marker).expect("the page has an action form") + marker.len();
        let version: String = page[start..].chars().take_while(char::is_ascii_digit).collect();
        client
            .post(self.url(&format!("/zaken/{case_id}/acties")))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("action", action),
                ("version", version.as_str()),
                ("note", note),
            ])
            .send()
            .await
            .unwrap()
    }
}

/// Intake answers (the JSON API's draft) that make a filing against `provider_id` eligible: a
/// consumer's outage complaint, a registered letter five weeks old and unanswered.
#[allow(dead_code, reason = "used by the API tests only")]
pub fn eligible_answers(provider_id: i64) -> serde_json::Value {
    serde_json::json!({
        "counterparty": "company",
        "applicant_is_consumer": true,
        "provider_id": provider_id,
        "category": "outage_speed",
        "before_court_or_other_body": false,
        "contract_date": "2023-05-01",
        "written_complaint_channel": "registered_letter",
        "written_complaint_date": (chrono::Utc::now().date_naive() - chrono::TimeDelta::weeks(5)).to_string(),
        "provider_answer": "none",
        "desired_outcome": "Storing verhelpen",
        "claim_cents": 4500,
        "description": "Elke avond geen internet.",
    })
}

/// The scheme, rules version, consumer and provider of a case: what a test copies to make more cases
/// like a seeded one.
pub fn case_template(conn: &mut geschillenportaal::db::DbConnection, case_id: i64) -> (i64, i64, i64, i64) {
    use diesel::QueryDsl;
    use geschillenportaal::db::schema::cases;
    cases::table
        .find(case_id)
        .select((
            cases::scheme_id,
            cases::rules_id,
            cases::consumer_id,
            cases::provider_id,
        ))
        .first(conn)
        .unwrap()
}

/// A second scheme, "ICT", with the commission's default rules in force for years; returns its
/// id and the id of those rules. Tests of figures across schemes use it beside the seeded one.
pub fn second_scheme(conn: &mut geschillenportaal::db::DbConnection, now: chrono::NaiveDateTime) -> (i64, i64) {
    use geschillenportaal::registry::{self, NewScheme, rules::SchemeRules};
    let today = now.date();
    let scheme = registry::create_scheme(
        conn,
        NewScheme {
            code: "ICT",
            name: "ICT",
            languages: "nl",
            reference_prefix: "ICT",
        },
        &SchemeRules::commission_defaults(),
        today - chrono::TimeDelta::days(2000),
        now,
    )
    .unwrap();
    let rules = registry::rules_in_force(conn, scheme, today).unwrap().unwrap().id;
    (scheme, rules)
}

/// A provider with KvK number `kvk` and a name made from it; returns its id.
pub fn provider(conn: &mut geschillenportaal::db::DbConnection, kvk: &str, now: chrono::NaiveDateTime) -> i64 {
    use geschillenportaal::registry::{self, NewProvider};
    registry::create_provider(
        conn,
        NewProvider {
            kvk_number: kvk,
            legal_name: &format!("Aanbieder {kvk} B.V."),
            trade_names: "",
            street: "Markt 1",
            postcode: "1234 AB",
            city: "Utrecht",
            website: "",
            complaint_email: "",
        },
        now,
    )
    .unwrap()
}

/// The id of the account with this e-mail.
pub fn user_id(conn: &mut geschillenportaal::db::DbConnection, email: &str) -> i64 {
    use diesel::prelude::*;
    use geschillenportaal::db::schema::users;
    users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(conn)
        .unwrap()
}
