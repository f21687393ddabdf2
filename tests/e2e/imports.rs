//! Imports: a regulator's CSV and NDJSON files, all or nothing, idempotent.

use chrono::{TimeDelta, Timelike};
use fangxin_scoring::Uscc;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

fn uscc(n: u32) -> String {
    Uscc::from_parts('9', '2', "530102", &format!("QM{n:06}"))
        .unwrap()
        .to_string()
}

fn merchants_csv() -> String {
    format!(
        "uscc,name,sign_name,former_names,kind,industry,street,address,legal_representative,established_on\n\
         {},昆明市五华区滇味轩餐饮店,滇味轩,滇味小馆|滇味居,individual,餐饮,护国,昆明市五华区正义路1号,张三,2019-03-01\n\
         {},云南翠湖眼镜有限公司,翠湖眼镜,,enterprise,零售,华山街道,昆明市五华区翠湖南路2号,,2015-07-15\n\
         \"{}\",\"昆明市五华区老街理发店\",老街理发,,个体工商户,美容美发,大观街道,\"昆明市五华区大观路3号, 附1号\",,\n",
        uscc(1),
        uscc(2),
        uscc(3)
    )
}

async fn import(app: &TestApp, token: &str, kind: &str, ct: &str, body: String) -> (u16, Value) {
    app.post_raw(
        &format!("/api/v1/admin/imports/{kind}"),
        Some(token),
        ct,
        body,
    )
    .await
}

/// Imports complaint rows as an NDJSON file, one JSON object a line.
async fn import_ndjson(app: &TestApp, token: &str, rows: &[&Value]) -> (u16, Value) {
    let ndjson: String = rows.iter().map(|r| format!("{r}\n")).collect();
    import(app, token, "complaints", "application/x-ndjson", ndjson).await
}

async fn a_regulator_imports_files_once_and_the_portal_follows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;

    let (status, report) = import(&app, &regulator, "merchants", "text/csv", merchants_csv()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accepted"], true);
    assert_eq!(
        (report["rows"].as_u64(), report["created"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(report["merchants_rescored"], 3);
    // The same file again changes nothing.
    let (status, again) = import(&app, &regulator, "merchants", "text/csv", merchants_csv()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["created"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(again["sha256"], report["sha256"]);

    let (_, profile) = app
        .get_json(&format!("/api/v1/merchants/{}", uscc(1)))
        .await;
    assert_eq!(
        profile["street"], "护国街道",
        "a street without 街道 is the same street"
    );
    assert_eq!(profile["former_names"], json!(["滇味小馆", "滇味居"]));
    let found = app
        .wait_for_search("滇味小馆", |r| r.hits.iter().any(|h| h.uscc == uscc(1)))
        .await;
    assert!(
        found.hits.iter().any(|h| h.uscc == uscc(1)),
        "a former name finds the shop"
    );

    // Penalties, with categories in Chinese and amounts in yuan.
    let decided = fangxin_core::clock::today(fangxin_core::clock::now()) - TimeDelta::days(10);
    let penalties = format!(
        "decision_no,uscc,categories,fine_yuan,confiscated_yuan,violation_type,facts,legal_basis,authority,decided_on,procedure\n\
         五市监罚〔2026〕901号,{},警告|罚款,\"5,000.50\",,食品安全,销售超过保质期的食品,《食品安全法》第一百二十四条,昆明市五华区市场监督管理局,{decided},ordinary\n",
        uscc(1)
    );
    let (status, report) =
        import(&app, &regulator, "penalties", "text/csv", penalties.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["created"], 1);
    let (status, again) = import(&app, &regulator, "penalties", "text/csv", penalties).await;
    assert_eq!((status, again["unchanged"].as_u64()), (200, Some(1)));
    // "Who published decision X, and when": the file's decision has its own audit entry,
    // naming the file it came in, once however often the file is imported.
    let (status, audit) = app
        .get_json_as(
            "/api/v1/admin/audit-log?entity=penalty&q=五市监罚〔2026〕901号",
            &regulator,
        )
        .await;
    assert_eq!(status, 200, "{audit}");
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["action"], "penalty.publish");
    assert_eq!(entries[0]["subject"], "五市监罚〔2026〕901号");
    assert_eq!(entries[0]["actor_role"], "regulator");
    assert_eq!(entries[0]["after"]["import_sha256"], report["sha256"]);
    let (_, merchant_audit) = app
        .get_json_as(
            &format!("/api/v1/admin/audit-log?entity=merchant&q={}", uscc(1)),
            &regulator,
        )
        .await;
    assert!(
        merchant_audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "merchant.create" && e["after"]["import_sha256"].is_string()),
        "{merchant_audit}"
    );
    let (_, profile) = app
        .get_json(&format!("/api/v1/merchants/{}", uscc(1)))
        .await;
    let in_publicity = profile["penalties_in_publicity"].as_array().unwrap();
    assert_eq!(in_publicity.len(), 1, "{profile}");
    assert_eq!(in_publicity[0]["fine_fen"], 500_050);
    assert!(profile["score"]["score"].as_i64().unwrap() < 100);

    // Complaints as NDJSON: by USCC, by an exact sign name, and one no merchant matches.
    let received = (fangxin_core::clock::now() - TimeDelta::days(3)).format("%Y-%m-%d %H:%M:%S");
    let rows = [
        json!({"channel": "12315", "ticket_no": "IMP-1", "kind": "complaint", "uscc": uscc(2),
               "merchant_name": "翠湖眼镜", "received_at": received.to_string(), "category": "quality",
               "amount_involved_yuan": "899", "complainant_key": "ck-import-1", "text": "镜片有划痕，要求退货"}),
        json!({"channel": "12345", "ticket_no": "IMP-2", "kind": "complaint", "merchant_name": "老街理发",
               "received_at": received.to_string(), "status": "settled", "amount_recovered_yuan": 50,
               "satisfaction": "满意", "text": "办卡后店家拒绝服务"}),
        json!({"channel": "internet", "ticket_no": "IMP-3", "kind": "inquiry", "merchant_name": "不存在的店",
               "received_at": received.to_string(), "text": "咨询营业时间"}),
    ];
    let all: Vec<&Value> = rows.iter().collect();
    let (status, report) = import_ndjson(&app, &regulator, &all).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["created"].as_u64(), report["unmatched"].as_u64()),
        (Some(3), Some(1))
    );
    let (_, again) = import_ndjson(&app, &regulator, &all).await;
    assert_eq!(
        (again["created"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(3))
    );
    // A later export of the same ticket with its new status updates it.
    let mut later = rows[0].clone();
    later["status"] = json!("accepted");
    let (_, report) = import_ndjson(&app, &regulator, &[&later]).await;
    assert_eq!(report["updated"], 1, "{report}");
    // Known and new tickets in one file, a new one twice: the known one is updated, the
    // new one recorded once (its first row stands), and nothing else moves.
    let mut known = rows[1].clone();
    known["amount_recovered_yuan"] = json!(80);
    let mut new = rows[0].clone();
    new["ticket_no"] = json!("IMP-4");
    let mut again = new.clone();
    again["text"] = json!("同一工单又导出一次");
    let (_, report) = import_ndjson(&app, &regulator, &[&known, &new, &again, &rows[2]]).await;
    assert_eq!(
        (
            report["created"].as_u64(),
            report["updated"].as_u64(),
            report["unchanged"].as_u64()
        ),
        (Some(1), Some(1), Some(2)),
        "{report}"
    );

    let (_, stats) = app
        .get_json(&format!("/api/v1/merchants/{}/complaint-stats", uscc(3)))
        .await;
    assert_eq!(
        stats["settled"], 1,
        "the sign name matched the barber: {stats}"
    );
    let (_, log) = app
        .get_json_as(
            "/api/v1/admin/audit-log?action=import.complaints",
            &regulator,
        )
        .await;
    assert!(log.to_string().contains("import.complaints"), "{log}");
    app.finish().await;
}

fn errors(body: &Value) -> Vec<(u64, String, String)> {
    body["details"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no report: {body}"))
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap_or("-").to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_file_with_bad_rows_is_rejected_whole_with_every_row_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    let tomorrow = fangxin_core::clock::date_of(fangxin_core::clock::now()) + TimeDelta::days(1);
    let csv = format!(
        "uscc,name,sign_name,former_names,kind,industry,street,address,legal_representative,established_on\n\
         {},好店,好店,,individual,餐饮,护国街道,正义路1号,,2019-03-01\n\
         91530102MA6K00000X,坏码店,,,individual,餐饮,护国街道,正义路2号,,\n\
         {},未来店,,,individual,餐饮,护国街道,正义路3号,,{tomorrow}\n\
         {},,,,individual,餐饮,护国街道,正义路4号,,\n\
         {},怪店,,,partnership,餐饮,护国街道,正义路5号,,\n\
         {},少列店,individual\n",
        uscc(11),
        uscc(12),
        uscc(13),
        uscc(14),
        uscc(15)
    );
    let (status, body) = import(
        &app,
        &regulator,
        "merchants",
        "text/csv; charset=utf-8",
        csv,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "import_rejected");
    assert_eq!(
        errors(&body),
        [
            (3, "uscc".into(), "invalid_value".into()),
            (4, "established_on".into(), "future_date".into()),
            (5, "name".into(), "missing_field".into()),
            (6, "kind".into(), "invalid_value".into()),
            (7, "-".into(), "wrong_field_count".into()),
        ]
    );
    assert_eq!(body["details"]["rows"], 6);
    let (status, _) = app
        .get_json(&format!("/api/v1/merchants/{}", uscc(11)))
        .await;
    assert_eq!(status, 404, "the good row was not written either");

    // Penalties: an unregistered merchant, an unknown category, a negative fine, bad dates.
    let known = app.search("").await.hits[0].uscc.clone();
    let csv = format!(
        "decision_no,uscc,categories,fine_yuan,violation_type,facts,legal_basis,authority,decided_on,procedure\n\
         A1,{},罚款,100,x,x,x,x,2026-01-05,ordinary\n\
         A2,{known},打板子,,x,x,x,x,2026-01-05,ordinary\n\
         A3,{known},罚款,-100,x,x,x,x,2026-01-05,ordinary\n\
         A4,{known},警告,,x,x,x,x,2026-13-45,ordinary\n\
         A5,{known},警告,,x,x,x,x,{tomorrow},ordinary\n\
         A6,{known},警告,,x,x,x,x,2026-01-05,secret\n",
        uscc(16)
    );
    let (status, body) = import(&app, &regulator, "penalties", "text/csv", csv).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        errors(&body),
        [
            (2, "uscc".into(), "merchant_not_found".into()),
            (3, "categories".into(), "invalid_category".into()),
            (4, "fine_yuan".into(), "invalid_amount".into()),
            (5, "decided_on".into(), "invalid_value".into()),
            (6, "decided_on".into(), "future_date".into()),
            (7, "procedure".into(), "invalid_procedure".into()),
        ]
    );

    // A header with an unknown column is refused before any row.
    let (status, body) = import(
        &app,
        &regulator,
        "complaints",
        "text/csv",
        "channel,ticket_no,kind,merchant_name,received_at,text,phone\n".into(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        errors(&body),
        [(1, "phone".into(), "unknown_column".into())]
    );

    // Complaints: personal data where a key belongs, a closing before the receipt.
    let rows = [
        json!({"channel": "12315", "ticket_no": "B1", "kind": "complaint", "merchant_name": "某店",
               "received_at": "2026-01-05 10:00:00", "complainant_key": "13800138000", "text": "x"}),
        json!({"channel": "12315", "ticket_no": "B2", "kind": "complaint", "merchant_name": "某店",
               "received_at": "2026-01-05 10:00:00", "status": "settled",
               "closed_at": "2026-01-04 10:00:00", "text": "x"}),
        json!({"channel": "fax", "ticket_no": "B3", "kind": "complaint", "merchant_name": "某店",
               "received_at": "2026-01-05 10:00:00", "status": "closed", "category": "food",
               "text": "x"}),
    ];
    let ndjson: String = rows.iter().map(|r| format!("{r}\n")).collect::<String>() + "{not json\n";
    let (status, body) = import(
        &app,
        &regulator,
        "complaints",
        "application/x-ndjson",
        ndjson,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        errors(&body),
        [
            (1, "complainant_key".into(), "personal_data".into()),
            (2, "closed_at".into(), "dates_out_of_order".into()),
            // Every coded cell at fault in the row, not only the first.
            (3, "channel".into(), "invalid_channel".into()),
            (3, "status".into(), "invalid_status".into()),
            (3, "category".into(), "invalid_category".into()),
            (4, "-".into(), "invalid_json".into()),
        ]
    );

    // What the endpoint does not read.
    let (status, body) = import(
        &app,
        &regulator,
        "complaints",
        "application/pdf",
        "%PDF".into(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let (status, _) = import(&app, &regulator, "spot-checks", "text/csv", "a\n".into()).await;
    assert_eq!(status, 404);
    app.finish().await;
}

/// Rows a complaint batch on the test's database.
fn batch_rows(app: &TestApp) -> usize {
    fangxin_core::imports::Kind::Complaints.batch_rows(app.state.db.get_database_backend())
}

/// A file of many batches goes through the library call the CLI uses, with progress.
/// How the tests run an import of a large file straight through the core.
fn bulk_context(app: &TestApp) -> fangxin_core::imports::ImportContext<'_> {
    fangxin_core::imports::ImportContext {
        scoring: &app.state.scoring,
        lower_amount_threshold_fen: 1_000_000,
        max_reported_errors: 100,
        defer_indexes_from_rows: 50_000,
        scratch_dir: std::env::temp_dir(),
        check_beside_writes: true,
    }
}

async fn a_large_complaint_file_imports_in_batches(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let usccs = app.usccs().await;
    // Five batches and a part, whatever a batch is on this database.
    let n = 5 * batch_rows(&app) + 100;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("complaints.csv");
    let mut csv =
        String::from("channel,ticket_no,kind,uscc,merchant_name,received_at,category,text\n");
    let received = (fangxin_core::clock::now() - TimeDelta::days(20)).format("%Y-%m-%dT%H:%M:%SZ");
    for i in 0..n {
        let u = &usccs[i % usccs.len()];
        csv.push_str(&format!(
            "12315,BULK-{i},complaint,{u},某店,{received},price,价格不符 第{i}件\n"
        ));
    }
    std::fs::write(&path, csv).unwrap();
    use fangxin_core::store::entities::{change_event, complaint, merchant};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let last_event = change_event::Entity::find()
        .order_by_desc(change_event::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .map_or(0, |e| e.id);
    let seen = std::sync::Mutex::new(Vec::new());
    let ctx = bulk_context(&app);
    let report = fangxin_core::imports::run(
        &app.state.db,
        fangxin_core::imports::Kind::Complaints,
        fangxin_core::imports::Format::Csv,
        &path,
        &ctx,
        &fangxin_core::audit::Actor::system(),
        fangxin_core::clock::now(),
        &|p| seen.lock().unwrap().push(p),
    )
    .await
    .expect("imported");
    assert!(report.accepted, "{report:?}");
    assert_eq!(report.created, n as u64);
    assert_eq!(report.merchants_rescored as usize, usccs.len().min(n));
    let seen = seen.into_inner().unwrap();
    assert!(seen.iter().any(
        |p| matches!(p, fangxin_core::imports::Progress::Writing { rows } if *rows == n as u64)
    ));
    assert!(seen.len() > 5, "progress is reported batch by batch");
    // Each batch after the first finds its merchants among those the earlier ones met:
    // every complaint still lands on the merchant its row names, under its industry.
    let merchants: std::collections::HashMap<i64, (String, String)> = merchant::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.id, (m.uscc, m.industry)))
        .collect();
    let bulk = complaint::Entity::find()
        .filter(complaint::Column::TicketNo.starts_with("BULK-"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(bulk.len(), n);
    for c in bulk {
        let i: usize = c.ticket_no["BULK-".len()..].parse().unwrap();
        let (uscc, industry) = &merchants[&c.merchant_id.expect("matched")];
        assert_eq!(uscc, &usccs[i % usccs.len()], "{}", c.ticket_no);
        assert_eq!(c.industry.as_ref(), Some(industry), "{}", c.ticket_no);
    }
    // The search index hears of each merchant once, though the file names it in every
    // batch (the batches are checked beside the writes, on another connection).
    let events = change_event::Entity::find()
        .filter(change_event::Column::Id.gt(last_event))
        .filter(change_event::Column::Kind.eq("complaint"))
        .all(&app.state.db)
        .await
        .unwrap();
    let told: std::collections::HashSet<i64> = events.iter().map(|e| e.merchant_id).collect();
    assert_eq!(events.len(), told.len(), "one change event a merchant");
    assert_eq!(told.len(), usccs.len().min(n));
    // The locks that kept the file's merchants from deletion went with the import.
    assert_eq!(
        merchants_free_to_delete(&app, &usccs).await,
        usccs.len(),
        "no merchant stays locked"
    );
    app.finish().await;
}

/// Runs a complaint file straight through the core, as the CLI does.
async fn import_file(app: &TestApp, path: &std::path::Path) -> fangxin_core::imports::ImportReport {
    let ctx = bulk_context(app);
    fangxin_core::imports::run(
        &app.state.db,
        fangxin_core::imports::Kind::Complaints,
        fangxin_core::imports::Format::Csv,
        path,
        &ctx,
        &fangxin_core::audit::Actor::system(),
        fangxin_core::clock::now(),
        &|_| {},
    )
    .await
    .expect("imported")
}

/// A file of new tickets with a few the table knows among them, batches apart: a batch
/// that meets a known ticket is written again the way that tells new from known, and the
/// file lands as a file of one batch would. The first batch's ticket again in the last
/// batch (the file repeating itself) is the same complaint, unchanged.
async fn a_known_ticket_among_new_ones_is_updated_and_the_rest_inserted_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let usccs = app.usccs().await;
    let batch = batch_rows(&app);
    let dir = tempfile::tempdir().unwrap();
    let received = (fangxin_core::clock::now() - TimeDelta::days(20)).format("%Y-%m-%dT%H:%M:%SZ");
    let header = "channel,ticket_no,kind,uscc,merchant_name,received_at,status,category,text\n";
    let row = |ticket: &str, i: usize, status: &str| {
        let u = &usccs[i % usccs.len()];
        format!("12315,{ticket},complaint,{u},某店,{received},{status},price,价格不符 第{i}件\n")
    };
    let first = dir.path().join("first.csv");
    std::fs::write(&first, format!("{header}{}", row("OLD-1", 1, "received"))).unwrap();
    let report = import_file(&app, &first).await;
    assert_eq!(report.created, 1, "{report:?}");

    // Four batches: the second holds the known ticket, settled since; the last repeats
    // the first batch's first ticket as it was.
    let n = 4 * batch;
    let mut csv = String::from(header);
    for i in 0..n {
        if i == batch + batch / 2 {
            csv.push_str(&row("OLD-1", 1, "settled"));
        } else if i == 3 * batch + 7 {
            csv.push_str(&row("NEW-0", 0, "received"));
        } else {
            csv.push_str(&row(&format!("NEW-{i}"), i, "received"));
        }
    }
    let second = dir.path().join("second.csv");
    std::fs::write(&second, csv).unwrap();
    let report = import_file(&app, &second).await;
    assert!(report.accepted, "{report:?}");
    assert_eq!(report.created, n as u64 - 2, "{report:?}");
    assert_eq!(report.updated, 1, "{report:?}");
    assert_eq!(report.unchanged, 1, "{report:?}");

    use fangxin_core::store::entities::complaint;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let rows = complaint::Entity::find()
        .filter(complaint::Column::Channel.eq("12315"))
        .all(&app.state.db)
        .await
        .unwrap();
    let tickets: std::collections::HashSet<&str> =
        rows.iter().map(|c| c.ticket_no.as_str()).collect();
    let ours = rows
        .iter()
        .filter(|c| c.ticket_no.starts_with("NEW-") || c.ticket_no == "OLD-1")
        .count();
    assert_eq!(ours, n - 1, "each ticket once");
    assert!(tickets.contains("NEW-0") && tickets.contains(format!("NEW-{}", n - 1).as_str()));
    assert!(!tickets.contains(format!("NEW-{}", 3 * batch + 7).as_str()));
    let old = rows.iter().find(|c| c.ticket_no == "OLD-1").unwrap();
    assert_eq!(
        old.status, "settled",
        "the known ticket takes the file's status"
    );
    // Another import of the same file changes nothing.
    let again = import_file(&app, &second).await;
    assert!(again.accepted, "{again:?}");
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, n as u64)
    );
    app.finish().await;
}

/// How many of these merchants another connection could lock for deletion right now
/// (`FOR UPDATE NOWAIT`: a merchant locked elsewhere is not waited for). On SQLite,
/// which has no row locks, all.
async fn merchants_free_to_delete(app: &TestApp, usccs: &[String]) -> usize {
    let mut free = 0;
    for u in usccs {
        if lockable(app, u, "FOR UPDATE").await {
            free += 1;
        }
    }
    free
}

/// Whether another connection could lock this merchant in this mode right now, without
/// waiting (`NOWAIT`). Always on SQLite.
async fn lockable(app: &TestApp, uscc: &str, mode: &str) -> bool {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    if app.state.db.get_database_backend() != DbBackend::Postgres {
        return true;
    }
    let probe = app.state.db.begin().await.unwrap();
    let locked = probe
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT id FROM merchants WHERE uscc = $1 {mode} NOWAIT"),
            [uscc.into()],
        ))
        .await;
    probe.rollback().await.unwrap();
    matches!(locked, Ok(Some(_)))
}

/// On PostgreSQL a complaint file's check finds its merchants locked `FOR KEY SHARE` for as
/// long as its transaction lasts (the import inserts with the foreign key's row checks
/// off, counting on it): no one can delete such a merchant meanwhile, its other columns
/// stay writable, and the lock goes with the transaction.
async fn a_merchant_a_complaint_file_names_stays_until_the_file_is_in(backend: Backend) {
    use sea_orm::{DbBackend, TransactionTrait};
    let app = TestApp::spawn(backend).await;
    let usccs = app.usccs().await;
    let (named, other) = (&usccs[0], &usccs[1]);
    let checks = app.state.db.begin().await.unwrap();
    let found = fangxin_core::merchants::refs_by_uscc(&checks, [named.clone()].into_iter(), true)
        .await
        .unwrap();
    assert!(found.contains_key(named.as_str()));
    if app.state.db.get_database_backend() == DbBackend::Postgres {
        assert_eq!(
            merchants_free_to_delete(&app, &[named.clone(), other.clone()]).await,
            1,
            "only the merchant the file names is held"
        );
        // Writing its other columns is not held up (`FOR NO KEY UPDATE`, as an UPDATE takes).
        assert!(lockable(&app, named, "FOR NO KEY UPDATE").await);
    }
    checks.rollback().await.unwrap();
    assert_eq!(
        merchants_free_to_delete(&app, &[named.clone(), other.clone()]).await,
        2
    );
    app.finish().await;
}

/// Excel on Chinese Windows saves CSV as GBK: such a file imports as the same names.
async fn an_excel_gbk_file_imports_with_its_chinese_intact(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    let csv = merchants_csv();
    let (gbk, _, unmappable) = encoding_rs::GB18030.encode(&csv);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "the file is not UTF-8");
    let (status, report) = app
        .post_raw(
            "/api/v1/admin/imports/merchants",
            Some(&regulator),
            "text/csv",
            gbk.into_owned(),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accepted"], true, "{report}");
    assert_eq!(report["encoding"], "gb18030");
    assert_eq!(report["created"], 3);
    let (_, profile) = app
        .get_json(&format!("/api/v1/merchants/{}", uscc(1)))
        .await;
    assert_eq!(profile["name"], "昆明市五华区滇味轩餐饮店", "{profile}");
    assert_eq!(profile["former_names"], json!(["滇味小馆", "滇味居"]));
    // The same rows in UTF-8 are the same rows: nothing changes.
    let (status, again) = import(&app, &regulator, "merchants", "text/csv", merchants_csv()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["unchanged"].as_u64(), again["encoding"].as_str()),
        (Some(3), Some("UTF-8"))
    );
    app.finish().await;
}

/// The template a clerk downloads for each kind imports as it is, in order: the
/// merchant, then its penalty and a complaint against it.
async fn the_downloadable_templates_import_as_they_are(backend: Backend) {
    use fangxin_core::imports::Kind;
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    for kind in [Kind::Merchants, Kind::Penalties, Kind::Complaints] {
        let template = kind.template();
        assert!(template.starts_with('\u{feff}'), "Excel reads it as UTF-8");
        let (status, report) = import(&app, &regulator, kind.code(), "text/csv", template).await;
        assert_eq!(status, 200, "{}: {report}", kind.code());
        assert_eq!(
            (report["accepted"].as_bool(), report["created"].as_u64()),
            (Some(true), Some(1)),
            "{}: {report}",
            kind.code()
        );
    }
    app.finish().await;
}

/// The complaint table's indexes, by name.
async fn complaint_indexes(app: &TestApp) -> Vec<String> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = &app.state.db;
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'complaints' ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'complaints' ORDER BY 1"
        }
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect()
}

/// One pass over a file of many batches: the rows are written as they are checked, and a
/// bad row in the last batch takes back every row written before it. A large file is
/// written with the table's secondary indexes made again at the end (SQLite), and a
/// refused one leaves them as they were.
async fn a_bad_last_row_takes_back_a_large_file_and_the_indexes_stay(backend: Backend) {
    use fangxin_core::imports::{Format, ImportContext, Kind, Progress};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let on_sqlite = matches!(backend, Backend::Sqlite);
    let app = TestApp::spawn(backend).await;
    let usccs = app.usccs().await;
    // Two batches and a part before the bad row.
    let batch = batch_rows(&app);
    let n = 2 * batch + 300;
    let indexes = complaint_indexes(&app).await;
    assert!(indexes.len() >= 5, "{indexes:?}");
    let dir = tempfile::tempdir().unwrap();
    let received = (fangxin_core::clock::now() - TimeDelta::days(20)).format("%Y-%m-%dT%H:%M:%SZ");
    let mut good =
        String::from("channel,ticket_no,kind,uscc,merchant_name,received_at,category,text\n");
    for i in 0..n {
        let u = &usccs[i % usccs.len()];
        good.push_str(&format!(
            "12345,LATE-{i},complaint,{u},某店,{received},quality,质量问题 第{i}件\n"
        ));
    }
    let bad = format!(
        "{good}wechat,LATE-X,complaint,{},某店,{received},quality,末行\n",
        usccs[0]
    );
    let ctx = ImportContext {
        // Every file is large enough here.
        defer_indexes_from_rows: 1,
        ..bulk_context(&app)
    };
    let run = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (app, ctx) = (&app, &ctx);
        async move {
            let seen = std::sync::Mutex::new(Vec::new());
            let report = fangxin_core::imports::run(
                &app.state.db,
                Kind::Complaints,
                Format::Csv,
                &path,
                ctx,
                &fangxin_core::audit::Actor::system(),
                fangxin_core::clock::now(),
                &|p| seen.lock().unwrap().push(p),
            )
            .await
            .expect("ran");
            (report, seen.into_inner().unwrap())
        }
    };
    let late = || async {
        fangxin_core::store::entities::complaint::Entity::find()
            .filter(fangxin_core::store::entities::complaint::Column::TicketNo.starts_with("LATE-"))
            .count(&app.state.db)
            .await
            .unwrap()
    };

    let (report, seen) = run("bad.csv", bad).await;
    assert!(!report.accepted, "{report:?}");
    assert_eq!((report.rows, report.invalid_rows), (n as u64 + 1, 1));
    assert_eq!(report.created, 0, "a refused file reports nothing written");
    assert_eq!(report.errors[0].line, n as u64 + 2);
    assert_eq!(report.errors[0].column.as_deref(), Some("channel"));
    assert!(
        seen.iter()
            .any(|p| matches!(p, Progress::Writing { rows } if *rows >= 2 * batch as u64)),
        "rows were written before the bad one was read: {seen:?}"
    );
    assert_eq!(
        late().await,
        0,
        "the rows written before the bad one are gone"
    );
    assert_eq!(complaint_indexes(&app).await, indexes);

    let (report, seen) = run("good.csv", good).await;
    assert!(report.accepted, "{report:?}");
    assert_eq!(report.created, n as u64);
    assert_eq!(late().await, n as u64);
    assert_eq!(
        complaint_indexes(&app).await,
        indexes,
        "every index is back"
    );
    let deferred = seen.contains(&Progress::Indexing);
    assert_eq!(
        deferred, on_sqlite,
        "indexes are deferred on SQLite only: {seen:?}"
    );
    app.finish().await;
}

/// An import that touches most of the district (on PostgreSQL its rescore reads every
/// complaint in one sorted pass) leaves each merchant it touched the score that merchant's
/// facts give alone, and the merchants it skipped their scores.
async fn an_import_of_most_merchants_scores_each_as_alone(backend: Backend) {
    use fangxin_core::store::entities::{merchant, score};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn(backend).await;
    let db = app.state.db.clone();
    let merchants = merchant::Entity::find().all(&db).await.unwrap();
    // Two of every three merchants, so the sorted read also meets the skipped ones' complaints.
    let touched: Vec<&merchant::Model> = merchants.iter().filter(|m| m.id % 3 != 0).collect();
    let skipped: Vec<i64> = merchants
        .iter()
        .map(|m| m.id)
        .filter(|id| id % 3 == 0)
        .collect();
    // The scores of some merchants, in their order.
    let scores_of = |ids: Vec<i64>| {
        let db = db.clone();
        async move {
            let mut scores = score::Entity::find()
                .filter(score::Column::MerchantId.is_in(ids))
                .all(&db)
                .await
                .unwrap();
            scores.sort_by_key(|s| s.merchant_id);
            scores
        }
    };
    let skipped_before = scores_of(skipped.clone()).await;
    // In microseconds, as PostgreSQL keeps a time.
    let now = chrono::SubsecRound::trunc_subsecs(fangxin_core::clock::now(), 6);
    let received = (now - TimeDelta::days(10)).format("%Y-%m-%dT%H:%M:%SZ");
    let mut csv =
        String::from("channel,ticket_no,kind,uscc,merchant_name,received_at,category,text\n");
    for (i, m) in touched.iter().enumerate() {
        for k in 0..(i % 4 + 1) {
            csv.push_str(&format!(
                "12315,MOST-{i}-{k},complaint,{},某店,{received},price,价格不符\n",
                m.uscc
            ));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("most.csv");
    std::fs::write(&path, csv).unwrap();
    let ctx = bulk_context(&app);
    let report = fangxin_core::imports::run(
        &db,
        fangxin_core::imports::Kind::Complaints,
        fangxin_core::imports::Format::Csv,
        &path,
        &ctx,
        &fangxin_core::audit::Actor::system(),
        now,
        &|_| {},
    )
    .await
    .expect("imported");
    assert!(report.accepted, "{report:?}");
    assert_eq!(report.merchants_rescored as usize, touched.len());
    let ids: Vec<i64> = touched.iter().map(|m| m.id).collect();
    let by_import = scores_of(ids.clone()).await;
    assert_eq!(by_import.len(), ids.len());
    assert!(
        by_import.iter().all(|s| s.computed_at == now),
        "every touched merchant rescored by the import"
    );
    let skipped_after = scores_of(skipped).await;
    assert_eq!(skipped_after, skipped_before, "skipped merchants untouched");

    // The same merchants scored alone, each batch's complaints read by its own query.
    let scoring = (*app.state.scoring).clone();
    let baselines = fangxin_core::scores::baselines::refresh(&db, now, &scoring)
        .await
        .unwrap();
    for chunk in ids.chunks(5) {
        fangxin_core::scores::rescore(&db, chunk, &scoring, &baselines, now, false)
            .await
            .unwrap();
    }
    let alone = scores_of(ids.clone()).await;
    assert_eq!(alone.len(), by_import.len());
    for (a, i) in alone.iter().zip(&by_import) {
        assert_eq!(a, i, "merchant {}", a.merchant_id);
    }
    assert!(
        by_import
            .iter()
            .any(|s| s.factors.to_string().contains("complaint")),
        "the imported complaints are weighed"
    );
    app.finish().await;
}

/// Every field of an imported complaint reads back as the file gave it, or as missing where
/// the file left it out: the same rows on each database, whichever way the batch is sent.
async fn an_imported_complaint_keeps_each_field_given_or_missing(backend: Backend) {
    use fangxin_core::store::entities::complaint;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    let (status, report) = import(&app, &regulator, "merchants", "text/csv", merchants_csv()).await;
    assert_eq!(status, 200, "{report}");
    // One "now" for the file and the checks, to the second as the file writes it.
    let now = fangxin_core::clock::now().with_nanosecond(0).unwrap();
    let day = |days: i64| now - TimeDelta::days(days);
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let rows = [
        json!({"channel": "12315", "ticket_no": "FIELDS-1", "kind": "complaint", "uscc": uscc(2),
               "merchant_name": "翠湖眼镜", "received_at": at(day(5)), "accepted_at": at(day(4)),
               "closed_at": at(day(3)), "status": "settled", "category": "quality",
               "amount_involved_yuan": "899.50", "amount_recovered_yuan": "100",
               "satisfaction": "基本满意", "complainant_key": "ck-fields-1",
               "text": "镜片有划痕，要求退货", "punitive_demand": true, "purchase_quantity": 0}),
        json!({"channel": "12345", "ticket_no": "FIELDS-2", "kind": "inquiry",
               "merchant_name": "不存在的店", "received_at": at(day(2)), "text": "咨询营业时间"}),
        json!({"channel": "internet", "ticket_no": "FIELDS-3", "kind": "complaint", "uscc": uscc(1),
               "received_at": at(day(1)), "text": "菜里有异物", "purchase_quantity": 3}),
    ];
    let (status, report) = import_ndjson(&app, &regulator, &rows.iter().collect::<Vec<_>>()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["created"], 3, "{report}");
    let stored = complaint::Entity::find()
        .filter(complaint::Column::TicketNo.starts_with("FIELDS-"))
        .order_by_asc(complaint::Column::TicketNo)
        .all(&app.state.db)
        .await
        .unwrap();
    let [full, bare, quantity] = stored.as_slice() else {
        panic!("three complaints: {stored:?}");
    };

    assert_eq!(
        (
            full.channel.as_str(),
            full.kind.as_str(),
            full.status.as_str()
        ),
        ("12315", "complaint", "settled")
    );
    assert_eq!(full.received_at, day(5));
    assert_eq!(full.accepted_at, Some(day(4)));
    assert_eq!(full.closed_at, Some(day(3)));
    assert!(full.merchant_id.is_some());
    assert_eq!(full.merchant_name, "翠湖眼镜");
    assert_eq!(full.category.as_deref(), Some("quality"));
    assert_eq!(full.industry.as_deref(), Some("零售"));
    assert_eq!(full.street.as_deref(), Some("华山街道"));
    assert_eq!(
        (full.amount_involved_fen, full.amount_recovered_fen),
        (89_950, 10_000)
    );
    assert_eq!(full.satisfaction.as_deref(), Some("basically_satisfied"));
    assert_eq!(full.complainant_key.as_deref(), Some("ck-fields-1"));
    assert_eq!(full.text, "镜片有划痕，要求退货");
    assert!(full.punitive_demand);
    assert_eq!(
        full.purchase_quantity,
        Some(0),
        "a quantity of none is kept"
    );

    assert_eq!(bare.received_at, day(2));
    assert_eq!(bare.status, "received");
    assert_eq!((bare.accepted_at, bare.closed_at), (None, None));
    assert_eq!(bare.merchant_id, None, "no merchant has that name");
    assert_eq!(bare.merchant_name, "不存在的店");
    assert_eq!(
        (&bare.category, &bare.industry, &bare.street),
        (&None, &None, &None)
    );
    assert_eq!(
        (bare.amount_involved_fen, bare.amount_recovered_fen),
        (0, 0)
    );
    assert_eq!((&bare.satisfaction, &bare.complainant_key), (&None, &None));
    assert!(!bare.punitive_demand);
    assert_eq!(bare.purchase_quantity, None);

    assert_eq!(quantity.industry.as_deref(), Some("餐饮"));
    assert_eq!(quantity.merchant_name, "");
    assert_eq!(quantity.purchase_quantity, Some(3));
    app.finish().await;
}

/// A complaint import skips the foreign key's row checks (and locks the merchants itself)
/// only for a role that may turn triggers off: a superuser, or on PostgreSQL 15 and later a
/// role granted the setting; any other role keeps the checks. SQLite keeps them always.
async fn only_a_role_that_may_turns_the_key_checks_off(backend: Backend) {
    use fangxin_core::complaints::may_skip_key_checks;
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
    let app = TestApp::spawn(backend).await;
    let db = &app.state.db;
    if db.get_database_backend() != DbBackend::Postgres {
        assert!(!may_skip_key_checks(db).await.unwrap());
        app.finish().await;
        return;
    }
    assert!(
        may_skip_key_checks(db).await.unwrap(),
        "the tests' role is a superuser"
    );
    // Roles belong to the server, not the test's database: a name of this test's own.
    let version: i32 = db
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_setting('server_version_num')::int4 AS v",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "v")
        .unwrap();
    let role = format!("fx_clerk_{}", std::process::id());
    db.execute_unprepared(&format!("CREATE ROLE {role} NOLOGIN"))
        .await
        .unwrap();
    // What the role may, asked in a transaction that acts as it.
    let may_as_clerk = || async {
        let as_clerk = db.begin().await.unwrap();
        as_clerk
            .execute_unprepared(&format!("SET LOCAL ROLE {role}"))
            .await
            .unwrap();
        let may = may_skip_key_checks(&as_clerk).await.unwrap();
        as_clerk.rollback().await.unwrap();
        may
    };
    assert!(!may_as_clerk().await);
    if version >= 150_000 {
        db.execute_unprepared(&format!(
            "GRANT SET ON PARAMETER session_replication_role TO {role}"
        ))
        .await
        .unwrap();
        assert!(may_as_clerk().await);
        db.execute_unprepared(&format!(
            "REVOKE SET ON PARAMETER session_replication_role FROM {role}"
        ))
        .await
        .unwrap();
    }
    db.execute_unprepared(&format!("DROP ROLE {role}"))
        .await
        .unwrap();
    app.finish().await;
}

crate::on_every_backend!(
    a_regulator_imports_files_once_and_the_portal_follows,
    an_imported_complaint_keeps_each_field_given_or_missing,
    an_import_of_most_merchants_scores_each_as_alone,
    a_file_with_bad_rows_is_rejected_whole_with_every_row_named,
    a_large_complaint_file_imports_in_batches,
    a_known_ticket_among_new_ones_is_updated_and_the_rest_inserted_once,
    a_merchant_a_complaint_file_names_stays_until_the_file_is_in,
    only_a_role_that_may_turns_the_key_checks_off,
    an_excel_gbk_file_imports_with_its_chinese_intact,
    the_downloadable_templates_import_as_they_are,
    a_bad_last_row_takes_back_a_large_file_and_the_indexes_stay,
);
