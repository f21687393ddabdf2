//! Chinese messages for the portal's forms, keyed by the stable problem `code` and `field`
//! the services return (their own messages are English, for the API). A code without a
//! Chinese text falls back to a general sentence with the service's detail.

use fangxin_core::error::AppError;
use fangxin_core::imports::{Kind, RowError};

/// The Chinese name of a form field.
fn field_zh(field: &str) -> &'static str {
    match field {
        "uscc" => "统一社会信用代码",
        "decision_no" => "决定书文号",
        "decided_on" => "决定日期",
        "fine_yuan" => "罚款金额",
        "categories" => "处罚种类",
        "procedure" => "程序",
        "evidence" => "证明材料",
        "note" => "理由或说明",
        "assignee_id" => "承办人",
        "reason" => "理由",
        "title" => "标题",
        "text" | "body" => "正文",
        "category" => "类别",
        "kind" => "类别",
        "level" => "等级",
        "status" => "状态",
        "authority" => "机关",
        "listed_on" => "列入日期",
        "valid_from" => "有效期起始日",
        "valid_to" => "有效期截止日",
        "sample_size" => "抽取数量",
        "seed" => "随机种子",
        "streets" => "街道",
        "grades" => "等级",
        "industries" => "行业",
        "outcome" => "检验结论",
        "product" => "产品名称",
        "failed_items" => "不合格项目",
        "checked_on" => "检验日期",
        "decision" => "决定",
        "from" => "起始日",
        "to" => "截止日",
        _ => "输入",
    }
}

/// A message a person at the counter can act on: the service's problem in Chinese, by its
/// stable code and field. Codes without a sentence of their own (the test below keeps the
/// table complete) get a general one; the service's English detail never shows.
pub fn message(e: &AppError) -> String {
    service_message(e).unwrap_or_else(|| {
        let field = e.field().map(field_zh).unwrap_or("输入");
        format!("未能提交：请检查{field}后重试。")
    })
}

/// A warning's category as a reader sees it: the demo's and the API's codes by their
/// Chinese names; a category a clerk typed in Chinese as it was typed.
pub fn warning_category_zh(category: &str) -> &str {
    match category {
        "tourism" => "旅游消费",
        "prepaid_card" => "预付卡",
        "elderly" => "老年人消费",
        "online" => "网络购物",
        "food" => "食品安全",
        "festival" => "节日消费",
        "education" => "教育培训",
        "beauty" => "美容美发",
        "fitness" => "健身",
        "housing" => "家装与房屋",
        "vehicle" | "car" => "汽车消费",
        "children" => "儿童用品",
        "decoration" => "家居装修",
        "medical" => "医疗美容",
        "product_safety" => "产品安全",
        "telecom" => "通信服务",
        "general" => "消费提示",
        other => other,
    }
}

/// The Chinese name of a kind of record in the audit log (`penalty` → 行政处罚).
pub fn entity_zh(entity: &str) -> Option<&'static str> {
    Some(match entity {
        "account" => "账户",
        "claimant" => "职业索赔人",
        "complainant" => "投诉人信息",
        "complaint" => "投诉举报",
        "credit_repair" => "信用修复",
        "inspector" => "执法人员",
        "listing" => "名录",
        "merchant" => "商户",
        "objection" => "异议",
        "penalty" => "行政处罚",
        "spot_check" => "抽检结果",
        "spot_check_plan" => "抽检计划",
        "trusted" => "放心消费单位",
        "warning" => "消费警示",
        "import" => "导入文件",
        "attachment" => "证明材料",
        _ => return None,
    })
}

/// An audit entry's action as a clerk reads it: 「行政处罚：发布」 for `penalty.publish`. An
/// action this table lacks shows its code.
pub fn audit_action_zh(action: &str) -> String {
    let Some((entity, verb)) = action.split_once('.') else {
        return action.to_owned();
    };
    let Some(what) = entity_zh(entity) else {
        return action.to_owned();
    };
    let done = match (entity, verb) {
        ("complaint", status)
            if fangxin_scoring::domain::ComplaintStatus::parse(status).is_some() =>
        {
            fangxin_scoring::domain::ComplaintStatus::parse(status).map_or("", |s| s.label_zh())
        }
        ("import", "merchants") => "商户登记",
        ("import", "penalties") => "行政处罚",
        ("import", "complaints") => "投诉举报",
        ("complainant", "id_number") => "查看身份证号",
        ("complainant", "name") => "查看姓名",
        ("complainant", "phone") => "查看联系电话",
        ("listing", "create") => "列入",
        ("listing", "remove") => "移出",
        ("claimant", "clear") => "排除",
        ("claimant", "confirm") => "认定",
        ("penalty", "publicity_end") => "结束公示",
        ("penalty", "repaired") => "信用修复后停止公示",
        (_, "change") => "变更",
        (_, "create") => "新建",
        (_, "answer") => "商户回复",
        (_, "intake") => "登记",
        (_, "match") => "匹配商户",
        (_, "apply") => "申请",
        (_, "approve" | "accept") => "同意",
        (_, "reject") => "不同意",
        (_, "add") => "添加",
        (_, "status") => "变更经营状态",
        (_, "update") => "更新",
        (_, "file") => "提交",
        (_, "correct") => "更正",
        (_, "publish") => "发布",
        (_, "revoke") => "撤销",
        (_, "result") => "录入结果",
        (_, "draw") => "随机抽取",
        (_, "enrol") => "登记",
        (_, "suspend") => "暂停",
        (_, "assign") => "分派承办人",
        _ => verb,
    };
    format!("{what}：{done}")
}

/// A penalty's money as a reader sees it: 「罚款 ¥20,000.00，没收 ¥1,200.00」, the parts
/// that are nought left out; empty for a warning.
pub fn penalty_amounts(fine_fen: i64, confiscated_fen: i64) -> String {
    [("罚款", fine_fen), ("没收", confiscated_fen)]
        .iter()
        .filter(|(_, fen)| *fen > 0)
        .map(|(what, fen)| format!("{what} {}", fangxin_scoring::money::display_yuan(*fen)))
        .collect::<Vec<_>>()
        .join("，")
}

/// The Chinese name of the kind of record an objection is about.
pub fn record_kind_zh(kind: &str) -> &'static str {
    match kind {
        "penalty" => "行政处罚",
        "complaint" => "投诉举报",
        "listing" => "名录记录",
        "spot_check" => "抽检结果",
        _ => "信用记录",
    }
}

/// The first `YYYY-MM-DD` in a service's detail: dates read the same in both languages.
fn date_in(detail: &str) -> Option<&str> {
    let bytes = detail.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        let candidate = detail.get(i..i + 10)?;
        let ok = candidate.bytes().enumerate().all(|(j, b)| match j {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
        ok.then_some(candidate)
    })
}

/// The Chinese sentence for a service problem's code, when the table has one.
fn service_message(e: &AppError) -> Option<String> {
    let field = e.field().map(field_zh).unwrap_or("输入");
    let detail = e.to_string();
    let from = |lead: &str| match date_in(&detail) {
        Some(date) => format!("{lead}（{date} 起）"),
        None => lead.to_owned(),
    };
    Some(match e.code() {
        "invalid_uscc" => "统一社会信用代码有误：应为18位，含校验位，请核对。".into(),
        "missing_uscc" => "企业账户须绑定商户：请填写统一社会信用代码。".into(),
        "merchant_not_found" => "没有找到这个统一社会信用代码对应的商户。".into(),
        "merchant_removed" => "文件中的一家商户在导入期间被删除，本次导入未写入，请重新导入。".into(),
        "missing_field" => format!("请填写{field}。"),
        "field_too_long" => format!("{field}太长，请精简。"),
        "future_date" => format!("{field}不能晚于今天。"),
        "implausible_date" => format!("{field}不合常理，请核对年份。"),
        "dates_out_of_order" => "日期先后顺序不对：截止日应晚于起始日。".into(),
        "invalid_date" | "invalid_period" => format!("{field}有误，日期格式为 年-月-日。"),
        "invalid_time" => format!("{field}有误，时间格式为 年-月-日 时:分。"),
        "invalid_level" => "等级应为“承诺单位”或“示范单位”。".into(),
        "invalid_kind" => "请选择类别。".into(),
        "invalid_record_kind" => "请选择异议针对的记录：行政处罚、投诉、名录或抽检。".into(),
        "invalid_status" => "请选择要改成的状态。".into(),
        "status_unchanged" => "商户已是这个状态，无需变更。".into(),
        "invalid_outcome" => "检验结论应为合格或不合格。".into(),
        "invalid_sample_size" => "抽取数量应为 1 至 500 之间的整数。".into(),
        "invalid_seed" => "随机种子应为非负整数，不填则随机生成。".into(),
        "invalid_grade" => "等级应为 A、B、C 或 D。".into(),
        "invalid_category" => "请从列表中选择类别。".into(),
        "invalid_channel" => "请从列表中选择投诉渠道。".into(),
        "invalid_procedure" => "程序应为普通程序或简易程序。".into(),
        "invalid_satisfaction" => "满意度应为满意、基本满意、不满意或未评价。".into(),
        "invalid_pledge" => "请从列表中选择承诺事项。".into(),
        "invalid_amount" | "invalid_ban" => {
            format!("{field}有误：请填写不小于零的数额，最多两位小数，如 1234.50。")
        }
        "missing_amount" => "罚款或没收的处罚种类须填写金额。".into(),
        "inconsistent_amount" => "金额与处罚种类不一致：有金额时须选择罚款或没收。".into(),
        "invalid_quantity" => "购买数量应为正整数。".into(),
        "invalid_key" => "投诉人编号只能含字母、数字、- 和 _，最多 64 个字符。".into(),
        "invalid_ticket" => "单号只能含字母、数字和 -，最多 64 个字符。".into(),
        "invalid_value" => format!("{field}的取值不在可选范围内。"),
        "personal_data" => "内容中似乎有手机号或身份证号：请删去投诉人的个人信息后再提交。".into(),
        "invalid_title" => "标题应为 1 至 200 个字。".into(),
        "invalid_body_text" => "正文应为 1 至 20000 个字。".into(),
        "invalid_answer" => "回复应为 1 至 5000 个字。".into(),
        "invalid_reason" => "请填写理由（1 至 2000 字）。".into(),
        "invalid_decision" => "请选择决定。".into(),
        "invalid_username" => "用户名应为 1 至 64 个字符。".into(),
        "weak_password" => "密码至少 10 个字符。".into(),
        "username_taken" => "这个用户名已被使用，请换一个。".into(),
        "cannot_deactivate_self" => "不能停用自己的账户。".into(),
        "account_not_found" => "没有找到这个账户。".into(),
        "invalid_credentials" => "用户名或密码不正确。".into(),
        "account_locked" => "登录失败次数过多，账户已暂时锁定，请稍后再试。".into(),
        "unauthenticated" | "invalid_token" => "登录已过期或尚未登录，请重新登录。".into(),
        "forbidden" | "metrics_forbidden" => "当前账号没有权限进行这项操作。".into(),
        "rate_limited" => "请求过于频繁，请稍等一分钟再试。".into(),
        "population_too_large" => "符合条件的商户过多，无法一次抽取：请缩小街道、行业或等级范围。".into(),
        "cannot_draw" => "没有符合条件的商户可以抽取：请放宽条件。".into(),
        "entry_rule" => "不符合放心消费单位准入条件（成立满一年；近一年无行政处罚，未列入经营异常名录或严重违法失信名单）。".into(),
        "already_enrolled" => "该商户已是有效的放心消费单位。".into(),
        "enrolment_not_found" => "该商户没有可变更的放心消费单位记录。".into(),
        "already_listed" => "该商户已在此名录中。".into(),
        "listing_not_found" => "该商户不在此名录中。".into(),
        "already_removed" => "该名录记录已移出。".into(),
        "result_recorded" => "该抽检已录入结果；如需更正，请通过异议程序。".into(),
        "check_not_found" | "plan_not_found" => "没有找到这次抽检。".into(),
        "already_matched" => "这件投诉已匹配到其他商户。".into(),
        "complaint_not_found" => "没有找到这件投诉。".into(),
        "claimant_not_found" => "没有找到这位投诉人。".into(),
        "invalid_transition" => "当前状态下不能进行这项操作：请刷新页面查看最新状态。".into(),
        "reason_required" => "不予受理或终止调解须写明理由，投诉人会被告知。".into(),
        "note_too_long" => "理由或说明最多 2000 个字。".into(),
        "invalid_assignee" => "只能交给在职的监管人员承办。".into(),
        "too_many_attachments" => format!("证明材料最多 {} 个文件。", fangxin_core::attachments::MAX_FILES),
        "attachment_too_large" => format!(
            "证明材料每个文件不超过 {} MB，请压缩或拆分后再提交。",
            fangxin_core::attachments::MAX_BYTES / (1024 * 1024)
        ),
        "invalid_attachment" => "证明材料只能是 JPG、PNG 照片或 PDF 文件。".into(),
        "attachment_not_found" => "没有找到这份证明材料。".into(),
        "penalty_exists" => "这个决定书文号已发布过。".into(),
        "penalty_not_found" => "没有找到这份行政处罚决定。".into(),
        "penalty_revoked" => "这份行政处罚决定已撤销。".into(),
        "decision_no_changed" => "更正不能改动决定书文号；文号不同即为另一份决定，请另行发布。".into(),
        "merchant_exists" => "这个统一社会信用代码已登记。".into(),
        "already_recorded" => "同一记录刚刚已由他人提交，请刷新后核对。".into(),
        "already_pending" => "已有一份同类申请正在等待审核，请等待决定后再提交。".into(),
        "already_decided" => "这份申请已作出决定。".into(),
        "objection_not_found" | "repair_not_found" => "没有找到这份申请。".into(),
        "record_not_found" => "该商户的信用记录中没有这条记录。".into(),
        "not_in_publicity" => "这份处罚已不在公示期内，无需信用修复。".into(),
        "repair_not_allowed" => "严重违法失信案件不能提前修复，公示期满后自动停止公示。".into(),
        "too_early" => from("尚未到可以申请的时间"),
        "score_not_found" => "这个商户还没有信用评分，请稍后再查。".into(),
        "not_found" => "没有找到这个页面或记录。".into(),
        "invalid_query" | "invalid_path" | "invalid_body" => "请求的内容有误，请回到页面重新填写。".into(),
        "invalid_page" | "invalid_per_page" | "invalid_paging" => "页码有误，请从第一页开始浏览。".into(),
        "invalid_cursor" => "翻页位置无法识别，请从第一页开始浏览。".into(),
        "page_too_deep" => "只能查看前 10000 条结果，请增加筛选条件缩小范围。".into(),
        "query_too_long" => "查询内容太长（最多 200 个字），请精简后再查。".into(),
        "invalid_sort" => "请从列表中选择排序方式。".into(),
        "invalid_format" => "导出格式应为 CSV 或 JSON。".into(),
        "invalid_radius" => "范围应为 1 米至 5 公里。".into(),
        "invalid_position" => "位置有误：请重新定位或在地图上选点。".into(),
        "body_too_large" | "file_too_large" => "提交的内容过大，请拆分后再提交。".into(),
        "unsupported_media_type" => "请提交 CSV（UTF-8 或 GBK）或 NDJSON 文件。".into(),
        "import_rejected" => "文件中有错误行，整份文件未导入：请按问题清单改正后再导入。".into(),
        "invalid_columns" => "表头只能是 zh（中文列名）或 en（英文字段名）。".into(),
        "file_changed" => "文件在导入过程中被改动，未写入任何数据，请重新导入。".into(),
        "empty_file" => "文件没有数据：第一行应为表头，其下每行一条记录。".into(),
        "duplicate_key" => "文件中有重复的记录。".into(),
        "database_unavailable" => "数据库暂时无法访问，请几秒钟后再试。".into(),
        "database_not_empty" => "数据库中已有数据：演示数据只能生成到空的数据目录。".into(),
        "index_in_memory" | "reindex_running" => "搜索索引正在重建或无法在此重建，请稍后再试。".into(),
        _ => return None,
    })
}

/// The Chinese name of an import file's column.
pub fn column_zh(column: &str) -> &'static str {
    match column {
        "uscc" => "统一社会信用代码",
        "name" => "名称",
        "sign_name" => "招牌名称",
        "former_names" => "曾用名",
        "kind" => "类型",
        "industry" => "行业",
        "street" => "街道",
        "address" => "地址",
        "legal_representative" => "法定代表人或经营者",
        "established_on" => "成立日期",
        "decision_no" => "决定书文号",
        "categories" => "处罚种类",
        "fine_yuan" => "罚款金额（元）",
        "confiscated_yuan" => "没收金额（元）",
        "violation_type" => "违法行为类型",
        "facts" => "主要违法事实",
        "legal_basis" => "处罚依据",
        "authority" => "处罚机关",
        "decided_on" => "决定日期",
        "procedure" => "程序",
        "ban_months" => "限制从业月数",
        "serious" => "情节严重",
        "special_sector" => "特殊领域",
        "content" => "处罚内容",
        "channel" => "渠道",
        "ticket_no" => "工单号",
        "merchant_name" => "商户名称",
        "received_at" => "登记时间",
        "status" => "状态",
        "category" => "问题类别",
        "amount_involved_yuan" => "涉及金额（元）",
        "amount_recovered_yuan" => "挽回金额（元）",
        "satisfaction" => "回访满意度",
        "complainant_key" => "投诉人标识",
        "text" => "诉求内容",
        "accepted_at" => "受理时间",
        "closed_at" => "办结时间",
        "punitive_demand" => "要求惩罚性赔偿",
        "purchase_quantity" => "购买数量",
        _ => "",
    }
}

/// Every code an import report can carry, for the test that each has a Chinese message.
#[cfg(test)]
const IMPORT_CODES: &[&str] = &[
    "empty_file",
    "invalid_csv",
    "invalid_json",
    "wrong_field_count",
    "unknown_column",
    "missing_column",
    "duplicate_column",
    "duplicate_key",
    "merchant_not_found",
    "penalty_exists",
    "missing_field",
    "invalid_value",
    "invalid_uscc",
    "invalid_channel",
    "invalid_kind",
    "invalid_status",
    "invalid_category",
    "invalid_procedure",
    "invalid_satisfaction",
    "invalid_amount",
    "missing_amount",
    "invalid_ban",
    "invalid_date",
    "invalid_time",
    "invalid_key",
    "invalid_ticket",
    "invalid_quantity",
    "future_date",
    "dates_out_of_order",
    "field_too_long",
    "implausible_date",
    "inconsistent_amount",
    "invalid_character",
    "personal_data",
    "unknown_street",
];

/// One problem of an import file, in Chinese: what is wrong, and for a coded column the
/// values it takes. `None` for a code this table lacks (the test keeps it complete).
pub fn import_problem(kind: Kind, e: &RowError) -> Option<String> {
    let column = e.column.as_deref().unwrap_or("");
    let name = match column_zh(column) {
        "" if column.is_empty() => "这一格".to_owned(),
        "" => format!("“{column}”列"),
        zh => format!("“{zh}”"),
    };
    let values = || {
        kind.allowed(column).map(|values| {
            let listed: Vec<String> = values
                .iter()
                .map(|(code, label)| {
                    if code == label {
                        (*code).to_owned()
                    } else {
                        format!("{label}（{code}）")
                    }
                })
                .collect();
            format!("可填：{}。", listed.join("、"))
        })
    };
    let columns = || {
        let listed: Vec<String> = kind
            .columns()
            .iter()
            .map(|c| format!("{}（{}）", c.name, column_zh(c.name)))
            .collect();
        listed.join("、")
    };
    Some(match e.code.as_str() {
        "empty_file" => "文件没有数据：第一行应为表头，其下每行一条记录。".to_owned(),
        "invalid_csv" if e.message.contains("UTF-8") => {
            "这一行有无法识别的文字编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再导入。"
                .to_owned()
        }
        "invalid_csv" => "这一行不是有效的 CSV（请检查引号是否成对）。".to_owned(),
        "invalid_json" => "这一行不是有效的 JSON 对象。".to_owned(),
        "wrong_field_count" => {
            "这一行的列数与表头不一致（单元格中的逗号请用引号括起）。".to_owned()
        }
        "unknown_column" if column.is_empty() => {
            format!("表头有一列没有列名。可用的列：{}。", columns())
        }
        "unknown_column" => format!("表头有未知的列“{column}”。可用的列：{}。", columns()),
        "missing_column" => format!("表头缺少必需的列 {column}（{}）。", column_zh(column)),
        "duplicate_column" => format!("表头中 {column} 列出现了两次。"),
        "duplicate_key" => {
            let other = e
                .message
                .split(" is also on line ")
                .nth(1)
                .and_then(|rest| rest.split(',').next())
                .map(|line| format!("第 {line} 行"))
                .unwrap_or_else(|| "另一行".to_owned());
            format!("{name}与文件中{other}相同，但其余内容不同；同一编号只能有一种内容。")
        }
        "merchant_not_found" => {
            "没有这个统一社会信用代码的商户：请先导入该商户的登记信息。".to_owned()
        }
        "penalty_exists" => {
            "这个决定书文号已登记，且内容不同：如需更正，请在处罚记录中使用“更正”。".to_owned()
        }
        "missing_field" => format!("{name}不能为空。"),
        "invalid_uscc" => "统一社会信用代码有误：应为 18 位，含校验位，请核对。".to_owned(),
        "invalid_value"
        | "invalid_channel"
        | "invalid_kind"
        | "invalid_status"
        | "invalid_category"
        | "invalid_procedure"
        | "invalid_satisfaction" => match values() {
            Some(values) => format!("{name}的值不在可选范围内。{values}"),
            None if e.message.contains("true or false") => format!("{name}应填“是”或“否”。"),
            None => format!("{name}的格式不对。"),
        },
        "invalid_amount" | "missing_amount" => {
            format!("{name}应为金额，如 1234.50（元，最多两位小数）。")
        }
        "invalid_ban" => "限制从业月数应为 1 至 120 之间的整数，且仅用于“限制从业”。".to_owned(),
        "invalid_date" => format!("{name}应为日期，格式为 2026-11-20。"),
        "invalid_time" => format!("{name}应为时间，格式为 2026-11-20 10:30:00（北京时间）。"),
        "invalid_key" => {
            "投诉人标识只能包含字母、数字、下划线和短横线，最长 64 个字符。".to_owned()
        }
        "invalid_ticket" => "工单号不能为空，最长 64 个字符。".to_owned(),
        "invalid_quantity" => "购买数量应为正整数。".to_owned(),
        "future_date" => format!("{name}不能晚于现在。"),
        "dates_out_of_order" => format!("{name}早于登记时间或受理时间，请核对先后顺序。"),
        "field_too_long" => format!("{name}太长，请精简。"),
        "implausible_date" => format!("{name}的年份不合常理，请核对。"),
        "inconsistent_amount" => "金额前后矛盾：挽回金额不能大于涉及金额。".to_owned(),
        "invalid_character" => format!("{name}含有不可见的控制字符，请删去后再导入。"),
        "personal_data" => {
            "投诉人标识不能是手机号、身份证号等个人信息：请填写各渠道系统生成的匿名编号。"
                .to_owned()
        }
        "unknown_street" => "街道不在本辖区的街道名单中，请核对名称。".to_owned(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_in_chinese() {
        let e = AppError::invalid_field("reason", "missing_field", "reason must not be empty");
        assert_eq!(message(&e), "请填写理由。");
        let e = AppError::MerchantNotFound("x".into());
        assert!(message(&e).contains("没有找到"));
    }

    #[test]
    fn every_import_problem_and_column_has_chinese() {
        let kinds = [Kind::Merchants, Kind::Penalties, Kind::Complaints];
        for kind in kinds {
            for c in kind.columns() {
                assert!(
                    !column_zh(c.name).is_empty(),
                    "{} has no Chinese name",
                    c.name
                );
            }
            for code in IMPORT_CODES {
                let e = RowError {
                    line: 2,
                    column: Some("channel".into()),
                    code: (*code).into(),
                    message: "English detail".into(),
                };
                let text =
                    import_problem(kind, &e).unwrap_or_else(|| panic!("{code} has no Chinese"));
                assert!(
                    !text.is_ascii() && !text.contains("English"),
                    "{code}: {text}"
                );
            }
        }
        let e = RowError {
            line: 3,
            column: Some("channel".into()),
            code: "invalid_value".into(),
            message: "unknown channel \"wechat\"".into(),
        };
        let text = import_problem(Kind::Complaints, &e).unwrap();
        assert!(
            text.contains("“渠道”") && text.contains("12315热线（12315）"),
            "{text}"
        );
    }

    /// The stable codes the services and the API write: `code: "…"`, the first argument
    /// of `AppError::invalid(…)` and the second of `AppError::invalid_field(…)`.
    fn codes_in_sources() -> Vec<String> {
        fn literal_after(rest: &str, nth: usize) -> Option<String> {
            let mut rest = rest;
            for _ in 0..nth {
                let start = rest.find('"')?;
                let end = rest[start + 1..].find('"')? + start + 1;
                rest = &rest[end + 1..];
            }
            let start = rest.find('"')?;
            // Only a literal that follows at once (spaces, a newline, a comma).
            if !rest[..start].chars().all(|c| c.is_whitespace() || c == ',') {
                return None;
            }
            let end = rest[start + 1..].find('"')? + start + 1;
            let code = &rest[start + 1..end];
            code.chars()
                .all(|c| c.is_ascii_lowercase() || c == '_')
                .then(|| code.to_owned())
        }
        fn walk(dir: &std::path::Path, codes: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, codes);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("zh.rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (marker, nth) in [
                        ("code: ", 0),
                        ("AppError::invalid(", 0),
                        ("AppError::invalid_field(", 1),
                    ] {
                        for piece in text.split(marker).skip(1) {
                            codes.extend(literal_after(piece, nth));
                        }
                    }
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut codes = Vec::new();
        walk(&root.join("core/src"), &mut codes);
        walk(&root.join("api/src"), &mut codes);
        codes.sort();
        codes.dedup();
        codes
    }

    /// No problem a service can return reaches a clerk or an owner in English: every code
    /// in the sources has its own Chinese sentence, and none repeats the English detail.
    #[test]
    fn every_service_code_has_a_chinese_message() {
        let codes = codes_in_sources();
        assert!(codes.len() > 80, "the scan found only {codes:?}");
        let mut missing = Vec::new();
        for code in &codes {
            let code: &'static str = Box::leak(code.clone().into_boxed_str());
            let e = AppError::InvalidInput {
                code,
                message: "English detail until 2027-03-01".into(),
                field: Some("reason"),
            };
            match service_message(&e) {
                None => missing.push(code),
                Some(text) => assert!(
                    !text.contains("English") && !text.is_ascii(),
                    "{code}: {text}"
                ),
            }
        }
        assert!(missing.is_empty(), "no Chinese message for {missing:?}");
    }

    /// The demo's warnings (and any code the API was given) read in Chinese on the portal.
    #[test]
    fn the_demo_warning_categories_are_chinese() {
        for (_, category, _) in fangxin_core::demo::WARNINGS {
            let shown = warning_category_zh(category);
            assert!(shown.chars().all(|c| !c.is_ascii()), "{category}: {shown}");
        }
        assert_eq!(warning_category_zh("节日消费提示"), "节日消费提示");
    }

    /// Every action the services write to the audit log reads in Chinese.
    #[test]
    fn every_audit_action_reads_in_chinese() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src");
        let mut actions = Vec::new();
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for piece in text.split("action: \"").skip(1) {
                        if let Some(action) = piece.split('"').next() {
                            out.push(action.to_owned());
                        }
                    }
                }
            }
        }
        walk(&root, &mut actions);
        for status in ["accepted", "settled", "converted_to_case"] {
            actions.push(format!("complaint.{status}"));
        }
        for kind in ["merchants", "penalties", "complaints"] {
            actions.push(format!("import.{kind}"));
        }
        for verb in ["approve", "reject"] {
            actions.push(format!("credit_repair.{verb}"));
            actions.push(format!("objection.{verb}"));
        }
        assert!(actions.len() > 25, "{actions:?}");
        for action in &actions {
            let zh = audit_action_zh(action);
            assert!(
                !zh.chars().any(|c| c.is_ascii_lowercase()),
                "{action} reads {zh}"
            );
        }
        assert_eq!(audit_action_zh("penalty.publish"), "行政处罚：发布");
        assert_eq!(audit_action_zh("objection.reject"), "异议：不同意");
    }

    #[test]
    fn penalty_amounts_leave_out_what_is_nought() {
        assert_eq!(penalty_amounts(2_000_000, 0), "罚款 ¥20,000.00");
        assert_eq!(
            penalty_amounts(2_000_000, 120_000),
            "罚款 ¥20,000.00，没收 ¥1,200.00"
        );
        assert_eq!(penalty_amounts(0, 0), "");
    }

    #[test]
    fn a_date_in_the_detail_is_kept() {
        let e = AppError::Conflict {
            code: "too_early",
            message: "credit repair of X can be applied for from 2027-03-01 (12 months after the decision)".into(),
        };
        assert_eq!(message(&e), "尚未到可以申请的时间（2027-03-01 起）");
        let e = AppError::invalid("no_such_code", "something English");
        assert_eq!(message(&e), "未能提交：请检查输入后重试。");
    }

    /// Every code the import checks can emit is in the table: the codes written in the
    /// checks' sources (`"invalid_…"`, `"missing_…"` …) are all listed.
    #[test]
    fn the_table_lists_every_code_the_checks_write() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut missing = Vec::new();
        for dir in [
            "core/src/complaints",
            "core/src/merchants",
            "core/src/penalties",
            "core/src/imports",
        ] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                let stated: Vec<&str> = text
                    .split("code: \"")
                    .skip(1)
                    .filter_map(|rest| rest.split('"').next())
                    .collect();
                for piece in text.split('"').skip(1).step_by(2) {
                    let coded = stated.contains(&piece)
                        || [
                            "invalid_",
                            "missing_",
                            "future_",
                            "dates_",
                            "field_too",
                            "duplicate_",
                            "unknown_",
                            "wrong_",
                            "empty_",
                            "personal_",
                            "implausible_",
                            "inconsistent_",
                        ]
                        .iter()
                        .any(|p| piece.starts_with(p));
                    let word = piece.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                    if coded
                        && word
                        && !IMPORT_CODES.contains(&piece)
                        && !NOT_IMPORT.contains(&piece)
                    {
                        missing.push(piece.to_owned());
                    }
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(
            missing.is_empty(),
            "codes without Chinese text: {missing:?}"
        );
    }

    /// Codes in those sources that an import never reports (API-only moves).
    const NOT_IMPORT: &[&str] = &[
        "invalid_transition",
        "invalid_assignee",
        "invalid_answer",
        "already_matched",
        "complaint_not_found",
        "decision_no_changed",
        "file_changed",
        "merchant_exists",
        "penalty_not_found",
        "penalty_revoked",
        "status_unchanged",
    ];
}
