//! Real-browser tests: headless Chromium driven through chromedriver (WebDriver).
//! They run where `cargo xtask test` found Chromium; elsewhere they say they were skipped.

#[path = "api/helpers.rs"]
mod helpers;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use helpers::{Backend, TestApp, spawn_app};
use thirtyfour::prelude::*;

/// A chromedriver process on a free port, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn browser_paths() -> Option<(String, String)> {
    match (
        std::env::var("PROSPEKT_TEST_CHROMIUM"),
        std::env::var("PROSPEKT_TEST_CHROMEDRIVER"),
    ) {
        (Ok(c), Ok(d)) if !c.is_empty() && !d.is_empty() => Some((c, d)),
        _ => {
            assert!(
                std::env::var("PROSPEKT_TEST_REQUIRE_ALL").as_deref() != Ok("1"),
                "browser tests are required but Chromium was not found (run `cargo xtask test`)"
            );
            eprintln!("SKIPPED browser test: PROSPEKT_TEST_CHROMIUM/PROSPEKT_TEST_CHROMEDRIVER not set");
            None
        }
    }
}

async fn start_browser() -> Option<(Driver, WebDriver)> {
    let (chromium, chromedriver) = browser_paths()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver { child, port };
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(&chromium).unwrap();
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,900",
    ] {
        caps.add_arg(arg).unwrap();
    }
    // chromedriver takes a moment to listen: retry the session until it answers.
    let url = format!("http://127.0.0.1:{}", driver.port);
    let mut last_err = None;
    for _ in 0..100 {
        match WebDriver::new(&url, caps.clone()).await {
            Ok(wd) => return Some((driver, wd)),
            Err(e) => {
                last_err = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("chromedriver did not start: {last_err:?}");
}

async fn sign_in(wd: &WebDriver, app: &TestApp, login: &str) -> WebDriverResult<()> {
    wd.goto(app.url("/login")).await?;
    wd.find(By::Name("login")).await?.send_keys(login).await?;
    wd.find(By::Name("password")).await?.send_keys("password1").await?;
    wd.find(By::Css("form.login button[type=submit]"))
        .await?
        .click()
        .await?;
    // Wait for the signed-in page, so the next navigation cannot race the login redirect.
    wd.query(By::Css("[data-testid=current-user]")).first().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_signs_in_sees_the_start_page_and_opens_a_client() {
    let Some((_driver, wd)) = start_browser().await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.expect("app");
    let f = app.departments().await;
    let manager = app.user("olga", "manager", Some(f.department_a)).await;
    app.counterparty("Стройресурс", Some(manager.id), Some(f.department_a))
        .await;

    let result: WebDriverResult<()> = async {
        // Russian interface, whatever the browser's own language.
        wd.goto(app.url("/lang/ru")).await?;
        // A wrong password first: the page says so and stays on the form.
        wd.goto(app.url("/login")).await?;
        wd.find(By::Name("login")).await?.send_keys("olga").await?;
        wd.find(By::Name("password")).await?.send_keys("wrong-one").await?;
        wd.find(By::Css("form.login button[type=submit]"))
            .await?
            .click()
            .await?;
        let err = wd.query(By::Css("[data-testid=login-error]")).first().await?;
        assert!(err.text().await?.contains("Неверный логин или пароль"));

        sign_in(&wd, &app, "olga").await?;
        let who = wd.query(By::Css("[data-testid=current-user]")).first().await?;
        assert!(who.text().await?.contains("olga"));
        let row = wd.query(By::LinkText("Стройресурс")).first().await?;
        row.click().await?;
        let title = wd.query(By::Css("[data-testid=client-name]")).first().await?;
        assert!(title.text().await?.contains("Стройресурс"));
        assert!(wd.source().await?.contains("7707083893"));

        // Switch to English and back through the header link.
        wd.find(By::Css("a.lang")).await?.click().await?;
        wd.query(By::XPath("//button[normalize-space()='Sign out']"))
            .first()
            .await?;
        wd.find(By::XPath("//button[normalize-space()='Sign out']"))
            .await?
            .click()
            .await?;
        wd.query(By::Css("form.login")).first().await?;
        Ok(())
    }
    .await;
    let _ = wd.quit().await;
    result.expect("browser flow");
}

async fn visible_client_names(wd: &WebDriver, app: &TestApp) -> WebDriverResult<Vec<String>> {
    wd.goto(app.url("/clients")).await?;
    wd.query(By::Css("[data-testid=client-table]")).first().await?;
    let mut names = Vec::new();
    for cell in wd
        .find_all(By::Css("[data-testid=client-table] tbody td:first-child a"))
        .await?
    {
        names.push(cell.text().await?);
    }
    Ok(names)
}

async fn sign_out(wd: &WebDriver) -> WebDriverResult<()> {
    wd.find(By::Css("form[action='/logout'] button")).await?.click().await?;
    wd.query(By::Css("form.login")).first().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_sees_own_clients_a_head_the_department_and_a_substitute_the_absent_colleagues() {
    let Some((_driver, wd)) = start_browser().await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.expect("app");
    let f = app.departments().await;
    let anna = app.user("anna", "manager", Some(f.department_a)).await;
    let boris = app.user("boris", "manager", Some(f.department_a)).await;
    app.user("head", "head_of_department", Some(f.department_a)).await;
    let stranger = app.user("ural", "manager", Some(f.department_b)).await;
    app.counterparty("Альфа-Строй", Some(anna.id), Some(f.department_a))
        .await;
    app.counterparty("Бета-Опт", Some(boris.id), Some(f.department_a)).await;
    app.counterparty("Уральский завод", Some(stranger.id), Some(f.department_b))
        .await;

    let result: WebDriverResult<()> = async {
        wd.goto(app.url("/lang/ru")).await?;
        sign_in(&wd, &app, "boris").await?;
        assert_eq!(
            visible_client_names(&wd, &app).await?,
            ["Бета-Опт"],
            "a manager sees only own clients"
        );
        sign_out(&wd).await?;

        sign_in(&wd, &app, "head").await?;
        assert_eq!(
            visible_client_names(&wd, &app).await?,
            ["Альфа-Строй", "Бета-Опт"],
            "the head sees the department"
        );
        // The head sends Anna on leave from yesterday to tomorrow with Boris standing in.
        wd.goto(app.url("/absences")).await?;
        let today = chrono::Utc::now().date_naive();
        let (from, to) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
        wd.find(By::Css(
            "select[name=user_id] option[value='{anna}']"
                .replace("{anna}", &anna.id.to_string())
                .as_str(),
        ))
        .await?
        .click()
        .await?;
        wd.find(By::Css(
            "select[name=substitute_id] option[value='{boris}']"
                .replace("{boris}", &boris.id.to_string())
                .as_str(),
        ))
        .await?
        .click()
        .await?;
        // Date inputs take the value through script: typing depends on the browser's locale.
        for (name, day) in [("starts_on", from), ("ends_on", to)] {
            let input = wd.find(By::Css(format!("input[name={name}]").as_str())).await?;
            wd.execute(
                "arguments[0].value = arguments[1];",
                vec![input.to_json()?, serde_json::json!(day.to_string())],
            )
            .await?;
        }
        wd.find(By::Css("form[action='/absences'] button[type=submit]"))
            .await?
            .click()
            .await?;
        let table = wd
            .query(By::Css("[data-testid=absence-table] tbody tr.current"))
            .first()
            .await?;
        assert!(table.text().await?.contains("boris"));
        sign_out(&wd).await?;

        sign_in(&wd, &app, "boris").await?;
        assert_eq!(
            visible_client_names(&wd, &app).await?,
            ["Альфа-Строй", "Бета-Опт"],
            "the substitute sees Anna's clients too"
        );
        Ok(())
    }
    .await;
    let _ = wd.quit().await;
    result.expect("browser flow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_creates_a_client_with_a_contact_after_fixing_a_wrong_inn() {
    let Some((_driver, wd)) = start_browser().await else {
        return;
    };
    let app = spawn_app(Backend::Sqlite).await.expect("app");
    let f = app.departments().await;
    app.user("olga", "manager", Some(f.department_a)).await;

    let result: WebDriverResult<()> = async {
        wd.goto(app.url("/lang/ru")).await?;
        sign_in(&wd, &app, "olga").await?;
        wd.goto(app.url("/clients")).await?;
        wd.query(By::Css("[data-testid=new-client]"))
            .first()
            .await?
            .click()
            .await?;
        wd.query(By::Name("name"))
            .first()
            .await?
            .send_keys("ООО «Ромашка»")
            .await?;
        wd.find(By::Name("inn")).await?.send_keys("7707083894").await?;
        wd.find(By::Name("kpp")).await?.send_keys("773601001").await?;
        wd.find(By::Name("phone")).await?.send_keys("8 (495) 500-55-50").await?;
        wd.find(By::Css("form[action='/clients/new'] button[type=submit]"))
            .await?
            .click()
            .await?;
        let err = wd.query(By::Css("[data-testid=form-error]")).first().await?;
        assert!(err.text().await?.contains("ИНН"), "the error names the INN");
        // The form keeps what was typed; fix the check digit.
        let inn = wd.find(By::Name("inn")).await?;
        assert_eq!(inn.value().await?.as_deref(), Some("7707083894"));
        inn.clear().await?;
        inn.send_keys("7707083893").await?;
        wd.find(By::Css("form[action='/clients/new'] button[type=submit]"))
            .await?
            .click()
            .await?;
        let title = wd.query(By::Css("[data-testid=client-name]")).first().await?;
        assert!(title.text().await?.contains("Ромашка"));
        assert!(
            wd.source().await?.contains("+74955005550"),
            "the phone is stored in E.164"
        );

        wd.find(By::Css("form[action$='/contacts'] input[name=full_name]"))
            .await?
            .send_keys("Соколова Анна Викторовна")
            .await?;
        wd.find(By::Css("form[action$='/contacts'] input[name=phone]"))
            .await?
            .send_keys("8 916 123 45 67")
            .await?;
        wd.find(By::Css("form[action$='/contacts'] input[name=consent_pd]"))
            .await?
            .click()
            .await?;
        wd.find(By::Css("form[action$='/contacts'] button[type=submit]"))
            .await?
            .click()
            .await?;
        // Waits until the card is back with the new row.
        let contacts = wd
            .query(By::XPath(
                "//table[@data-testid='contact-table']//tr[td[contains(., 'Соколова')]]",
            ))
            .first()
            .await?;
        let text = contacts.text().await?;
        assert!(
            text.contains("Соколова Анна Викторовна") && text.contains("+79161234567"),
            "{text}"
        );
        let history = wd.find(By::Css("[data-testid=history-table]")).await?.text().await?;
        assert!(history.contains("create"), "{history}");
        Ok(())
    }
    .await;
    let _ = wd.quit().await;
    result.expect("browser flow");
}
