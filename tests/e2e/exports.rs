//! The public lists as CSV, with a freshness stamp.

use crate::helpers::{Backend, TestApp};

async fn csv_rows(
    app: &TestApp,
    path: &str,
    accept: Option<&str>,
) -> (reqwest::header::HeaderMap, Vec<Vec<String>>) {
    let mut req = app.client.get(app.url(path));
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap();
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "a BOM lets spreadsheets read the Chinese"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (headers, rows)
}

async fn public_lists_export_as_csv_with_a_freshness_stamp(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, page) = app.get_json("/api/v1/penalties?per_page=5").await;
    let total = page["total"].as_u64().unwrap();
    assert!(total > 1, "the demo has penalties in publicity");
    // An export reads in batches larger than a page; a client still gets pages of 200 at most.
    let (status, problem) = app.get_json("/api/v1/penalties?per_page=2000").await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["code"], "invalid_paging");

    let (headers, rows) = csv_rows(&app, "/api/v1/penalties?format=csv&per_page=1", None).await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let stamp = headers["x-data-as-of"].to_str().unwrap().to_owned();
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("penalties-")
    );
    assert_eq!(
        rows[0][..3],
        ["数据时间", "行政处罚决定书文号", "统一社会信用代码"],
        "a person opening the file reads Chinese column names"
    );
    assert_eq!(rows.len() as u64, total + 1, "every decision, not one page");
    assert!(rows[1..].iter().all(|r| r[0] == stamp));
    // The field names stay available to programs, with the same rows.
    let (_, fields) = csv_rows(&app, "/api/v1/penalties?format=csv&columns=en", None).await;
    assert_eq!(fields[0][..3], ["data_as_of", "decision_no", "uscc"]);
    assert_eq!(fields[0].len(), rows[0].len());
    // The same rows, the time of the data (first column) apart: two requests may straddle
    // a second.
    let without_stamp = |rows: &[Vec<String>]| -> Vec<Vec<String>> {
        rows.iter().map(|r| r[1..].to_vec()).collect()
    };
    assert_eq!(without_stamp(&fields[1..]), without_stamp(&rows[1..]));
    let fine = fields[0].iter().position(|c| c == "fine_yuan").unwrap();
    assert_eq!(rows[0][fine], "罚款金额（元）");
    assert!(
        rows[1..].iter().all(|r| r[fine].contains('.')),
        "money in yuan with two decimals"
    );

    // Filtered by category, on PostgreSQL too (the categories are jsonb there).
    let (status, fines) = app.get_json("/api/v1/penalties?category=fine").await;
    assert_eq!(status, 200, "{fines}");
    let fined = fines["total"].as_u64().unwrap();
    assert!(fined > 0 && fined <= total, "{fined} of {total}");
    assert!(
        fines["penalties"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["categories"].as_array().unwrap().contains(&"fine".into())),
        "{fines}"
    );
    let (_, rows) = csv_rows(
        &app,
        "/api/v1/penalties?format=csv&category=%E7%BD%9A%E6%AC%BE",
        None,
    )
    .await;
    assert_eq!(
        rows.len() as u64,
        fined + 1,
        "the CSV holds the same decisions"
    );

    let (_, rows) = csv_rows(&app, "/api/v1/spot-checks?columns=en", Some("text/csv")).await;
    assert_eq!(rows[0][1], "plan_id");
    let (_, rows) = csv_rows(&app, "/api/v1/spot-checks", Some("text/csv")).await;
    assert_eq!(rows[0][1], "抽查计划编号");
    let (_, rows) = csv_rows(&app, "/api/v1/warnings?format=csv", None).await;
    assert_eq!(rows[0][..3], ["数据时间", "编号", "标题"]);
    let (status, body) = app.get_json("/api/v1/warnings?format=csv&columns=fr").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_columns"))
    );
    let uscc = app.search("").await.hits[0].uscc.clone();
    let (_, rows) = csv_rows(
        &app,
        &format!("/api/v1/merchants/{uscc}/complaint-stats?format=csv"),
        None,
    )
    .await;
    assert_eq!((rows.len(), rows[1][1].as_str()), (2, uscc.as_str()));

    let (status, body) = app.get_json("/api/v1/penalties?format=xlsx").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_format"))
    );
    let (status, body) = app.get_json("/api/v1/warnings?per_page=0").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_paging"))
    );
    app.finish().await;
}

crate::on_every_backend!(public_lists_export_as_csv_with_a_freshness_stamp);
