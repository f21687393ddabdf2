//! The public portal over HTTP: Chinese pages, escaping, errors, the Atom feed. (The
//! browser tests drive the same pages in Chromium.)

use serde_json::json;

use crate::helpers::{Backend, TestApp};

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.get(path).await;
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = r.text().await.unwrap();
    if ct.starts_with("text/html") {
        assert!(
            body.contains("<html lang=\"zh-CN\">"),
            "{path} is a Chinese page"
        );
    }
    (status, body)
}

async fn the_portal_finds_explains_and_escapes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, home) = page(&app, "/").await;
    assert_eq!(status, 200);
    // Hardened pages: no inline script, a policy that forbids it, no framing, no sniffing.
    assert!(!home.contains("<script>"), "no inline script");
    let r = app.get("/").await;
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert!(header("content-security-policy").contains("script-src 'self'"));
    assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "same-origin");
    // What the grades mean, from the model in use.
    let (status, about) = page(&app, "/about/scoring").await;
    assert_eq!(status, 200);
    assert!(
        about.contains("等级的含义") && about.contains("等级不高于 B"),
        "{about}"
    );
    assert!(home.contains("/about/scoring"), "linked from every page");
    let js = app.get("/assets/suggest.js").await;
    assert_eq!(js.status(), 200);
    assert!(
        js.text()
            .await
            .unwrap()
            .contains("/api/v1/merchants/suggest")
    );
    assert!(
        home.contains("name=\"q\"") && home.contains("<label"),
        "a labelled search box"
    );

    // A merchant whose sign name is markup, found by its name and its initials.
    let regulator = app.token_for("regulator", None).await;
    let uscc = fangxin_scoring::Uscc::from_parts('9', '2', "530102", "PT000001")
        .unwrap()
        .to_string();
    let (status, body) = app
        .post_json(
            "/api/v1/admin/merchants",
            Some(&regulator),
            json!({"uscc": uscc, "name": "昆明市五华区<script>alert(1)</script>小吃店", "sign_name": "<script>alert(1)</script>",
                   "kind": "individual", "industry": "餐饮", "street": "华山", "address": "华山南路1号",
                   "established_on": (fangxin_core::clock::today(fangxin_core::clock::now()) - chrono::TimeDelta::days(60)).to_string()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    app.wait_for_search("小吃店", |r| r.hits.iter().any(|h| h.uscc == uscc))
        .await;
    let (status, results) = page(&app, "/?q=%E5%B0%8F%E5%90%83%E5%BA%97").await;
    assert_eq!(status, 200);
    assert!(
        results.contains(&format!("/m/{uscc}")),
        "the result links to the merchant"
    );
    assert!(
        !results.contains("<script>alert(1)</script>"),
        "markup in a name is shown as text"
    );
    let (status, merchant) = page(&app, &format!("/m/{uscc}")).await;
    assert_eq!(status, 200);
    assert!(
        merchant.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            || merchant.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "the name is escaped"
    );
    assert!(!merchant.contains("<script>alert(1)</script>"));
    assert!(merchant.contains("为什么是这个分数"));
    assert!(
        merchant.contains("记录不足"),
        "a new merchant without records is marked"
    );

    // A demo merchant with a penalty explains it.
    let (_, list) = app.get_json("/api/v1/penalties?per_page=1").await;
    let penalised = list["penalties"][0]["uscc"].as_str().unwrap().to_owned();
    let decision = list["penalties"][0]["decision_no"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, merchant) = page(&app, &format!("/m/{penalised}")).await;
    assert_eq!(status, 200);
    assert!(merchant.contains(&decision));
    // Its score's trend: a chart once it has moved, else one sentence, never an empty panel.
    assert!(merchant.contains("信用分走势"));
    assert!(merchant.contains("<svg") || merchant.contains("没有变化"));
    assert!(
        merchant.contains("起</td>") || merchant.contains("仍在计入"),
        "each factor says when it stops counting"
    );

    // Initials find the merchant too.
    let hit = app.search("").await.hits[0].clone();
    let sign = hit.sign_name.clone().unwrap_or(hit.name.clone());
    let initials: String = sign.chars().filter_map(pinyin_initial).collect();
    if initials.len() >= 2 {
        let (_, found) = page(&app, &format!("/?q={initials}")).await;
        assert!(
            found.contains(&format!("/m/{}", hit.uscc)),
            "initials {initials} find {sign}"
        );
    }

    // A question around a name still finds it, and traditional characters are read.
    let bare = app.search(&sign).await;
    let asked = app.search(&format!("{sign}好不好")).await;
    assert_eq!(
        asked.total, bare.total,
        "「{sign}好不好」 finds what {sign} finds"
    );
    assert_eq!(asked.hits[0].uscc, bare.hits[0].uscc);
    let (_, found) = page(
        &app,
        &format!("/?q={}", urlencode(&format!("{sign}怎么样"))),
    )
    .await;
    assert!(found.contains(&format!("/m/{}", bare.hits[0].uscc)));

    // A code with one character mistyped says so, and which registered code was meant.
    let mut typed: Vec<char> = hit.uscc.chars().collect();
    typed[10] = if typed[10] == '3' { '4' } else { '3' };
    let typed: String = typed.into_iter().collect();
    let (status, body) = app
        .get_json(&format!("/api/v1/merchants/search?q={typed}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 0);
    assert_eq!(body["uscc_hint"]["did_you_mean"]["uscc"], hit.uscc.as_str());
    assert_eq!(body["uscc_hint"]["did_you_mean"]["position"], 11);
    let (_, found) = page(&app, &format!("/?q={typed}")).await;
    assert!(found.contains("您要找的是不是"), "{found}");
    assert!(found.contains(&format!("/m/{}", hit.uscc)));

    // Errors are friendly Chinese pages with the right status.
    let (status, body) = page(&app, "/m/12345").await;
    assert_eq!(status, 400);
    assert!(body.contains("信用代码有误"));
    let (status, body) = page(&app, "/m/91350100M000100Y43").await;
    assert_eq!(status, 404);
    assert!(body.contains("没有找到"));
    let (status, body) = page(&app, "/no-such-page").await;
    assert_eq!((status, body.contains("没有这个页面")), (404, true));
    let (status, _) = page(&app, "/?grade=Z&q=x").await;
    assert_eq!(status, 200, "a bad filter is explained on the page");

    // The Atom feed of a merchant's changes.
    let r = app.get(&format!("/m/{penalised}/feed.atom")).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let xml = r.text().await.unwrap();
    assert!(xml.contains("<feed") && xml.contains(&decision));

    for path in ["/penalties", "/warnings", "/spot-checks"] {
        let (status, body) = page(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("下载 CSV"), "{path}");
    }
    app.finish().await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The first letter of a character's pinyin, for the few the test needs.
fn pinyin_initial(c: char) -> Option<char> {
    use pinyin::ToPinyin;
    c.to_pinyin()
        .map(|p| p.first_letter().chars().next().unwrap_or('x'))
}

/// The CSRF token in a page's form.
pub(crate) fn form_token(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token");
    let rest = &page[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Logs in through the portal's form; returns the session cookie (`name=value`).
pub(crate) async fn portal_session(
    app: &TestApp,
    client: &reqwest::Client,
    username: &str,
) -> String {
    let form = client.get(app.url("/login")).send().await.unwrap();
    let csrf_cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("fangxin_csrf="))
        .map(|c| c.split(';').next().unwrap_or("").to_owned())
        .expect("a CSRF cookie");
    let page = form.text().await.unwrap();
    let token = form_token(&page);
    // The bare cookie value (a double submit) is not a token: it is signed by the server.
    let nonce = csrf_cookie.trim_start_matches("fangxin_csrf=");
    let forged = client
        .post(app.url("/login"))
        .header("cookie", &csrf_cookie)
        .form(&[
            ("csrf", nonce),
            ("username", username),
            ("password", "a long enough password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "the nonce alone is refused");
    let done = client
        .post(app.url("/login"))
        .header("cookie", &csrf_cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("username", username),
            ("password", "a long enough password"),
            ("next", "/me"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let session = done
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("fangxin_session="))
        .map(|c| c.split(';').next().unwrap_or("").to_owned())
        .expect("a session cookie");
    format!("{session}; {csrf_cookie}")
}

/// The console is for regulators: a visitor is sent to the login page, an enterprise to
/// its own page, for pages and forms alike.
async fn only_regulators_reach_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let uscc = app.search("").await.hits[0].uscc.clone();
    app.create_account(
        "enterprise",
        "zhou.shop",
        "a long enough password",
        Some(&uscc),
    )
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = portal_session(&app, &client, "zhou.shop").await;
    for path in [
        "/admin",
        "/admin/claimants",
        "/admin/claimants/pc00000",
        "/admin/reports/complaints",
        "/admin/audit",
        "/admin/spot-checks/1",
        "/admin/complaints",
        "/admin/complaints/1",
        "/admin/penalties",
        "/admin/trusted",
        "/admin/listings",
        "/admin/spot-checks",
        "/admin/applications",
        "/admin/warnings",
        "/admin/imports",
    ] {
        let anonymous = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(anonymous.status(), 303, "{path}");
        assert!(
            anonymous.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login")
        );
        let shop = client
            .get(app.url(path))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(shop.status(), 303, "{path}");
        assert_eq!(shop.headers()["location"], "/me", "{path}");
    }
    for path in [
        "/admin/penalties",
        "/admin/warnings",
        "/admin/trusted",
        "/admin/claimants/pc00000/review",
        "/admin/complaints/bulk",
        "/admin/complaints/1/transition",
        "/admin/complaints/1/assignee",
    ] {
        let shop = client
            .post(app.url(path))
            .header("cookie", &cookie)
            .form(&[("csrf", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(shop.status(), 303, "{path}");
        assert_eq!(shop.headers()["location"], "/me", "{path}");
    }
    // The menu's 我的 · 登录 takes someone logged in to their own page, a visitor to the form.
    let mine = client
        .get(app.url("/login"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 303);
    assert_eq!(mine.headers()["location"], "/me");
    let visitor = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(visitor.status(), 200);
    app.finish().await;
}

/// Every page has the icon, a way to log in and the way to file a complaint (12315); the
/// icon answers at `/favicon.ico` too.
async fn every_page_has_the_icon_a_login_and_12315(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/", "/penalties", "/warnings", "/about/scoring"] {
        let (status, body) = page(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains("rel=\"icon\""), "{path} names its icon");
        assert!(
            body.contains("href=\"/login\""),
            "{path} links to the login"
        );
        assert!(
            body.contains("12315") && body.contains("https://www.12315.cn/"),
            "{path} says where to complain"
        );
    }
    for path in ["/favicon.ico", "/assets/favicon.svg"] {
        let r = app.get(path).await;
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], "image/svg+xml");
        assert!(r.text().await.unwrap().starts_with("<svg"));
    }
    app.finish().await;
}

/// A merchant's page offers a card to print for the door, whose QR code leads back to
/// the page (the printed link says where).
async fn a_merchant_card_prints_with_a_code_to_its_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let uscc = app.usccs().await[0].clone();
    let (_, merchant) = page(&app, &format!("/m/{uscc}")).await;
    assert!(merchant.contains(&format!("href=\"/m/{uscc}/card\"")));
    let (status, card) = page(&app, &format!("/m/{uscc}/card")).await;
    assert_eq!(status, 200);
    let link = app.url(&format!("/m/{uscc}"));
    assert!(card.contains(&link), "the code's link is printed: {link}");
    assert!(card.contains("aria-label=\"指向商户页面的二维码\""));
    assert!(
        card.contains("<path") || card.matches("<rect").count() > 20,
        "a drawn code"
    );
    assert!(card.contains("12315") && card.contains("信用等级"));
    assert!(
        card.contains("src=\"/assets/card.js\""),
        "the print button, no inline script"
    );
    let (status, _) = page(&app, "/m/91530102MA0000000X/card").await;
    assert_eq!(status, 400, "a bad code is refused");
    app.finish().await;
}

/// Warnings filter by their category, shown in Chinese, and the filter follows the CSV.
async fn warnings_filter_by_category(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    for (title, category) in [
        ("春节预付卡提示", "prepaid_card"),
        ("旅游购物提示", "tourism"),
        ("节日食品提示", "节日消费"),
    ] {
        let (status, body) = app
            .post_json(
                "/api/v1/admin/warnings",
                Some(&regulator),
                serde_json::json!({"title": title, "body": "请保存好票据。", "category": category}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, all) = page(&app, "/warnings").await;
    assert_eq!(status, 200);
    assert!(all.contains("春节预付卡提示") && all.contains("旅游购物提示"));
    assert!(all.contains("href=\"/warnings?category=tourism\""));
    assert!(!all.contains(">tourism<"), "categories read in Chinese");
    let (_, tourism) = page(&app, "/warnings?category=tourism").await;
    assert!(tourism.contains("旅游购物提示"));
    assert!(!tourism.contains("春节预付卡提示"));
    assert!(
        tourism.contains("format=csv&#38;category=tourism"),
        "{tourism}"
    );
    let (_, by_name) = page(&app, "/warnings?category=节日消费").await;
    assert!(by_name.contains("节日食品提示") && !by_name.contains("旅游购物提示"));
    app.finish().await;
}

/// Every grade a person sees, in results and on a merchant's page, opens what the grades
/// mean; that page has the place it points to. A merchant's page previews itself when shared.
async fn every_grade_links_to_what_grades_mean(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let usccs = app.usccs().await;
    assert!(!usccs.is_empty());
    let (status, results) = page(&app, &format!("/?q={}", usccs[0])).await;
    assert_eq!(status, 200);
    let grades = results.matches("<span class=\"grade grade-").count();
    assert!(grades > 0, "results show grades");
    assert_eq!(
        results
            .matches("<a class=\"grade-link\" href=\"/about/scoring#grades\"")
            .count(),
        grades,
        "each grade in the results is a link"
    );
    let (status, merchant) = page(&app, &format!("/m/{}", usccs[0])).await;
    assert_eq!(status, 200);
    assert!(merchant.contains("<a class=\"grade-link\" href=\"/about/scoring#grades\""));
    let (status, scoring) = page(&app, "/about/scoring").await;
    assert_eq!(status, 200);
    assert!(scoring.contains("<h2 id=\"grades\">等级的含义</h2>"));
    // A shared link previews the shop's name and grade, not the site's slogan.
    let hit = &app.search(&usccs[0]).await.hits[0];
    let shown = hit.sign_name.clone().unwrap_or_else(|| hit.name.clone());
    assert!(
        merchant.contains(&format!(
            "<meta property=\"og:title\" content=\"{shown} · 信用"
        )),
        "og:title names the shop"
    );
    assert!(merchant.contains("<meta property=\"og:description\" content=\""));
    assert!(merchant.contains("信用等级 "));
    assert_eq!(merchant.matches("<meta name=\"description\"").count(), 1);
    app.finish().await;
}

/// The spot-check list filters by outcome, keeps the filter across pages and in its CSV
/// link, and a failure reads as one.
async fn spot_checks_filter_by_outcome(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cards = |body: &str| body.matches("<div class=\"card").count();
    let failures = |body: &str| body.matches("<div class=\"card adverse\"").count();
    let (status, all) = page(&app, "/spot-checks").await;
    assert_eq!(status, 200);
    let (_, failed) = page(&app, "/spot-checks?outcome=unqualified").await;
    let (_, passed) = page(&app, "/spot-checks?outcome=qualified").await;
    assert!(cards(&failed) > 0, "the demo has failures");
    assert_eq!(
        failures(&failed),
        cards(&failed),
        "only failures, each marked"
    );
    assert_eq!(failures(&passed), 0, "no failure among the passes");
    assert!(cards(&passed) > 0);
    assert!(failed.contains("aria-current=\"page\">不合格"));
    assert!(
        failed.contains("outcome=unqualified\">下载 CSV"),
        "the CSV keeps the filter"
    );
    assert!(
        failures(&all) > 0 || cards(&all) == 20,
        "failures show on the full list"
    );
    // An unknown outcome shows the whole list rather than an error.
    let (status, _) = page(&app, "/spot-checks?outcome=maybe").await;
    assert_eq!(status, 200);
    app.finish().await;
}

/// "近12个月" is one window: the merchant page's count, the API's statistics and the sum of
/// the monthly chart beside them agree, whatever day in the month it is (this month and the
/// 11 before it, from the first day's midnight in the district's time).
async fn the_last_12_months_count_is_the_sum_of_its_chart(backend: Backend) {
    use fangxin_core::clock::{local, month_start, now, today};
    let app = TestApp::spawn(backend).await;
    let regulator = app.token_for("regulator", None).await;
    let shop = app.search("").await.hits[3].clone();
    let now = now();
    let today = today(now);
    // Half past midnight, or earlier today if the district's day is younger than that:
    // a complaint cannot be received in the future.
    let half_past = chrono::NaiveTime::from_hms_opt(0, 30, 0).unwrap();
    let at = |day: chrono::NaiveDate| {
        let time = if day == today {
            local(now).time().min(half_past)
        } else {
            half_past
        };
        format!("{day} {}", time.format("%H:%M:%S"))
    };
    let first = month_start(today, 11);
    // Either side of the window's first day, and inside it.
    let days = [
        first - chrono::TimeDelta::days(1),
        first,
        first + chrono::TimeDelta::days(20),
        today - chrono::TimeDelta::days(40),
        today,
    ];
    for (i, day) in days.iter().enumerate() {
        let (status, body) = app
            .post_json(
                "/api/v1/admin/complaints",
                Some(&regulator),
                json!({"channel": "12345", "ticket_no": format!("WIN-{i}"), "kind": "complaint",
                       "uscc": shop.uscc, "merchant_name": shop.name,
                       "received_at": at(*day), "category": "price",
                       "text": "标价与结算价不符"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (_, stats) = app
        .get_json(&format!("/api/v1/merchants/{}/complaint-stats", shop.uscc))
        .await;
    let counted = stats["last_12_months"].as_u64().unwrap();
    let (status, body) = page(&app, &format!("/m/{}", shop.uscc)).await;
    assert_eq!(status, 200);
    let caption = body
        .split("每月投诉举报件数：")
        .nth(1)
        .and_then(|rest| rest.split("</figcaption>").next())
        .expect("the chart's caption");
    let charted: u64 = caption
        .split('，')
        .filter_map(|month| month.trim().trim_end_matches(" 件").rsplit(' ').next())
        .map(|n| n.parse::<u64>().unwrap())
        .sum();
    assert_eq!(counted, charted, "{caption}");
    assert!(counted >= 4, "the four inside the window count: {stats}");
    assert!(
        body.contains(&format!("{counted} 件</td>")),
        "the page's table says the same"
    );
    app.finish().await;
}

/// The penalty list filters by category, in step with the API's count, keeps the filter
/// in its pages and CSV link, and each decision opens its facts and legal basis.
async fn penalties_filter_by_category_and_open_their_facts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, fines) = app.get_json("/api/v1/penalties?category=fine").await;
    let fined = fines["total"].as_u64().unwrap();
    assert!(fined > 0, "the demo has fines");
    let (status, body) = page(&app, "/penalties?category=fine").await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!("共 {fined} 条")),
        "the count is the API's"
    );
    assert!(body.contains("aria-current=\"page\">罚款"));
    assert!(
        body.contains("category=fine\">下载 CSV"),
        "the CSV keeps the filter"
    );
    if fined > 20 {
        assert!(
            body.contains("/penalties?category=fine&amp;after="),
            "pages keep it too"
        );
    }
    assert!(body.contains("<summary>违法事实与处罚依据</summary>"));
    let first = &fines["penalties"][0];
    assert!(body.contains(first["legal_basis"].as_str().unwrap()));
    // Chinese in the address works as the code does; an unknown category shows all.
    let (_, by_name) = page(&app, "/penalties?category=%E7%BD%9A%E6%AC%BE").await;
    assert!(by_name.contains(&format!("共 {fined} 条")));
    let (_, all) = app.get_json("/api/v1/penalties").await;
    let (status, unknown) = page(&app, "/penalties?category=nonsense").await;
    assert_eq!(status, 200);
    assert!(unknown.contains(&format!("共 {} 条", all["total"])));
    assert!(unknown.contains("aria-current=\"page\">全部"));
    app.finish().await;
}

/// A refused warning keeps what the clerk typed, with the problem beside its field.
async fn a_refused_warning_keeps_what_was_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_account("regulator", "li.clerk", "a long enough password", None)
        .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = portal_session(&app, &client, "li.clerk").await;
    let admin = client
        .get(app.url("/admin"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = form_token(&admin);
    let title = "谨".repeat(201);
    let body = "节日期间预付卡消费请保存好票据，遇到纠纷拨打12315。";
    let refused = client
        .post(app.url("/admin/warnings"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("title", title.as_str()),
            ("category", "节日消费"),
            ("body", body),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 200);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("id=\"title-error\""),
        "the problem is beside the title"
    );
    assert!(page.contains("标题应为 1 至 200 个字"));
    assert!(page.contains(body), "the text is kept");
    assert!(page.contains("value=\"节日消费\""), "the category is kept");
    assert!(page.contains(&title), "the title is kept to be shortened");
    app.finish().await;
}

crate::on_every_backend!(
    warnings_filter_by_category,
    a_merchant_card_prints_with_a_code_to_its_page,
    a_refused_warning_keeps_what_was_typed,
    spot_checks_filter_by_outcome,
    every_page_has_the_icon_a_login_and_12315,
    every_grade_links_to_what_grades_mean,
    penalties_filter_by_category_and_open_their_facts,
    the_last_12_months_count_is_the_sum_of_its_chart,
    the_portal_finds_explains_and_escapes,
    only_regulators_reach_the_console,
);
