//! Bad input of every kind is a 4xx problem with a stable code, and writes nothing.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

fn penalty(uscc: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut body = json!({
        "decision_no": "五市监处罚〔2026〕7777号", "uscc": uscc, "categories": ["罚款"],
        "fine_yuan": "500", "violation_type": "价格违法", "facts": "未明码标价",
        "legal_basis": "《价格法》第四十二条", "authority": "昆明市五华区市场监督管理局",
        "decided_on": "2026-01-05", "procedure": "ordinary"
    });
    change(&mut body);
    body.to_string()
}

async fn bad_input_is_refused_with_a_stable_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    let uscc = app.search("").await.hits[0].uscc.clone();
    let tomorrow = (fangxin_core::clock::date_of(fangxin_core::clock::now())
        + chrono::TimeDelta::days(1))
    .to_string();
    let (_, before) = app.get_json("/api/v1/penalties").await;
    // The check character is fixed by the first 17: any other 18th character fails it.
    let bad_check = format!(
        "{}{}",
        &uscc[..17],
        if uscc.ends_with('0') { '1' } else { '0' }
    );

    let fresh = fangxin_scoring::Uscc::from_parts('9', '2', "530102", "MC000099")
        .unwrap()
        .to_string();
    let cases: Vec<(&str, String, String, u16, &str)> = vec![
        ("malformed JSON", "/api/v1/admin/penalties".into(), "{\"decision_no\": ".into(), 400, "invalid_body"),
        ("wrong type", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["categories"] = json!("罚款")), 400, "invalid_body"),
        ("negative amount", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["fine_yuan"] = json!("-500")), 400, "invalid_amount"),
        ("absurd amount", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["fine_yuan"] = json!("900000000000000")), 400, "invalid_amount"),
        ("three decimals", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["fine_yuan"] = json!("5.005")), 400, "invalid_amount"),
        ("future date", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["decided_on"] = json!(tomorrow)), 400, "future_date"),
        ("not a date", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["decided_on"] = json!("2026-02-30")), 400, "invalid_body"),
        ("unknown category", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["categories"] = json!(["打板子"])), 400, "invalid_category"),
        ("unknown procedure", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["procedure"] = json!("secret")), 400, "invalid_procedure"),
        ("invalid USCC", "/api/v1/admin/penalties".into(), penalty(&bad_check, |_| {}), 400, "invalid_uscc"),
        ("unknown merchant", "/api/v1/admin/penalties".into(), penalty("91350100M000100Y43", |_| {}), 404, "merchant_not_found"),
        ("empty facts", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["facts"] = json!("  ")), 400, "missing_field"),
        ("unknown channel", "/api/v1/admin/complaints".into(),
            json!({"channel": "fax", "ticket_no": "F1", "kind": "complaint", "merchant_name": "某店",
                   "received_at": "2026-01-05 10:00:00", "text": "x"}).to_string(), 400, "invalid_channel"),
        ("unreadable time", "/api/v1/admin/complaints".into(),
            json!({"channel": "12315", "ticket_no": "F2", "kind": "complaint", "merchant_name": "某店",
                   "received_at": "yesterday", "text": "x"}).to_string(), 400, "invalid_time"),
        ("year one", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["decided_on"] = json!("0001-01-01")), 400, "implausible_date"),
        ("year minus 262143", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["decided_on"] = json!("-262143-01-01")), 400, "implausible_date"),
        ("escaped NUL", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["facts"] = json!("未明码\u{0}标价")), 400, "nul_character"),
        ("right-to-left override", "/api/v1/admin/penalties".into(), penalty(&uscc, |b| b["violation_type"] = json!("价格\u{202E}违法")), 400, "invalid_character"),
        ("a bell in a name", "/api/v1/admin/merchants".into(),
            json!({"uscc": fresh, "name": "响铃\u{7}店", "kind": "individual", "industry": "餐饮",
                   "street": "护国", "address": "护国路1号"}).to_string(), 400, "invalid_character"),
        ("another district's street", "/api/v1/admin/merchants".into(),
            json!({"uscc": fresh, "name": "外区店", "kind": "individual", "industry": "餐饮",
                   "street": "呈贡新区", "address": "某路1号"}).to_string(), 400, "unknown_street"),
        ("a complaint from 1900", "/api/v1/admin/complaints".into(),
            json!({"channel": "12315", "ticket_no": "F3", "kind": "complaint", "merchant_name": "某店",
                   "received_at": "1900-01-05 10:00:00", "text": "x"}).to_string(), 400, "implausible_date"),
        ("unknown grade", "/api/v1/admin/spot-check-plans".into(),
            json!({"title": "x", "grades": ["Z"], "sample_size": 1}).to_string(), 400, "invalid_grade"),
    ];
    let mut failures = Vec::new();
    for (what, path, body, status, code) in &cases {
        let (got, problem) = app
            .post_raw(path, Some(&regulator), "application/json", body.clone())
            .await;
        if got != *status || problem["code"] != *code {
            failures.push(format!("{what}: {got} {problem}"));
        }
        if got == 400 && problem["detail"].as_str().is_none_or(str::is_empty) {
            failures.push(format!("{what}: no message a regulator can read"));
        }
    }
    for (what, path, status, code) in [
        (
            "dates out of order",
            "/api/v1/penalties?from=2026-05-01&to=2026-01-01",
            400,
            "dates_out_of_order",
        ),
        (
            "invalid USCC in the path",
            "/api/v1/merchants/12345",
            400,
            "invalid_uscc",
        ),
        ("not an id", "/api/v1/penalties/abc", 400, "invalid_path"),
        (
            "page zero",
            "/api/v1/spot-checks?page=0",
            400,
            "invalid_paging",
        ),
        ("unknown endpoint", "/api/v1/nothing", 404, "not_found"),
        (
            "NUL in a filter",
            "/api/v1/penalties?authority=a%00b",
            400,
            "nul_character",
        ),
        (
            "NUL in a search",
            "/api/v1/merchants/search?q=%E9%A4%90%00",
            400,
            "nul_character",
        ),
    ] {
        let (got, problem) = app.get_json(path).await;
        if got != status || problem["code"] != code {
            failures.push(format!("{what}: {got} {problem}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let (_, after) = app.get_json("/api/v1/penalties").await;
    assert_eq!(after["total"], before["total"], "nothing was half-written");
    app.finish().await;
}

crate::on_every_backend!(bad_input_is_refused_with_a_stable_code);
