//! Health, OpenAPI, authentication, error shape, language, security headers, CSRF.

use serde_json::Value;

use crate::helpers::TestApp;

crate::on_both_databases!(
    healthz_answers_ok_when_the_database_answers,
    openapi_document_describes_every_api_route,
    api_without_a_valid_token_answers_401_in_the_error_shape,
    error_messages_follow_accept_language_and_the_users_setting,
    login_sets_a_session_that_logout_ends,
    wrong_password_and_unknown_login_get_the_same_answer,
    cross_site_form_posts_are_rejected,
    every_response_carries_security_headers,
    html_shell_redirects_to_login_and_renders_after_sign_in,
);

async fn healthz_answers_ok_when_the_database_answers(app: TestApp) {
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
    app.db.close().await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 503, "a closed database must make the health check fail");
}

async fn openapi_document_describes_every_api_route(app: TestApp) {
    let doc: Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "OpenAPI 3.x expected"
    );
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/me",
        "/api/v1/session",
        "/api/v1/counterparties",
        "/api/v1/counterparties/{id}",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let docs = app.http.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("/api/openapi.json"));
    let viewer = app
        .http
        .get(app.url("/static/vendor/rapidoc-9.3.8.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(viewer.status(), 200, "the interactive viewer is served from the binary");
}

async fn api_without_a_valid_token_answers_401_in_the_error_shape(app: TestApp) {
    for auth in [None, Some("Bearer nope"), Some("Basic abc"), Some("Bearer ")] {
        let mut req = app.http.get(app.url("/api/v1/me"));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "auth {auth:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated", "auth {auth:?}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 10);
    }
    let user = app.user("ivanova", "manager", None).await;
    let me: Value = app.get("/api/v1/me", &user.token).await.json().await.unwrap();
    assert_eq!(me["login"], "ivanova");
    assert_eq!(me["role"], "manager");
    let tokens: Value = app.get("/api/v1/tokens", &user.token).await.json().await.unwrap();
    assert!(
        tokens[0]["last_used_at"].is_string(),
        "a used token shows when it was last used: {tokens}"
    );
    assert!(
        tokens[0].get("token").is_none() && !tokens.to_string().contains("pkt_"),
        "secrets are never listed"
    );
}

async fn error_messages_follow_accept_language_and_the_users_setting(app: TestApp) {
    let user = app.user("petrov", "manager", None).await;
    let path = "/api/v1/counterparties?status=winner";
    let en: Value = app
        .http
        .get(app.url(path))
        .bearer_auth(&user.token)
        .header("Accept-Language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(en["error"]["code"], "invalid_status");
    assert_eq!(en["error"]["field"], "status");
    assert!(
        en["error"]["message"].as_str().unwrap().contains("Unknown status"),
        "{en}"
    );
    // No Accept-Language: the user's own setting (ru by default).
    let ru: Value = app.get(path, &user.token).await.json().await.unwrap();
    assert!(
        ru["error"]["message"].as_str().unwrap().contains("Неизвестный статус"),
        "{ru}"
    );
}

async fn login_sets_a_session_that_logout_ends(app: TestApp) {
    app.user("sidorov", "manager", None).await;
    let res = app
        .http
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"login": "sidorov", "password": "password1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let me = app
        .http
        .get(app.url("/api/v1/me"))
        .header("Cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let out = app
        .http
        .delete(app.url("/api/v1/session"))
        .header("Cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let me = app
        .http
        .get(app.url("/api/v1/me"))
        .header("Cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401, "the session must be gone after logout");
}

async fn wrong_password_and_unknown_login_get_the_same_answer(app: TestApp) {
    app.user("kozlov", "manager", None).await;
    let mut answers = Vec::new();
    for (login, password) in [("kozlov", "wrong-password"), ("nobody", "password1")] {
        let res = app
            .http
            .post(app.url("/api/v1/session"))
            .json(&serde_json::json!({"login": login, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        answers.push(res.text().await.unwrap());
    }
    assert_eq!(answers[0], answers[1]);
    let bad_json = app
        .http
        .post(app.url("/api/v1/session"))
        .header("Content-Type", "application/json")
        .body("{\"login\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 422);
    let body: Value = bad_json.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_json");
}

async fn cross_site_form_posts_are_rejected(app: TestApp) {
    let res = app
        .http
        .post(app.url("/login"))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("login", "x"), ("password", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .http
        .post(app.url("/login"))
        .header("Origin", "https://evil.example")
        .header("Host", "127.0.0.1")
        .form(&[("login", "x"), ("password", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let same = app
        .http
        .post(app.url("/login"))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("login", "x"), ("password", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 401, "a same-origin post reaches the login check");
}

async fn every_response_carries_security_headers(app: TestApp) {
    for path in ["/login", "/healthz", "/api/v1/me", "/no-such-page"] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff", "{path}");
        assert!(h.get("referrer-policy").is_some(), "{path}");
    }
}

async fn html_shell_redirects_to_login_and_renders_after_sign_in(app: TestApp) {
    let res = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers().get("location").unwrap(), "/login");
    app.user("smirnova", "manager", None).await;
    let res = app
        .http
        .post(app.url("/login"))
        .form(&[("login", "smirnova"), ("password", "password1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let en = app
        .http
        .get(app.url("/"))
        .header("Cookie", format!("{session}; prospekt_lang=en"))
        .send()
        .await
        .unwrap();
    let html = en.text().await.unwrap();
    assert!(
        html.contains("Hello, smirnova") && html.contains("Sign out"),
        "English shell expected"
    );
    let ru = app
        .http
        .get(app.url("/"))
        .header("Cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        ru.contains("Здравствуйте") && ru.contains("Выйти"),
        "Russian shell expected"
    );
}
