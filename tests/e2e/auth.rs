//! Accounts, logins and who may do what.

use std::time::{Duration, Instant};

use crate::helpers::{Backend, Options, TestApp};

async fn login_logout_and_lockout(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            demo_merchants: Some(20),
            ..Default::default()
        },
    )
    .await;
    app.create_account("regulator", "wang.li", "correct horse battery", None)
        .await;

    let (status, body) = app.login("wang.li", "correct horse battery").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["role"], "regulator");
    let token = body["token"].as_str().unwrap().to_owned();

    // The token works until logout.
    let reindex = |token: String| {
        let client = app.client.clone();
        let url = app.url("/api/v1/admin/reindex");
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let logout = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert_eq!(reindex(token).await, 401);

    // Wrong passwords: the same answer whether or not the user exists.
    let (status, body) = app.login("wang.li", "wrong password!").await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "invalid_credentials");
    let (status, body) = app.login("nobody", "wrong password!").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_credentials"))
    );

    // Five failures in a row lock the account, even for the right password.
    for _ in 0..4 {
        app.login("wang.li", "wrong password!").await;
    }
    let (status, body) = app.login("wang.li", "correct horse battery").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "account_locked");
    assert!(body["detail"].as_str().unwrap().contains("locked until"));

    let (status, body) = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 400);
    let body: serde_json::Value = body.json().await.unwrap();
    assert_eq!(body["code"], "invalid_body");
    app.finish().await;
}

/// Fifteen wrong passwords sent at once: five are checked, the rest find the account locked,
/// and the right password is refused afterwards.
async fn parallel_guesses_lock_the_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_account("regulator", "zhao.min", "correct horse battery", None)
        .await;
    let guesses = (0..15).map(|i| {
        let app = &app;
        async move { app.login("zhao.min", &format!("wrong password {i}")).await }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers.iter().filter(|(status, _)| *status == 401).count();
    let locked = answers
        .iter()
        .filter(|(status, body)| *status == 429 && body["code"] == "account_locked")
        .count();
    assert!(checked <= 5, "{checked} guesses were checked: {answers:?}");
    assert_eq!(checked + locked, 15, "{answers:?}");
    let (status, body) = app.login("zhao.min", "correct horse battery").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("account_locked")),
        "{body}"
    );
    app.finish().await;
}

async fn only_regulators_rebuild_the_index(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post = |token: Option<String>| {
        let client = app.client.clone();
        let url = app.url("/api/v1/admin/reindex");
        async move {
            let mut req = client.post(url);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            (
                status,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    let (status, body) = post(None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let (status, _) = post(Some("not-a-token".into())).await;
    assert_eq!(status, 401);

    let any_merchant = app.search("").await.hits[0].uscc.clone();
    let enterprise = app.token_for("enterprise", Some(&any_merchant)).await;
    let (status, body) = post(Some(enterprise)).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));

    let before = app.state.index.current().dir().unwrap().to_path_buf();
    let regulator = app.token_for("regulator", None).await;
    let (status, body) = post(Some(regulator)).await;
    assert_eq!(status, 202, "{body}");
    let started = Instant::now();
    while app.state.index.current().dir() == Some(before.as_path())
        && started.elapsed() < Duration::from_secs(15)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(app.state.index.current().dir(), Some(before.as_path()));
    assert_eq!(app.search("").await.total, 300);
    app.finish().await;
}

/// `serve --demo` prints one regulator and one enterprise with fresh passwords: each logs
/// in with the password printed, the enterprise acts for a shop with a record, and the
/// next start's passwords replace the last ones.
async fn the_demo_accounts_log_in_with_their_printed_passwords(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        crate::helpers::Options {
            demo_merchants: Some(300),
            ..Default::default()
        },
    )
    .await;
    let first = fangxin_api::app::demo_accounts(&app.state.db)
        .await
        .expect("demo accounts");
    assert_eq!(first.len(), 2);
    for a in &first {
        assert!(a.password.len() >= 16, "a fresh, long password");
        let (status, body) = app.login(a.username, &a.password).await;
        assert_eq!(status, 200, "{} logs in: {body}", a.username);
        assert_eq!(body["role"], a.role.code());
    }
    let owner = first
        .iter()
        .find(|a| a.uscc.is_some())
        .expect("an enterprise");
    let uscc = owner.uscc.clone().unwrap();
    let (status, profile) = app.get_json(&format!("/api/v1/merchants/{uscc}")).await;
    assert_eq!(status, 200, "{profile}");
    // Started again: new passwords, the old ones no longer open the accounts.
    let second = fangxin_api::app::demo_accounts(&app.state.db)
        .await
        .expect("demo accounts again");
    for (old, new) in first.iter().zip(&second) {
        assert_ne!(old.password, new.password);
        let (status, _) = app.login(old.username, &old.password).await;
        assert_eq!(status, 401, "the last start's password is void");
        let (status, _) = app.login(new.username, &new.password).await;
        assert_eq!(status, 200);
    }
    app.finish().await;
}

crate::on_every_backend!(
    the_demo_accounts_log_in_with_their_printed_passwords,
    login_logout_and_lockout,
    parallel_guesses_lock_the_account,
    only_regulators_rebuild_the_index
);
