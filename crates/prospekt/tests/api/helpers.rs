//! Test harness: a real server on port 0 with a fresh database per test, on SQLite or on
//! PostgreSQL (a database created per test in the throwaway cluster `cargo xtask test` starts).

// Shared by the api and browser test binaries; each uses a different part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use chrono::{SubsecRound, Utc};
use prospekt_app::App;
use prospekt_storage::{Db, DbUrl, db_run};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub app: App,
    pub http: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    dir: Option<PathBuf>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The admin URL of the throwaway PostgreSQL cluster, or `None` (with a printed skip notice)
/// when the test command found no PostgreSQL. With `PROSPEKT_TEST_REQUIRE_ALL=1` absence fails.
pub fn pg_admin_url() -> Option<String> {
    match std::env::var("PROSPEKT_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("PROSPEKT_TEST_REQUIRE_ALL").as_deref() != Ok("1"),
                "PostgreSQL tests are required but PROSPEKT_TEST_PG_URL is not set (run `cargo xtask test`)"
            );
            eprintln!("SKIPPED on PostgreSQL: PROSPEKT_TEST_PG_URL not set (run `cargo xtask test`)");
            None
        }
    }
}

/// A fresh, migrated database URL for one test.
pub async fn fresh_db_url(backend: Backend) -> Option<(String, Option<PathBuf>)> {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("prospekt-test-{}", Uuid::now_v7().simple()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            Some((format!("sqlite://{}", dir.join("test.db").display()), Some(dir)))
        }
        Backend::Postgres => {
            let admin = pg_admin_url()?;
            let name = format!("t_{}", Uuid::now_v7().simple());
            let db = Db::connect(&DbUrl::parse(&admin).expect("admin url"))
                .await
                .expect("connect admin");
            db_run!(&db, pool => {
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(pool).await.expect("create db");
            });
            db.close().await;
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .expect("admin url has a path");
            Some((format!("{base}/{name}"), None))
        }
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with_mailer(backend, None).await
}

/// A test server whose application sends e-mail through `mailer` (none: sending by e-mail is
/// refused as not configured, like a server started without `--smtp-url`).
pub async fn spawn_app_with_mailer(backend: Backend, mailer: Option<prospekt_app::mail::Mailer>) -> Option<TestApp> {
    let (url, dir) = fresh_db_url(backend).await?;
    let db = Db::open(&DbUrl::parse(&url).expect("url")).await.expect("open test db");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("addr");
    let app = match mailer {
        Some(m) => App::new(db.clone()).with_mailer(m),
        None => App::new(db.clone()),
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server_app = app.clone();
    tokio::spawn(async move {
        let _ = prospekt_web::serve(listener, server_app, false, async {
            let _ = rx.await;
        })
        .await;
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Some(TestApp {
        base: format!("http://{addr}"),
        db,
        app,
        http,
        _shutdown: tx,
        dir,
    })
}

/// Records created directly in storage for a test (the write APIs arrive with later issues).
pub struct Fixture {
    pub department_a: Uuid,
    pub department_b: Uuid,
}

pub struct SeedUser {
    pub id: Uuid,
    pub token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn departments(&self) -> Fixture {
        let now = Utc::now().trunc_subsecs(6);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        for (id, name) in [(a, "Отдел продаж Москва"), (b, "Отдел продаж Урал")] {
            db_run!(&self.db, pool => {
                sqlx::query("INSERT INTO departments (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(id).bind(name).bind(now).execute(pool).await.expect("department");
            });
        }
        Fixture {
            department_a: a,
            department_b: b,
        }
    }

    /// A user with a role and department, a password "password1" and an API token.
    pub async fn user(&self, login: &str, role: &str, department: Option<Uuid>) -> SeedUser {
        let role_parsed: prospekt_domain::Role = role.parse().expect("role");
        let id = self
            .app
            .add_user(&prospekt_app::users::AddUser {
                login,
                display_name: Some(login),
                role: role_parsed,
                password: Some("password1"),
            })
            .await
            .expect("add user")
            .as_uuid();
        db_run!(&self.db, pool => {
            sqlx::query("UPDATE users SET department_id = $1 WHERE id = $2")
                .bind(department).bind(id).execute(pool).await.expect("set department");
        });
        let token = self.app.create_token(login, "test", None).await.expect("token").secret;
        SeedUser { id, token }
    }

    /// A legal-entity counterparty with a valid INN, owned by `owner` in `department`.
    pub async fn counterparty(&self, name: &str, owner: Option<Uuid>, department: Option<Uuid>) -> Uuid {
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        db_run!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO counterparties (id, kind, name, full_name, inn, kpp, search_key, status, tier, owner_id, \
                 department_id, payment_terms_days, credit_limit, version, created_at, updated_at) \
                 VALUES ($1, 'legal_entity', $2, $3, '7707083893', '773601001', $4, 'client', 'regular', $5, $6, 14, 150000000, 1, $7, $7)",
            )
            .bind(id).bind(name).bind(format!("Общество с ограниченной ответственностью «{name}»"))
            .bind(name.to_lowercase()).bind(owner).bind(department).bind(now)
            .execute(pool).await.expect("counterparty");
        });
        id
    }

    /// A contact person of a counterparty.
    pub async fn contact(&self, counterparty: Uuid, full_name: &str) -> Uuid {
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        db_run!(&self.db, pool => {
            sqlx::query("INSERT INTO contacts (id, counterparty_id, full_name, search_key, version, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, 1, $5, $5)")
                .bind(id).bind(counterparty).bind(full_name).bind(full_name.to_lowercase()).bind(now)
                .execute(pool).await.expect("contact");
        });
        id
    }

    pub async fn territory(&self, code: &str, name: &str) -> Uuid {
        let id = Uuid::now_v7();
        db_run!(&self.db, pool => {
            sqlx::query("INSERT INTO territories (id, code, name) VALUES ($1, $2, $3)")
                .bind(id).bind(code).bind(name).execute(pool).await.expect("territory");
        });
        id
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }
}

/// Generates one `#[tokio::test]` per backend for each listed async test function
/// `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.expect("sqlite app");
                    super::$name(app).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// A counterparty with the identifiers and contact details a test chooses (search tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct CounterpartySeed<'a> {
    pub name: &'a str,
    pub inn: Option<&'a str>,
    pub ogrn: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub city: Option<&'a str>,
    pub owner: Option<Uuid>,
    pub department: Option<Uuid>,
}

impl TestApp {
    /// A legal-entity counterparty as the seed describes, with the search key the
    /// application would store (folded name and INN).
    pub async fn counterparty_with(&self, c: CounterpartySeed<'_>) -> Uuid {
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        let key = prospekt_domain::counterparty::search_key(&[c.name, c.inn.unwrap_or("")]);
        db_run!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO counterparties (id, kind, name, full_name, inn, ogrn, search_key, status, tier, owner_id, \
                 department_id, city, phone, email, payment_terms_days, credit_limit, version, created_at, updated_at) \
                 VALUES ($1, 'legal_entity', $2, $2, $3, $4, $5, 'client', 'regular', $6, $7, $8, $9, $10, 0, 0, 1, $11, $11)",
            )
            .bind(id).bind(c.name).bind(c.inn).bind(c.ogrn).bind(key).bind(c.owner).bind(c.department)
            .bind(c.city).bind(c.phone).bind(c.email).bind(now)
            .execute(pool).await.expect("counterparty");
        });
        id
    }

    /// A contact person with a phone (E.164) and e-mail, and the search key the application
    /// would store.
    pub async fn contact_with(
        &self,
        counterparty: Uuid,
        full_name: &str,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Uuid {
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        let key = prospekt_domain::counterparty::search_key(&[full_name]);
        db_run!(&self.db, pool => {
            sqlx::query("INSERT INTO contacts (id, counterparty_id, full_name, phone, email, search_key, version, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)")
                .bind(id).bind(counterparty).bind(full_name).bind(phone).bind(email).bind(key).bind(now)
                .execute(pool).await.expect("contact");
        });
        id
    }
}

impl TestApp {
    /// A price-list column, stored directly.
    pub async fn price_column(&self, code: &str, name: &str, sort_order: i32) -> Uuid {
        let id = Uuid::now_v7();
        db_run!(&self.db, pool => {
            sqlx::query("INSERT INTO price_columns (id, code, name, sort_order, version) VALUES ($1, $2, $3, $4, 1)")
                .bind(id).bind(code).bind(name).bind(sort_order).execute(pool).await.expect("price column");
        });
        id
    }

    /// A catalogue product with the search key the application would store, and prices in
    /// kopecks (VAT included) per column, valid since 2020-01-01.
    pub async fn product(&self, p: ProductSeed<'_>, prices: &[(Uuid, i64)]) -> Uuid {
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        let key = prospekt_domain::counterparty::search_key(&[p.sku, p.name]);
        let since = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date");
        db_run!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO products (id, sku, name, group_name, unit, vat_category, cost_price, min_price, search_key, \
                 version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)",
            )
            .bind(id).bind(p.sku).bind(p.name).bind(p.group).bind(p.unit).bind(p.vat_category).bind(p.cost_price)
            .bind(p.min_price).bind(key).bind(now)
            .execute(pool).await.expect("product");
            for (column, price) in prices {
                sqlx::query("INSERT INTO product_prices (product_id, price_column_id, valid_from, price, set_at) \
                             VALUES ($1, $2, $3, $4, $5)")
                    .bind(id).bind(*column).bind(since).bind(*price).bind(now)
                    .execute(pool).await.expect("product price");
            }
        });
        id
    }

    /// Puts a client at a price column.
    pub async fn client_price_column(&self, counterparty: Uuid, column: Uuid) {
        db_run!(&self.db, pool => {
            sqlx::query("UPDATE counterparties SET price_column_id = $1 WHERE id = $2")
                .bind(column).bind(counterparty).execute(pool).await.expect("client price column");
        });
    }
}

/// A product for [`TestApp::product`].
#[derive(Debug, Clone, Copy)]
pub struct ProductSeed<'a> {
    pub sku: &'a str,
    pub name: &'a str,
    pub group: &'a str,
    pub unit: &'a str,
    /// standard | reduced | zero | none
    pub vat_category: &'a str,
    pub cost_price: i64,
    pub min_price: Option<i64>,
}

impl<'a> ProductSeed<'a> {
    /// A standard-rate product sold by the piece.
    pub fn standard(sku: &'a str, name: &'a str, group: &'a str) -> Self {
        Self {
            sku,
            name,
            group,
            unit: "шт",
            vat_category: "standard",
            cost_price: 0,
            min_price: None,
        }
    }
}

/// An SMTP server on loopback (Python's aiosmtpd) writing each message it receives to
/// `NNNN.eml` (and the envelope recipients to `NNNN.rcpt`) in its directory.
pub struct SmtpServer {
    child: std::process::Child,
    dir: PathBuf,
    pub port: u16,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const SMTP_SERVER_PY: &str = r#"
import asyncio, os, sys
from aiosmtpd.smtp import SMTP

class Keep:
    def __init__(self, out):
        self.out, self.n = out, 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.out, "%04d" % self.n)
        with open(base + ".rcpt", "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.replace(base + ".tmp", base + ".eml")
        return "250 OK"

async def main(port, out):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Keep(out)), "127.0.0.1", port)
    async with server:
        await server.serve_forever()

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
"#;

const PARSE_EML_PY: &str = r#"
import email, email.policy, json, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
parts = []
for part in msg.iter_attachments():
    data = part.get_content()
    if isinstance(data, str):
        data = data.encode()
    parts.append({"filename": part.get_filename(), "content_type": part.get_content_type(),
                  "head": data[:5].decode("latin-1"), "size": len(data)})
body = msg.get_body(preferencelist=("plain",))
print(json.dumps({"from": str(msg["From"]), "to": str(msg["To"]), "subject": str(msg["Subject"]),
                  "body": body.get_content() if body else None, "attachments": parts}))
"#;

pub fn python_has_aiosmtpd() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl SmtpServer {
    /// Starts the server on a free loopback port and waits until it accepts connections.
    pub async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("prospekt-smtp-{}", Uuid::now_v7().simple()));
        let inbox = dir.join("inbox");
        std::fs::create_dir_all(&inbox).unwrap();
        let script = dir.join("smtp_server.py");
        std::fs::write(&script, SMTP_SERVER_PY).unwrap();
        // A port the system has just handed out and taken back: free for the server to take.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let child = std::process::Command::new("python3")
            .arg(&script)
            .arg(port.to_string())
            .arg(&inbox)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start python3");
        let mut server = SmtpServer { child, dir, port };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                let log = std::fs::read_to_string(server.dir.join("server.log")).unwrap_or_default();
                panic!("the SMTP server exited ({status}):\n{log}");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the SMTP server did not start listening on {port}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        server
    }

    pub fn messages(&self) -> Vec<PathBuf> {
        let mut eml: Vec<PathBuf> = std::fs::read_dir(self.dir.join("inbox"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        eml.sort();
        eml
    }

    /// A received message read back by Python's `email` package.
    pub fn parse(&self, eml: &std::path::Path) -> serde_json::Value {
        let script = self.dir.join("parse_eml.py");
        std::fs::write(&script, PARSE_EML_PY).unwrap();
        let out = std::process::Command::new("python3")
            .arg(&script)
            .arg(eml)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}
