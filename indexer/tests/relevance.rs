//! Relevance: the shop a consumer means is in the top three. A fixture of a few hundred
//! merchants with realistic names (targets plus look-alike distractors), queried by sign
//! name, part of it, full pinyin, initials, typos, USCC, street and industry.

use fangxin_indexer::{CommitPayload, MerchantDoc, MerchantIndex, SearchRequest};
use fangxin_scoring::Uscc;

struct Target {
    sign: &'static str,
    name: &'static str,
    former: &'static [&'static str],
    street: &'static str,
    industry: &'static str,
    address: &'static str,
}

const TARGETS: &[Target] = &[
    Target {
        sign: "老滇味过桥米线",
        name: "昆明市五华区老滇味餐饮店",
        former: &[],
        street: "华山街道",
        industry: "餐饮",
        address: "昆明市五华区华山南路12号",
    },
    Target {
        sign: "建新园",
        name: "昆明建新园餐饮有限公司",
        former: &[],
        street: "护国街道",
        industry: "餐饮",
        address: "昆明市五华区宝善街1号",
    },
    Target {
        sign: "福照楼汽锅鸡",
        name: "云南福照楼餐饮管理有限公司",
        former: &[],
        street: "大观街道",
        industry: "餐饮",
        address: "昆明市五华区大观路80号",
    },
    Target {
        sign: "春城便利店",
        name: "昆明市五华区春城商行",
        former: &[],
        street: "龙翔街道",
        industry: "零售",
        address: "昆明市五华区文林街3号",
    },
    Target {
        sign: "翠湖宾馆",
        name: "云南翠湖宾馆有限公司",
        former: &[],
        street: "华山街道",
        industry: "住宿",
        address: "昆明市五华区翠湖南路6号",
    },
    Target {
        sign: "丽人美发",
        name: "昆明市五华区丽人美发店",
        former: &[],
        street: "红云街道",
        industry: "美容美发",
        address: "昆明市五华区红云路21号",
    },
    Target {
        sign: "金鼎大药房",
        name: "云南金鼎医药有限公司",
        former: &[],
        street: "丰宁街道",
        industry: "药店",
        address: "昆明市五华区金鼎山北路5号",
    },
    Target {
        sign: "彩云之南旅行社",
        name: "云南彩云之南国际旅行社有限公司",
        former: &[],
        street: "护国街道",
        industry: "旅行社",
        address: "昆明市五华区东风西路9号",
    },
    Target {
        sign: "顺达汽修",
        name: "昆明市五华区顺达汽车修理部",
        former: &[],
        street: "黑林铺街道",
        industry: "汽车销售维修",
        address: "昆明市五华区昆武路66号",
    },
    Target {
        sign: "阿诗玛民族服饰",
        name: "昆明市五华区阿诗玛服装店",
        former: &[],
        street: "大观街道",
        industry: "服装鞋帽",
        address: "昆明市五华区篆塘路2号",
    },
    Target {
        sign: "红嘴鸥健身",
        name: "昆明红嘴鸥体育文化有限公司",
        former: &[],
        street: "莲华街道",
        industry: "健身",
        address: "昆明市五华区北京路300号",
    },
    Target {
        sign: "篆塘农贸市场",
        name: "昆明篆塘市场管理有限公司",
        former: &[],
        street: "大观街道",
        industry: "农贸市场",
        address: "昆明市五华区篆塘路18号",
    },
    Target {
        sign: "同心数码",
        name: "昆明市五华区同心通讯器材经营部",
        former: &[],
        street: "龙翔街道",
        industry: "手机通讯",
        address: "昆明市五华区一二一大街40号",
    },
    Target {
        sign: "七彩童装",
        name: "昆明市五华区七彩服装店",
        former: &[],
        street: "普吉街道",
        industry: "服装鞋帽",
        address: "昆明市五华区普吉路7号",
    },
    Target {
        sign: "滇池私房菜",
        name: "昆明市五华区滇池餐饮店",
        former: &[],
        street: "西翥街道",
        industry: "餐饮",
        address: "昆明市五华区沙朗路11号",
    },
    Target {
        sign: "学府英语",
        name: "昆明学府教育咨询有限公司",
        former: &[],
        street: "龙翔街道",
        industry: "教育培训",
        address: "昆明市五华区学府路15号",
    },
    Target {
        sign: "绿园超市",
        name: "昆明绿园商贸有限公司",
        former: &[],
        street: "莲华街道",
        industry: "零售",
        address: "昆明市五华区圆通北路8号",
    },
    Target {
        sign: "宏发丰田4S店",
        name: "云南宏发汽车销售服务有限公司",
        former: &[],
        street: "红云街道",
        industry: "汽车销售维修",
        address: "昆明市五华区二环西路500号",
    },
    Target {
        sign: "正义坊烧烤",
        name: "昆明市五华区正义坊餐饮店",
        former: &["昆明市五华区老街烧烤店"],
        street: "护国街道",
        industry: "餐饮",
        address: "昆明市五华区正义路20号",
    },
    Target {
        sign: "傣家菌子火锅",
        name: "昆明傣家餐饮管理有限公司",
        former: &[],
        street: "丰宁街道",
        industry: "餐饮",
        address: "昆明市五华区高新路9号",
    },
];

/// Look-alikes and filler: same industries and streets, some sharing a word with a target.
const DISTRACTOR_PREFIXES: &[&str] = &[
    "万家",
    "百姓",
    "鑫源",
    "佳佳",
    "美丽",
    "时尚",
    "阳光",
    "新时代",
    "乡里人",
    "悦来",
    "好运来",
    "宏图",
    "永昌",
    "瑞丰",
    "嘉禾",
    "天润",
    "博远",
    "信诚",
    "安泰",
    "聚福",
];
const DISTRACTOR_SHOPS: &[(&str, &str, &str)] = &[
    ("米线", "餐饮", "餐饮店"),
    ("饭店", "餐饮", "餐饮店"),
    ("火锅", "餐饮", "餐饮店"),
    ("超市", "零售", "商行"),
    ("便利店", "零售", "商行"),
    ("美发", "美容美发", "美发店"),
    ("大药房", "药店", "药店"),
    ("汽修", "汽车销售维修", "汽车修理部"),
    ("服饰", "服装鞋帽", "服装店"),
    ("数码", "手机通讯", "通讯器材经营部"),
    ("宾馆", "住宿", "旅社"),
    ("旅行社", "旅行社", "旅游服务部"),
];
const NEAR_DUPLICATES: &[(&str, &str)] = &[
    ("老滇味超市", "昆明市五华区老滇味商行"),
    ("建新便利店", "昆明市五华区建新商行"),
    ("翠湖米线", "昆明市五华区翠湖餐饮店"),
    ("丽华美发", "昆明市五华区丽华美发店"),
    ("金鼎米线", "昆明市五华区金鼎餐饮店"),
    ("春城汽修", "昆明市五华区春城汽车修理部"),
    ("彩云米线", "昆明市五华区彩云餐饮店"),
    ("同心火锅", "昆明市五华区同心餐饮店"),
];
const STREETS: &[&str] = &[
    "华山街道",
    "护国街道",
    "大观街道",
    "龙翔街道",
    "丰宁街道",
    "莲华街道",
    "红云街道",
    "黑林铺街道",
    "普吉街道",
    "西翥街道",
];

fn uscc(n: u32) -> String {
    Uscc::from_parts('9', '2', "530102", &format!("MD{n:06}"))
        .unwrap()
        .to_string()
}

fn doc(
    n: u32,
    sign: &str,
    name: &str,
    former: &[&str],
    street: &str,
    industry: &str,
    address: &str,
) -> MerchantDoc {
    MerchantDoc {
        uscc: uscc(n),
        name: name.into(),
        sign_name: Some(sign.into()),
        former_names: former.iter().map(|s| s.to_string()).collect(),
        street: street.into(),
        industry: industry.into(),
        address: address.into(),
        status: "operating".into(),
        // Scores differ so a test can tell that trust does not change relevance.
        score: Some(60 + (n % 40) as i32),
        grade: Some(if n % 40 >= 25 { "A" } else { "B" }.into()),
        trusted: n.is_multiple_of(7),
    }
}

fn fixture() -> MerchantIndex {
    let idx = MerchantIndex::in_memory().unwrap();
    for (i, t) in TARGETS.iter().enumerate() {
        idx.upsert(&doc(
            i as u32, t.sign, t.name, t.former, t.street, t.industry, t.address,
        ))
        .unwrap();
    }
    let mut n = 100;
    for (i, (sign, name)) in NEAR_DUPLICATES.iter().enumerate() {
        idx.upsert(&doc(
            n,
            sign,
            name,
            &[],
            STREETS[i % STREETS.len()],
            "零售",
            "昆明市五华区某路1号",
        ))
        .unwrap();
        n += 1;
    }
    for (p, prefix) in DISTRACTOR_PREFIXES.iter().enumerate() {
        for (s, (shop, industry, form)) in DISTRACTOR_SHOPS.iter().enumerate() {
            let street = STREETS[(p + s) % STREETS.len()];
            idx.upsert(&doc(
                n,
                &format!("{prefix}{shop}"),
                &format!("昆明市五华区{prefix}{form}"),
                &[],
                street,
                industry,
                &format!("昆明市五华区人民西路{}号", n),
            ))
            .unwrap();
            n += 1;
        }
    }
    idx.commit(CommitPayload { cursor: 1 }).unwrap();
    assert!(idx.num_docs() > 250);
    idx
}

fn rank_of(idx: &MerchantIndex, req: &SearchRequest, target: usize) -> Option<usize> {
    let results = idx.search(req).unwrap();
    let want = uscc(target as u32);
    results.hits.iter().position(|h| h.doc.uscc == want)
}

/// (query, target index)
const CASES: &[(&str, usize)] = &[
    // Sign names, whole.
    ("老滇味过桥米线", 0),
    ("建新园", 1),
    ("福照楼汽锅鸡", 2),
    ("翠湖宾馆", 4),
    ("阿诗玛民族服饰", 9),
    // Part of a sign or legal name.
    ("滇味", 0),
    ("过桥米线", 0),
    ("福照楼", 2),
    ("汽锅鸡", 2),
    ("福照楼餐饮", 2),
    ("彩云之南", 7),
    ("红嘴鸥", 10),
    ("篆塘", 11),
    ("菌子火锅", 19),
    // Full pinyin, whole or from a later syllable.
    ("laodianwei", 0),
    ("jianxinyuan", 1),
    ("fuzhaolou", 2),
    ("chunchengbianlidian", 3),
    ("cuihubinguan", 4),
    ("dianwei", 0),
    ("zhaolou", 2),
    ("lvyuan", 16),
    ("hongfa", 17),
    // Initials.
    ("ldw", 0),
    ("jxy", 1),
    ("fzl", 2),
    ("ccbld", 3),
    ("lrmf", 5),
    ("jddyf", 6),
    ("hzo", 10),
    // Typos in pinyin.
    ("laodianwie", 0),
    ("jianxinyaun", 1),
    ("fuzaolou", 2),
    ("cuihubingaun", 4),
    ("ashimaminzu", 9),
    // Search as you type.
    ("laodi", 0),
    ("jianx", 1),
    ("金鼎大", 6),
    // Several words, Latin letters, former names, addresses.
    ("老滇味 米线", 0),
    ("五华区 丽人", 5),
    ("4S", 17),
    ("丰田", 17),
    ("老街烧烤", 18),
    ("学府路", 15),
];

#[test]
fn the_intended_merchant_is_in_the_top_three() {
    let idx = fixture();
    let mut failures = Vec::new();
    for (q, target) in CASES {
        match rank_of(&idx, &SearchRequest::query(q), *target) {
            Some(r) if r < 3 => {}
            other => failures.push(format!("{q:?} → {} at {other:?}", TARGETS[*target].sign)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} queries missed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
    assert!(CASES.len() >= 40);
}

#[test]
fn a_uscc_is_an_exact_lookup_in_any_case() {
    let idx = fixture();
    for target in [0usize, 6, 12, 19] {
        let code = uscc(target as u32);
        for q in [
            code.clone(),
            code.to_lowercase(),
            format!("  {code} "),
            format!("{} {}", &code[..9], &code[9..]),
        ] {
            let r = idx.search(&SearchRequest::query(&q)).unwrap();
            assert_eq!(r.total, 1, "{q}");
            assert_eq!(r.hits[0].doc.uscc, code);
        }
    }
}

#[test]
fn filters_narrow_by_street_and_industry() {
    let idx = fixture();
    let mut req = SearchRequest::query("米线");
    req.street = Some("华山街道".into());
    assert!(rank_of(&idx, &req, 0).is_some_and(|r| r < 3));
    let r = idx.search(&req).unwrap();
    assert!(r.hits.iter().all(|h| h.doc.street == "华山街道"));

    let mut req = SearchRequest::query("滇池");
    req.industry = Some("餐饮".into());
    assert!(rank_of(&idx, &req, 14).is_some_and(|r| r < 3));

    // A filter without a query lists that street.
    let mut req = SearchRequest::query("");
    req.street = Some("西翥街道".into());
    req.per_page = 100;
    let r = idx.search(&req).unwrap();
    assert!(r.total > 0 && r.hits.iter().all(|h| h.doc.street == "西翥街道"));
    let facets = r.facets.unwrap();
    assert_eq!(facets.street.len(), 1);
    assert_eq!(facets.street[0].count as usize, r.total);
}

#[test]
fn exact_sign_names_rank_first_and_trust_does_not_change_relevance() {
    let idx = fixture();
    // "老滇味超市" (a look-alike) and "老滇味过桥米线" both contain 老滇味.
    let r = idx.search(&SearchRequest::query("老滇味超市")).unwrap();
    assert_eq!(r.hits[0].doc.sign_name.as_deref(), Some("老滇味超市"));
    // Sorting by score is a different order, relevance is not.
    let mut by_score = SearchRequest::query("米线");
    by_score.sort = fangxin_indexer::SortOrder::Score;
    let scored = idx.search(&by_score).unwrap();
    let scores: Vec<i32> = scored.hits.iter().map(|h| h.doc.score.unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn highlights_show_what_matched() {
    let idx = fixture();
    let r = idx.search(&SearchRequest::query("ldw")).unwrap();
    let hit = r.hits.iter().find(|h| h.doc.uscc == uscc(0)).unwrap();
    assert_eq!(
        hit.highlights.sign_name.as_deref(),
        Some("<em>老滇味</em>过桥米线")
    );
    let r = idx.search(&SearchRequest::query("福照楼")).unwrap();
    assert_eq!(
        r.hits[0].highlights.name.as_deref(),
        Some("云南<em>福照楼</em>餐饮管理有限公司")
    );
}

#[test]
fn paging_is_stable_and_complete() {
    let idx = fixture();
    let mut seen = std::collections::HashSet::new();
    let mut req = SearchRequest::query("");
    req.per_page = 7;
    let total = idx.search(&req).unwrap().total;
    for page in 1..=total.div_ceil(7) {
        req.page = page;
        for h in idx.search(&req).unwrap().hits {
            assert!(seen.insert(h.doc.uscc), "a merchant on two pages");
        }
    }
    assert_eq!(seen.len(), total);
}

mod any_query {
    //! The search query parser takes whatever people (and scripts) type: query syntax,
    //! punctuation of any width, half a USCC, emoji, very long strings. It answers every one
    //! with a page (maybe empty), never an error or a panic. Cases: `PROPTEST_CASES` (256).
    use std::sync::OnceLock;

    use fangxin_indexer::{MerchantIndex, SearchRequest};
    use proptest::prelude::*;

    fn index() -> &'static MerchantIndex {
        static INDEX: OnceLock<MerchantIndex> = OnceLock::new();
        INDEX.get_or_init(super::fixture)
    }

    fn typed() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "老滇味",
            "米线",
            "laodianwei",
            "ldw",
            "\"",
            "(",
            ")",
            "*",
            "~",
            "^2",
            ":",
            "+",
            "-",
            "AND",
            "OR",
            "NOT",
            "name:",
            "[a TO z]",
            "\\",
            "/",
            "（",
            "）",
            "ＫＦＣ",
            "７天",
            " ",
            "　",
            "91530102",
            "🍜",
            "\u{202E}",
            "\t",
            "%",
            "'",
            "?",
            "{",
            "}",
            "!",
        ]);
        prop_oneof![
            "\\PC{0,60}",
            prop::collection::vec(pieces, 0..12).prop_map(|p| p.concat()),
        ]
    }

    proptest! {
        #[test]
        fn every_query_gets_a_page(q in typed(), page in 1usize..5) {
            let mut request = SearchRequest::query(&q);
            request.page = page;
            let results = index().search(&request);
            prop_assert!(results.is_ok(), "{q:?}: {:?}", results.err());
            let results = results.unwrap();
            prop_assert!(results.hits.len() <= 20);
            prop_assert!(results.hits.len() <= results.total);
        }
    }
}
