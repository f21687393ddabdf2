//! Word pools of the demo district: Wuhua district, Kunming.

/// Subdistricts with a weight for how many businesses each holds, and a few of its roads.
pub const STREETS: &[(&str, u32, &[&str])] = &[
    (
        "华山街道",
        16,
        &["华山南路", "华山西路", "五一路", "翠湖南路", "东风西路"],
    ),
    (
        "护国街道",
        15,
        &["护国路", "正义路", "光华街", "文庙直街", "长春路"],
    ),
    (
        "大观街道",
        13,
        &["大观路", "篆塘路", "西昌路", "新闻路", "大观商业城"],
    ),
    (
        "龙翔街道",
        12,
        &["一二一大街", "学府路", "龙翔街", "文林街", "钱局街"],
    ),
    ("丰宁街道", 8, &["丰宁路", "黄土坡", "高新路", "金鼎山北路"]),
    ("莲华街道", 8, &["莲华路", "北京路", "圆通北路", "虹山东路"]),
    ("红云街道", 10, &["红云路", "王家桥", "红锦路", "二环西路"]),
    ("黑林铺街道", 9, &["昆武路", "黑林铺", "眠山路", "滇缅大道"]),
    ("普吉街道", 6, &["普吉路", "王家桥路", "陈家营路", "普吉街"]),
    ("西翥街道", 3, &["沙朗路", "团结路", "厂口街", "西翥大道"]),
];

/// Where each subdistrict's shops are: a centre (latitude, longitude, WGS-84 degrees,
/// approximate) and how far they spread from it (degrees). All inside Wuhua's bounds
/// (about 25.02–25.33 N, 102.55–102.73 E); the town centre dense, 西翥 rural and wide.
pub const STREET_CENTRES: &[(&str, f64, f64, f64)] = &[
    ("华山街道", 25.043, 102.705, 0.012),
    ("护国街道", 25.040, 102.715, 0.012),
    ("大观街道", 25.034, 102.692, 0.012),
    ("龙翔街道", 25.056, 102.703, 0.012),
    ("丰宁街道", 25.062, 102.682, 0.012),
    ("莲华街道", 25.071, 102.700, 0.012),
    ("红云街道", 25.073, 102.684, 0.012),
    ("黑林铺街道", 25.068, 102.643, 0.020),
    ("普吉街道", 25.086, 102.665, 0.020),
    ("西翥街道", 25.200, 102.610, 0.050),
];

/// An industry: name, weight among businesses, complaints a year per merchant, how its
/// shops are called, what its companies trade as, and what its complaints are about.
pub struct Industry {
    pub name: &'static str,
    pub weight: u32,
    pub complaint_rate: f64,
    pub shop_words: &'static [&'static str],
    pub trade: &'static str,
    /// How an individual business of the industry is registered: 昆明市五华区{字号}{form}.
    pub individual_form: &'static str,
    pub categories: &'static [&'static str],
    pub products: &'static [&'static str],
    pub violations: &'static [(&'static str, &'static str)],
    /// Food, drugs or special equipment: longer credit-repair wait.
    pub special_sector: bool,
}

pub const INDUSTRIES: &[Industry] = &[
    Industry {
        name: "餐饮",
        weight: 28,
        complaint_rate: 0.25,
        shop_words: &[
            "米线",
            "饭店",
            "火锅",
            "烧烤",
            "小吃",
            "餐厅",
            "面馆",
            "饵块",
            "私房菜",
            "过桥米线",
        ],
        trade: "餐饮管理",
        individual_form: "餐饮店",
        categories: &["quality", "service", "price", "food_label", "expiry"],
        products: &["米线", "凉菜", "卤味", "饮料"],
        violations: &[
            (
                "使用超过保质期的食品原料",
                "《中华人民共和国食品安全法》第一百二十四条",
            ),
            (
                "未按规定公示食品经营许可证",
                "《食品经营许可管理办法》第五十条",
            ),
            (
                "餐具未按规定清洗消毒",
                "《中华人民共和国食品安全法》第一百二十六条",
            ),
        ],
        special_sector: true,
    },
    Industry {
        name: "零售",
        weight: 25,
        complaint_rate: 0.2,
        shop_words: &[
            "超市",
            "便利店",
            "商行",
            "百货",
            "食品店",
            "日杂店",
            "副食店",
            "烟酒店",
        ],
        trade: "商贸",
        individual_form: "商行",
        categories: &[
            "quality",
            "price",
            "food_label",
            "expiry",
            "false_advertising",
        ],
        products: &["预包装食品", "酒类", "日用品", "保健食品"],
        violations: &[
            (
                "销售超过保质期的食品",
                "《中华人民共和国食品安全法》第一百二十四条",
            ),
            ("价格标示不规范", "《中华人民共和国价格法》第四十二条"),
            (
                "销售标签不符合规定的预包装食品",
                "《中华人民共和国食品安全法》第一百二十五条",
            ),
        ],
        special_sector: true,
    },
    Industry {
        name: "美容美发",
        weight: 9,
        complaint_rate: 0.7,
        shop_words: &["美发", "造型", "美容院", "美甲", "养生馆", "发艺"],
        trade: "美容服务",
        individual_form: "美发店",
        categories: &["prepaid_card", "service", "false_advertising", "contract"],
        products: &["化妆品", "护发产品"],
        violations: &[
            (
                "发放预付卡未按规定备案",
                "《单用途商业预付卡管理办法（试行）》第三十六条",
            ),
            ("使用未经注册的化妆品", "《化妆品监督管理条例》第六十条"),
        ],
        special_sector: false,
    },
    Industry {
        name: "教育培训",
        weight: 5,
        complaint_rate: 0.8,
        shop_words: &["培训中心", "教育", "艺术学校", "英语", "书法", "舞蹈"],
        trade: "教育咨询",
        individual_form: "培训部",
        categories: &["prepaid_card", "contract", "false_advertising"],
        products: &["教材"],
        violations: &[("发布虚假广告", "《中华人民共和国广告法》第五十五条")],
        special_sector: false,
    },
    Industry {
        name: "住宿",
        weight: 4,
        complaint_rate: 0.3,
        shop_words: &["宾馆", "酒店", "客栈", "旅社", "公寓"],
        trade: "酒店管理",
        individual_form: "旅社",
        categories: &["service", "price", "contract"],
        products: &["客房用品"],
        violations: &[("未明码标价", "《中华人民共和国价格法》第四十二条")],
        special_sector: false,
    },
    Industry {
        name: "旅行社",
        weight: 2,
        complaint_rate: 1.2,
        shop_words: &["旅行社", "国旅", "旅游服务部"],
        trade: "旅行社",
        individual_form: "旅游服务部",
        categories: &["contract", "false_advertising", "price", "service"],
        products: &["旅游线路"],
        violations: &[
            (
                "以不合理低价组织旅游活动",
                "《中华人民共和国旅游法》第九十八条",
            ),
            ("一日游强制购物", "《中华人民共和国旅游法》第一百条"),
        ],
        special_sector: false,
    },
    Industry {
        name: "汽车销售维修",
        weight: 5,
        complaint_rate: 0.8,
        shop_words: &["汽修", "汽车服务", "车行", "汽配", "轮胎店", "4S店"],
        trade: "汽车服务",
        individual_form: "汽车修理部",
        categories: &["quality", "after_sales", "contract", "price"],
        products: &["汽车配件", "机油", "轮胎"],
        violations: &[
            (
                "销售不合格汽车配件",
                "《中华人民共和国产品质量法》第四十九条",
            ),
            (
                "未履行三包义务",
                "《家用汽车产品修理更换退货责任规定》第三十三条",
            ),
        ],
        special_sector: true,
    },
    Industry {
        name: "手机通讯",
        weight: 4,
        complaint_rate: 0.6,
        shop_words: &["手机店", "通讯", "数码", "手机维修"],
        trade: "电子科技",
        individual_form: "通讯器材经营部",
        categories: &["quality", "after_sales", "false_advertising"],
        products: &["手机", "充电器", "耳机"],
        violations: &[(
            "销售翻新手机冒充新品",
            "《中华人民共和国消费者权益保护法》第五十六条",
        )],
        special_sector: false,
    },
    Industry {
        name: "健身",
        weight: 3,
        complaint_rate: 1.0,
        shop_words: &["健身", "瑜伽馆", "健身房", "游泳馆"],
        trade: "体育文化",
        individual_form: "健身房",
        categories: &["prepaid_card", "contract", "service"],
        products: &["健身卡"],
        violations: &[(
            "预付卡经营者停业未退款",
            "《单用途商业预付卡管理办法（试行）》第三十九条",
        )],
        special_sector: false,
    },
    Industry {
        name: "药店",
        weight: 4,
        complaint_rate: 0.15,
        shop_words: &["大药房", "药店", "医药", "诊所药房"],
        trade: "医药",
        individual_form: "药店",
        categories: &["quality", "false_advertising", "expiry", "price"],
        products: &["药品", "医疗器械", "保健食品"],
        violations: &[
            ("销售过期药品", "《中华人民共和国药品管理法》第一百一十七条"),
            ("虚假宣传保健食品功效", "《中华人民共和国广告法》第五十八条"),
        ],
        special_sector: true,
    },
    Industry {
        name: "农贸市场",
        weight: 2,
        complaint_rate: 0.3,
        shop_words: &["农贸市场", "菜市场", "批发市场", "干货店"],
        trade: "市场管理",
        individual_form: "农产品经营部",
        categories: &["quality", "price", "food_label"],
        products: &["蔬菜", "肉类", "干货", "菌子"],
        violations: &[("使用不合格计量器具", "《中华人民共和国计量法》第二十六条")],
        special_sector: true,
    },
    Industry {
        name: "服装鞋帽",
        weight: 5,
        complaint_rate: 0.2,
        shop_words: &["服饰", "鞋店", "时装", "童装", "民族服饰"],
        trade: "服饰",
        individual_form: "服装店",
        categories: &["quality", "after_sales", "price"],
        products: &["服装", "鞋", "童装"],
        violations: &[(
            "销售纤维含量不合格服装",
            "《中华人民共和国产品质量法》第四十九条",
        )],
        special_sector: false,
    },
    Industry {
        name: "家电家居",
        weight: 4,
        complaint_rate: 0.4,
        shop_words: &["家电", "电器行", "家居", "建材", "装饰"],
        trade: "建材家居",
        individual_form: "家电经营部",
        categories: &["quality", "after_sales", "contract"],
        products: &["电热水器", "装饰材料", "家具"],
        violations: &[(
            "销售不合格电器产品",
            "《中华人民共和国产品质量法》第四十九条",
        )],
        special_sector: false,
    },
];

/// First words of sign names: places, moods and local flavour.
pub const SIGN_PREFIXES: &[&str] = &[
    "老滇味",
    "云南人家",
    "滇池",
    "春城",
    "翠湖",
    "金碧",
    "彩云",
    "石林",
    "大观",
    "小锅",
    "建新园",
    "福照楼",
    "南屏",
    "正义坊",
    "五华",
    "西山",
    "红嘴鸥",
    "茶花",
    "映象",
    "七彩",
    "阿诗玛",
    "乡里人",
    "悦来",
    "同心",
    "好运来",
    "鑫源",
    "万家",
    "新时代",
    "百姓",
    "佳佳",
    "美丽",
    "时尚",
    "阳光",
    "顺达",
    "宏发",
    "金鼎",
    "圆通",
    "翠园",
    "云岭",
    "滇西",
    "傣家",
    "苗乡",
    "大理",
    "丽江",
    "腾冲",
    "蒙自",
    "建水",
    "宜良",
    "呈贡",
    "官渡",
];

pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "段", "杞", "普", "者", "字", "尹", "施", "沐",
];

pub const GIVEN_NAMES: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "云", "建华", "志强",
];

/// The seed's 2018 complaints and reports by channel: (channel code, kind, count).
pub const CHANNEL_SHARES: &[(&str, &str, u32)] = &[
    ("12315", "complaint", 4591),
    ("12315", "report", 700),
    ("12345", "complaint", 947),
    ("12365", "complaint", 67),
    ("12331", "complaint", 92),
    ("internet", "complaint", 1369),
    ("consumer_association", "complaint", 9),
    ("city_supervision", "report", 3),
    ("city_transfer", "complaint", 6),
    ("letter", "complaint", 116),
];

pub const LISTING_REASONS_ABNORMAL: &[&str] = &[
    "未按规定期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "未在责令的期限内公示有关企业信息",
];

pub const LISTING_REASONS_SERIOUS: &[&str] = &[
    "因食品安全违法行为受到较重行政处罚",
    "提交虚假材料取得企业登记",
    "被列入经营异常名录届满3年仍未履行相关义务",
];

pub const WARNINGS: &[(&str, &str, &str)] = &[
    (
        "警惕“一日游”低价陷阱",
        "tourism",
        "部分“一日游”以低价招揽游客，途中强制购物、擅自增加自费项目。请选择有资质的旅行社，签订书面合同，保存好票据。如遇强制购物，可拨打12315投诉。",
    ),
    (
        "办理预付卡要谨慎",
        "prepaid_card",
        "美容美发、健身、教育培训等行业预付卡纠纷多发。办卡前查看经营者资质和信用记录，不一次性大额充值，签订书面协议，注意商家经营状况。",
    ),
    (
        "老年人购买保健食品的消费提示",
        "elderly",
        "保健食品不是药物，不能替代药物治疗疾病。警惕以“免费体检”“健康讲座”等名义推销高价保健品，购买时查看“蓝帽子”标志。",
    ),
    (
        "网购消费提示",
        "online",
        "网购时选择信誉良好的平台和商家，保存聊天记录和订单截图。七日无理由退货依法享有，商家不得以“特价商品”为由拒绝。",
    ),
    (
        "购买汽车配件注意事项",
        "car",
        "更换汽车配件时要求维修企业出具配件来源凭证和维修清单，注意区分原厂件、品牌件和副厂件，发生纠纷时保留维修记录。",
    ),
    (
        "儿童用品消费警示",
        "children",
        "选购儿童玩具和服装时查看3C标志、产品标签和警示说明，避免购买小零件易脱落、气味刺鼻的产品。",
    ),
    (
        "装饰装修材料消费提示",
        "decoration",
        "购买装饰材料时索要产品合格证和检测报告，签订合同时明确品牌、型号、环保等级和售后责任。",
    ),
    (
        "菌子季食品安全提示",
        "food",
        "野生菌采食季节，不采、不买、不卖、不食不认识的野生菌，到正规市场购买，餐馆加工时务必烧熟煮透。",
    ),
];

pub const INSPECTORS: &[(&str, &str)] = &[
    ("杨建国", "华山市场监管所"),
    ("李红梅", "华山市场监管所"),
    ("张卫东", "护国市场监管所"),
    ("周丽", "护国市场监管所"),
    ("赵永平", "大观市场监管所"),
    ("段晓燕", "大观市场监管所"),
    ("何志刚", "龙翔市场监管所"),
    ("马俊", "龙翔市场监管所"),
    ("普春华", "丰宁市场监管所"),
    ("尹文斌", "莲华市场监管所"),
    ("施雪", "红云市场监管所"),
    ("刘海", "黑林铺市场监管所"),
    ("王磊", "普吉市场监管所"),
    ("陈燕", "西翥市场监管所"),
    ("孙明", "执法稽查大队"),
    ("高峰", "执法稽查大队"),
];

/// Middle words of company names (字号 extensions), so that legal names rarely repeat.
pub const COMPANY_WORDS: &[&str] = &[
    "鑫盛", "恒达", "泰和", "兴隆", "祥瑞", "宏图", "金源", "华通", "永昌", "瑞丰", "嘉禾", "盛世",
    "天润", "博远", "信诚", "安泰", "聚福", "汇通", "荣华", "德润",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_street_has_a_centre_inside_the_district() {
        for (street, _, _) in STREETS {
            let c = STREET_CENTRES.iter().find(|c| c.0 == *street);
            let (_, lat, lng, spread) = c.unwrap_or_else(|| panic!("{street} has no centre"));
            assert!((25.02..=25.33).contains(&(lat - spread)) && (lat + spread) <= 25.33);
            assert!((102.55..=102.73).contains(&(lng - spread)) && (lng + spread) <= 102.73);
        }
    }
}
