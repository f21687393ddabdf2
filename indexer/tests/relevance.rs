//! Relevance: the shop a consumer means is in the top three. A fixture of a few hundred
//! merchants with realistic names (targets plus look-alike distractors), queried by sign
//! name, part of it, full pinyin, initials, typos, USCC, street and industry.

use fangxin_indexer::{
    CommitPayload, MerchantDoc, MerchantIndex, NearbyRequest, SearchRequest, distance_m,
};
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
    // 20: words people put in another order or shorten.
    Target {
        sign: "金马碧鸡老火锅",
        name: "昆明市五华区金马碧鸡餐饮店",
        former: &[],
        street: "华山街道",
        industry: "餐饮",
        address: "昆明市五华区金碧路88号",
    },
    Target {
        sign: "圆西路综合批发市场",
        name: "昆明圆西路市场经营管理有限公司",
        former: &[],
        street: "龙翔街道",
        industry: "农贸市场",
        address: "昆明市五华区圆西路1号",
    },
    // 22: a branch, looked for with the branch in brackets.
    Target {
        sign: "小肥羊",
        name: "昆明市五华区东风西路小肥羊火锅店",
        former: &[],
        street: "华山街道",
        industry: "餐饮",
        address: "昆明市五华区东风西路128号",
    },
    // 23, 24: Latin letters and digits typed full width.
    Target {
        sign: "KFC肯德基",
        name: "昆明肯德基有限公司五华分店",
        former: &[],
        street: "华山街道",
        industry: "餐饮",
        address: "昆明市五华区南屏街6号",
    },
    Target {
        sign: "7天连锁酒店",
        name: "昆明七天酒店管理有限公司",
        former: &[],
        street: "护国街道",
        industry: "住宿",
        address: "昆明市五华区三市街9号",
    },
    // 25: typed in traditional characters.
    Target {
        sign: "顺城老茶馆",
        name: "昆明市五华区顺城茶馆",
        former: &[],
        street: "护国街道",
        industry: "餐饮",
        address: "昆明市五华区顺城街30号",
    },
    // 26, 27: polyphonic characters read the other way (重庆 chongqing, 琴行 qinhang).
    Target {
        sign: "重庆小面",
        name: "昆明市五华区重庆小面馆",
        former: &[],
        street: "丰宁街道",
        industry: "餐饮",
        address: "昆明市五华区虹山东路3号",
    },
    Target {
        sign: "悦音琴行",
        name: "昆明市五华区悦音乐器经营部",
        former: &[],
        street: "莲华街道",
        industry: "零售",
        address: "昆明市五华区北京路120号",
    },
    // 28: a rare character of a place name.
    Target {
        sign: "大箐鲜鱼庄",
        name: "昆明市五华区大箐餐饮店",
        former: &[],
        street: "西翥街道",
        industry: "餐饮",
        address: "昆明市五华区西翥大箐村",
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
        listing: None,
        // Spread over a kilometre or two around the middle of the district.
        latitude: Some(25.04 + f64::from(n % 17) * 0.001),
        longitude: Some(102.70 + f64::from(n % 13) * 0.001),
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
    // Words in another order, shortened, or with words between them.
    ("金马火锅", 20),
    ("火锅 金马碧鸡", 20),
    ("金马碧鸡火锅", 20),
    ("碧鸡老火锅", 20),
    ("圆西路市场", 21),
    ("圆西路批发市场", 21),
    ("市场 圆西路", 21),
    ("米线 老滇味", 0),
    ("汽锅鸡福照楼", 2),
    ("民族服饰阿诗玛", 9),
    // Questions and requests around a name.
    ("建新园好不好", 1),
    ("福照楼靠谱吗", 2),
    ("翠湖宾馆电话", 4),
    ("金鼎大药房在哪", 6),
    ("附近的过桥米线", 0),
    ("丽人美发投诉", 5),
    ("彩云之南旅行社怎么样", 7),
    ("老滇味 电话", 0),
    ("顺达汽修地址", 8),
    ("附近 小肥羊", 22),
    ("请问红嘴鸥健身在哪里", 10),
    // A branch in brackets, full width or not.
    ("小肥羊（东风西路店）", 22),
    ("小肥羊(东风西路店)", 22),
    ("东风西路小肥羊", 22),
    ("小肥羊 东风西路", 22),
    // Full-width letters and digits.
    ("ＫＦＣ", 23),
    ("kfc", 23),
    ("KFC 肯德基", 23),
    ("７天", 24),
    ("7天连锁", 24),
    // Character typos and homophones, found by their sound.
    ("建新圆", 1),
    ("建兴园", 1),
    ("福照搂", 2),
    ("翠胡宾馆", 4),
    ("老颠味", 0),
    ("金顶大药房", 6),
    // Traditional characters.
    ("老茶館", 25),
    ("順城茶館", 25),
    ("建新園", 1),
    ("福照樓", 2),
    ("翠湖賓館", 4),
    ("過橋米線", 0),
    // Polyphonic characters read the other way.
    ("chongqingxiaomian", 26),
    ("cqxm", 26),
    ("yueyinqinhang", 27),
    ("qinhang", 27),
    ("重庆小面", 26),
    // Rare characters in place names.
    ("大箐", 28),
    ("箐鲜鱼", 28),
    ("daqing", 28),
];

/// Every target's sign name asked about as people ask: with a question or a request, or
/// in traditional characters.
fn asked_about() -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (i, t) in TARGETS.iter().enumerate() {
        out.push((format!("{}怎么样", t.sign), i));
        out.push((format!("{} 电话", t.sign), i));
        out.push((format!("附近的{}", t.sign), i));
        out.push((format!("{}（{}）", t.sign, t.street), i));
    }
    out
}

#[test]
fn the_intended_merchant_is_in_the_top_three() {
    let idx = fixture();
    let mut failures = Vec::new();
    let cases: Vec<(String, usize)> = CASES
        .iter()
        .map(|(q, t)| (q.to_string(), *t))
        .chain(asked_about())
        .collect();
    for (q, target) in &cases {
        match rank_of(&idx, &SearchRequest::query(q), *target) {
            Some(r) if r < 3 => {}
            other => failures.push(format!("{q:?} → {} at {other:?}", TARGETS[*target].sign)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} queries missed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 150, "{} queries", cases.len());
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
fn a_mistyped_uscc_says_what_is_wrong_and_which_code_was_meant() {
    let idx = fixture();
    let code = uscc(6);
    // One character of the body mistyped: the check character no longer agrees.
    let mut typed: Vec<char> = code.chars().collect();
    typed[12] = if typed[12] == '3' { '4' } else { '3' };
    let typed: String = typed.into_iter().collect();
    let r = idx.search(&SearchRequest::query(&typed)).unwrap();
    assert_eq!(r.total, 0);
    let hint = r.uscc_hint.expect("a hint");
    assert!(hint.check.is_some(), "{hint:?}");
    let meant = hint
        .did_you_mean
        .expect("the registered code one character away");
    assert_eq!(meant.uscc, code);
    assert_eq!(meant.position, 13);
    // Full width, as an input method types it, is read as the code itself.
    let wide: String = code
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    let r = idx.search(&SearchRequest::query(&wide)).unwrap();
    assert_eq!(r.total, 1);
    assert!(r.uscc_hint.is_none());
    // A valid code of no merchant here: no suggestion, and says so.
    let unknown = Uscc::from_parts('9', '2', "530102", "MR999998")
        .unwrap()
        .to_string();
    let r = idx.search(&SearchRequest::query(&unknown)).unwrap();
    assert_eq!(r.total, 0);
    if let Some(h) = r.uscc_hint {
        assert!(h.check.is_none());
    }
}

#[test]
fn nearby_lists_merchants_by_distance_within_the_radius() {
    let idx = fixture();
    let req = |q: &str, radius_m: f64| NearbyRequest {
        lat: 25.04,
        lng: 102.70,
        radius_m,
        q: q.into(),
        street: None,
        industry: None,
        grade: None,
        trusted: None,
        page: 1,
        per_page: 20,
    };
    let r = idx.nearby(&req("", 500.0)).unwrap();
    assert!(
        r.total > 0 && r.total < idx.num_docs() as usize,
        "{}",
        r.total
    );
    let distances: Vec<f64> = r.hits.iter().map(|h| h.distance_m).collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    assert!(distances.iter().all(|d| *d <= 500.0));
    for h in &r.hits {
        let d = distance_m(
            25.04,
            102.70,
            h.doc.latitude.unwrap(),
            h.doc.longitude.unwrap(),
        );
        assert!((d - h.distance_m).abs() < 0.01);
    }
    // The nearest are at the point itself: every merchant whose n is a multiple of 13·17.
    assert_eq!(r.hits[0].distance_m, 0.0);
    // A wider circle holds more; a query narrows it.
    let wide = idx.nearby(&req("", 3000.0)).unwrap();
    assert!(wide.total > r.total);
    let noodles = idx.nearby(&req("米线", 3000.0)).unwrap();
    assert!(noodles.total > 0 && noodles.total < wide.total);
    assert!(noodles.hits.iter().all(|h| {
        let names = format!(
            "{}{}",
            h.doc.name,
            h.doc.sign_name.clone().unwrap_or_default()
        );
        names.contains("米线") || names.contains("餐饮")
    }));
    // Pages continue where the last ended.
    let mut second = req("", 3000.0);
    second.page = 2;
    let page2 = idx.nearby(&second).unwrap();
    assert!(page2.hits[0].distance_m >= wide.hits.last().unwrap().distance_m);
}

#[test]
fn a_chosen_filter_still_counts_its_other_values() {
    let idx = fixture();
    let all = idx.search(&SearchRequest::query("米线")).unwrap();
    let mut req = SearchRequest::query("米线");
    req.street = Some("华山街道".into());
    let narrowed = idx.search(&req).unwrap();
    assert!(narrowed.total < all.total);
    let (a, n) = (all.facets.unwrap(), narrowed.facets.unwrap());
    // The street facet ignores the street filter: the same counts as without it.
    assert_eq!(n.street, a.street);
    // The others count within the chosen street.
    let in_street: u64 = n.grade.iter().map(|g| g.count).sum();
    assert_eq!(in_street as usize, narrowed.total);
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
    // The chosen street's count is the total; the other streets still show theirs.
    assert_eq!(facets.street.len(), STREETS.len());
    let chosen = facets
        .street
        .iter()
        .find(|f| f.value == "西翥街道")
        .unwrap();
    assert_eq!(chosen.count as usize, r.total);
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
