//! The clerk's console as a clerk uses it, page by page over HTTP: the complaint queues, a
//! complaint handled to settlement with its reasons kept, a rejection that needs a reason,
//! moves for a selection, and a complaint matched to its merchant by name.

use serde_json::json;

use crate::helpers::{Backend, TestApp};
use crate::portal::{form_token, portal_session};

/// A logged-in clerk's browser without a browser: pages read, forms posted.
struct Clerk<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookie: String,
}

impl Clerk<'_> {
    async fn page(&self, path: &str) -> String {
        let r = self
            .client
            .get(self.app.url(path))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.text().await.unwrap()
    }

    /// Posts a form with the token of `from`; returns the status and the page or the
    /// place it sends the clerk to.
    async fn post(&self, from: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let token = form_token(&self.page(from).await);
        let mut form = vec![("csrf", token.as_str())];
        form.extend_from_slice(fields);
        let r = self
            .client
            .post(self.app.url(path))
            .header("cookie", &self.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        if status == 303 {
            let to = r.headers()["location"].to_str().unwrap().to_owned();
            return (status, to);
        }
        (status, r.text().await.unwrap())
    }

    /// Posts a `multipart/form-data` form with files (name, bytes) as `evidence`.
    async fn post_files(
        &self,
        from: &str,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> (u16, String) {
        let token = form_token(&self.page(from).await);
        let mut form = reqwest::multipart::Form::new().text("csrf", token);
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (name, bytes) in files {
            form = form.part(
                "evidence",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
            );
        }
        let r = self
            .client
            .post(self.app.url(path))
            .header("cookie", &self.cookie)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        if status == 303 {
            return (status, r.headers()["location"].to_str().unwrap().to_owned());
        }
        (status, r.text().await.unwrap())
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.app.url(path))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }
}

/// Logs `username` in through the portal.
async fn logged_in<'a>(app: &'a TestApp, username: &str) -> Clerk<'a> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = portal_session(app, &client, username).await;
    Clerk {
        app,
        client,
        cookie,
    }
}

async fn a_clerk_handles_complaints_in_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hits = app.search("").await.hits;
    let target = hits[0].clone();
    app.create_account("regulator", "li.clerk", "a long enough password", None)
        .await;
    let regulator = app.token_for("regulator", None).await;
    let received = (fangxin_core::clock::now() - chrono::TimeDelta::minutes(5)).to_rfc3339();
    let mut ids = vec![];
    for (ticket, uscc, name) in [
        ("DESK-1", Some(target.uscc.as_str()), target.name.clone()),
        ("DESK-2", Some(target.uscc.as_str()), target.name.clone()),
        ("DESK-3", None, format!("{}（投诉人所写）", target.name)),
    ] {
        let (status, body) = app
            .post_json(
                "/api/v1/admin/complaints",
                Some(&regulator),
                json!({
                    "channel": "12315",
                    "ticket_no": ticket,
                    "kind": "complaint",
                    "uscc": uscc,
                    "merchant_name": name,
                    "received_at": received,
                    "amount_involved_yuan": "88.50",
                    "text": "买到的商品与宣传不符，要求退款。",
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["complaint"]["id"].as_i64().unwrap().to_string());
    }
    let (one, two, three) = (&ids[0], &ids[1], &ids[2]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = portal_session(&app, &client, "li.clerk").await;
    let clerk = Clerk {
        app: &app,
        client,
        cookie,
    };
    let status_of = |id: String| {
        let (app, regulator) = (&app, &regulator);
        async move {
            let (_, c) = app
                .get_json_as(&format!("/api/v1/admin/complaints/{id}"), regulator)
                .await;
            c
        }
    };

    // The workbench says what waits and links each queue; every section is in the menu.
    let desk = clerk.page("/admin").await;
    for link in [
        "/admin/complaints?queue=new",
        "/admin/complaints?queue=mine",
        "/admin/complaints?queue=overdue",
        "/admin/complaints?queue=unmatched",
    ] {
        assert!(desk.contains(link), "{link}");
    }
    for section in [
        "工作台",
        "投诉",
        "处罚",
        "放心消费",
        "抽检",
        "名录",
        "申请",
        "职业索赔",
        "报告",
        "日志",
    ] {
        assert!(desk.contains(&format!(">{section}</a>")), "{section}");
    }
    assert!(desk.contains("href=\"/admin\" aria-current=\"page\""));

    // The new queue lists them, newest first, each a link to its page.
    let queue = clerk.page("/admin/complaints?queue=new").await;
    for id in [one, two, three] {
        assert!(queue.contains(&format!("href=\"/admin/complaints/{id}\"")));
    }
    assert!(queue.contains("href=\"/admin/complaints\" aria-current=\"page\""));

    // A rejection of a selection without a reason is refused before anything changes.
    let (status, page) = clerk
        .post(
            "/admin/complaints?queue=new",
            "/admin/complaints/bulk",
            &[
                ("ids", one),
                ("ids", two),
                ("action", "rejected"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("须写明理由"), "{page}");
    assert_eq!(status_of(one.clone()).await["status"], "received");

    // Taking both at once puts them on the clerk's own queue.
    let (status, page) = clerk
        .post(
            "/admin/complaints?queue=new",
            "/admin/complaints/bulk",
            &[("ids", one), ("ids", two), ("action", "assign_me")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page.matches("已由我承办").count(), 2, "{page}");
    let mine = clerk.page("/admin/complaints?queue=mine").await;
    assert!(mine.contains(&format!("href=\"/admin/complaints/{one}\"")));
    assert!(mine.contains(&format!("href=\"/admin/complaints/{two}\"")));
    assert!(!mine.contains(&format!("href=\"/admin/complaints/{three}\"")));

    // On its page: accepted, mediated, settled.
    let page_of = |id: &str| format!("/admin/complaints/{id}");
    let move_of = |id: &str| format!("/admin/complaints/{id}/transition");
    for to in ["accepted", "mediating"] {
        let (status, location) = clerk
            .post(&page_of(one), &move_of(one), &[("to", to), ("note", "")])
            .await;
        assert_eq!(status, 303, "{to}: {location}");
        assert_eq!(location, format!("/admin/complaints/{one}?done=moved"));
    }
    // A bad amount comes back beside its field, with everything typed kept.
    let (status, page) = clerk
        .post(
            &page_of(one),
            &move_of(one),
            &[
                ("to", "settled"),
                ("note", "商家退款并道歉"),
                ("amount_recovered_yuan", "八十"),
                ("satisfaction", "satisfied"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"move-recovered-error\""), "{page}");
    assert!(
        page.contains(">商家退款并道歉</textarea>"),
        "the note is kept"
    );
    assert!(page.contains("value=\"八十\""), "the amount is kept");
    assert!(
        page.contains("value=\"settled\" required checked"),
        "the move is kept"
    );
    let (status, _) = clerk
        .post(
            &page_of(one),
            &move_of(one),
            &[
                ("to", "settled"),
                ("note", "商家退款并道歉"),
                ("amount_recovered_yuan", "88.50"),
                ("satisfaction", "satisfied"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let settled = status_of(one.clone()).await;
    assert_eq!(settled["status"], "settled");
    assert_eq!(settled["amount_recovered_fen"], 8850);
    assert_eq!(settled["satisfaction"], "satisfied");
    // The page tells the story: who did what, when, and why.
    let story = clerk.page(&page_of(one)).await;
    for line in [
        "调解成功",
        "商家退款并道歉",
        "分派承办人",
        "投诉举报：已受理",
        "li.clerk（监管人员）",
        "¥88.50",
        "转为立案调查",
    ] {
        assert!(story.contains(line), "{line}");
    }

    // Rejecting needs a reason: the problem is beside the reason box.
    let (status, page) = clerk
        .post(
            &page_of(two),
            &move_of(two),
            &[("to", "rejected"), ("note", " ")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"move-note-error\""), "{page}");
    let (status, _) = clerk
        .post(
            &page_of(two),
            &move_of(two),
            &[("to", "rejected"), ("note", "不属于市场监管部门职责范围")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(status_of(two.clone()).await["status"], "rejected");
    let (_, history) = app
        .get_json_as(
            &format!(
                "/api/v1/admin/audit-log?entity=complaint&entity_id={two}&action=complaint.rejected"
            ),
            &regulator,
        )
        .await;
    assert_eq!(
        history["entries"][0]["note"], "不属于市场监管部门职责范围",
        "the reason is in the audit log"
    );

    // A complaint that came with a name only: the page offers merchants by name, and by
    // code when the clerk types one; one press matches it.
    let unmatched = clerk.page("/admin/complaints?queue=unmatched").await;
    assert!(unmatched.contains(&format!("href=\"/admin/complaints/{three}\"")));
    let offered = clerk.page(&page_of(three)).await;
    assert!(
        offered.contains("匹配到这家"),
        "candidates by the name sent"
    );
    let found = clerk
        .page(&format!("{}?find={}", page_of(three), target.uscc))
        .await;
    assert!(found.contains(&format!("name=\"uscc\" value=\"{}\"", target.uscc)));
    // A wrong code comes back in Chinese beside the box.
    let (status, page) = clerk
        .post(
            &page_of(three),
            &format!("/admin/complaints/{three}/merchant"),
            &[("uscc", "91530102MA0000000X")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("统一社会信用代码有误"), "{page}");
    let (status, location) = clerk
        .post(
            &page_of(three),
            &format!("/admin/complaints/{three}/merchant"),
            &[("uscc", target.uscc.as_str())],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("/admin/complaints/{three}?done=matched"));
    assert_eq!(
        status_of(three.clone()).await["merchant"]["uscc"],
        target.uscc
    );
    app.finish().await;
}

/// A refused form of the programmes keeps what was typed, with the problem beside its field.
async fn refused_programme_forms_keep_what_was_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_account("regulator", "qian.desk", "a long enough password", None)
        .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = portal_session(&app, &client, "qian.desk").await;
    let clerk = Clerk {
        app: &app,
        client,
        cookie,
    };
    let (status, page) = clerk
        .post(
            "/admin/listings",
            "/admin/listings",
            &[
                ("uscc", "91530102MA0000000X"),
                ("kind", "serious_violation"),
                ("reason", "提供虚假材料骗取登记"),
                ("authority", "五华区市场监督管理局"),
                ("listed_on", "2026-11-30"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"l-uscc-error\""), "{page}");
    assert!(page.contains("value=\"提供虚假材料骗取登记\""));
    assert!(page.contains("value=\"五华区市场监督管理局\""));
    assert!(page.contains("value=\"serious_violation\" selected"));
    assert!(page.contains("value=\"2026-11-30\""));

    let (status, page) = clerk
        .post(
            "/admin/spot-checks",
            "/admin/spot-checks",
            &[
                ("title", "冬季食品抽检"),
                ("streets", "华山街道"),
                ("grades", "C"),
                ("sample_size", "十户"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"s-size-error\""), "{page}");
    assert!(page.contains("value=\"冬季食品抽检\""));
    assert!(page.contains("value=\"C\" checked"));
    assert!(!page.contains("value=\"A\" checked"));
    app.finish().await;
}

/// The owner's page holds the whole record; an objection carries its evidence, which only
/// the owner and the bureau can open; the clerk's reason comes back to the owner.
async fn an_owner_objects_with_evidence_and_reads_the_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let usccs = app.usccs().await;
    let regulator = app.token_for("regulator", None).await;
    let today = fangxin_core::clock::today(fangxin_core::clock::now());
    // The first merchant the demo has not listed already (search order is not fixed).
    let mut listed = None;
    for (i, candidate) in usccs.iter().enumerate() {
        let (status, listing) = app
            .post_json(
                "/api/v1/admin/listings",
                Some(&regulator),
                json!({"uscc": candidate, "kind": "abnormal", "reason": "未按规定期限公示年度报告",
                       "authority": "昆明市五华区市场监督管理局", "listed_on": today.to_string()}),
            )
            .await;
        if status == 409 && listing["code"] == "already_listed" {
            continue;
        }
        assert_eq!(status, 201, "{listing}");
        listed = Some((i, listing));
        break;
    }
    let (i, listing) = listed.expect("a merchant the demo has not listed");
    let uscc = usccs[i].clone();
    let other = usccs[(i + 1) % usccs.len()].clone();
    let listing_id = listing["id"].as_i64().unwrap().to_string();
    app.create_account(
        "enterprise",
        "zhou.shop",
        "a long enough password",
        Some(&uscc),
    )
    .await;
    app.create_account(
        "enterprise",
        "wu.shop",
        "a long enough password",
        Some(&other),
    )
    .await;
    app.create_account("regulator", "he.clerk", "a long enough password", None)
        .await;
    let owner = logged_in(&app, "zhou.shop").await;
    let me = owner.page("/me").await;
    for part in [
        "为什么是这个分数",
        "放心消费",
        "经营异常名录",
        "未按规定期限公示年度报告",
        "抽检结果",
    ] {
        assert!(me.contains(part), "{part}");
    }
    let key = format!("objection-listing-{listing_id}");
    assert!(
        me.contains(&format!("id=\"{key}\"")),
        "an objection form per listing"
    );

    // A page of HTML named like a photograph is refused beside the file box, and the
    // reason typed is kept.
    let fields = [
        ("record_kind", "listing"),
        ("record_id", listing_id.as_str()),
        ("reason", "年度报告已于期限内公示，附公示截图"),
    ];
    let (status, page) = owner
        .post_files(
            "/me",
            "/me/objections",
            &fields,
            &[("截图.jpg", b"<html><script>alert(1)</script>")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("id=\"{key}-files-error\"")),
        "{page}"
    );
    assert!(page.contains("只能是 JPG、PNG 照片或 PDF"));
    assert!(page.contains(">年度报告已于期限内公示，附公示截图</textarea>"));
    assert!(page.contains("<details open><summary>对这条记录有异议"));

    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let (status, location) = owner
        .post_files("/me", "/me/objections", &fields, &[("公示截图.png", png)])
        .await;
    assert_eq!(status, 303, "{location}");
    assert_eq!(location, "/me?done=objection");
    let me = owner.page("/me").await;
    let at = me.find("/me/attachments/").expect("the evidence is listed");
    let id: String = me[at + "/me/attachments/".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert!(me.contains("公示截图.png"));
    let file = owner.get(&format!("/me/attachments/{id}")).await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;"),
        "sent as a download, never shown inline"
    );
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");
    assert_eq!(file.bytes().await.unwrap().as_ref(), png);
    // Another shop cannot open it, nor can a visitor.
    let stranger = logged_in(&app, "wu.shop").await;
    assert_eq!(
        stranger
            .get(&format!("/me/attachments/{id}"))
            .await
            .status(),
        404
    );
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(&format!("/admin/attachments/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303, "to the login");

    // The clerk sees the evidence with the objection and decides with a reason.
    let clerk = logged_in(&app, "he.clerk").await;
    let queue = clerk.page("/admin/applications").await;
    assert!(queue.contains(&format!("/admin/attachments/{id}")));
    assert_eq!(
        clerk
            .get(&format!("/admin/attachments/{id}"))
            .await
            .status(),
        200
    );
    let action = {
        let at = queue.find("action=\"/admin/objections/").unwrap();
        let rest = &queue[at + "action=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    };
    let (status, _) = clerk
        .post(
            "/admin/applications",
            &action,
            &[("decision", "rejected"), ("reason", "公示截图日期晚于期限")],
        )
        .await;
    assert_eq!(status, 303);
    let me = owner.page("/me").await;
    assert!(me.contains("未同意"), "{me}");
    assert!(me.contains("监管部门的理由：公示截图日期晚于期限"));
    app.finish().await;
}

crate::on_every_backend!(
    an_owner_objects_with_evidence_and_reads_the_reason,
    a_clerk_handles_complaints_in_the_console,
    refused_programme_forms_keep_what_was_typed,
);
