//! Chinese messages for the portal's forms, keyed by the stable problem `code` and `field`
//! the services return (their own messages are English, for the API). A code without a
//! Chinese text falls back to a general sentence with the service's detail.

use fangxin_core::error::AppError;

/// The Chinese name of a form field.
fn field_zh(field: &str) -> &'static str {
    match field {
        "uscc" => "统一社会信用代码",
        "decision_no" => "决定书文号",
        "decided_on" => "决定日期",
        "fine_yuan" => "罚款金额",
        "categories" => "处罚种类",
        "procedure" => "程序",
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

/// A message a person at the counter can act on.
pub fn message(e: &AppError) -> String {
    let field = e.field().map(field_zh).unwrap_or("输入");
    let detail = e.to_string();
    match e.code() {
        "invalid_uscc" => "统一社会信用代码有误：应为18位，含校验位，请核对。".into(),
        "merchant_not_found" => "没有找到这个统一社会信用代码对应的商户。".into(),
        "missing_field" => format!("请填写{field}。"),
        "field_too_long" => format!("{field}太长，请精简。"),
        "future_date" => format!("{field}不能晚于今天。"),
        "dates_out_of_order" => "日期先后顺序不对：截止日应晚于起始日。".into(),
        "invalid_date" | "invalid_period" => format!("{field}有误，日期格式为 年-月-日。"),
        "invalid_level" => "等级应为“承诺单位”或“示范单位”。".into(),
        "invalid_kind" => "请选择名录类别。".into(),
        "invalid_status" => "请选择要改成的状态。".into(),
        "invalid_outcome" => "检验结论应为合格或不合格。".into(),
        "invalid_sample_size" => "抽取数量应为 1 至 500 之间的整数。".into(),
        "invalid_seed" => "随机种子应为非负整数，不填则随机生成。".into(),
        "invalid_grade" => "等级应为 A、B、C 或 D。".into(),
        "population_too_large" | "cannot_draw" => {
            format!("无法按此条件抽取：{detail}")
        }
        "entry_rule" => format!(
            "不符合放心消费单位准入条件（成立满一年；近一年无行政处罚，未列入经营异常名录或严重违法失信名单）。详情：{detail}"
        ),
        "already_enrolled" => "该商户已是有效的放心消费单位。".into(),
        "enrolment_not_found" => "该商户没有可变更的放心消费单位记录。".into(),
        "already_listed" => "该商户已在此名录中。".into(),
        "listing_not_found" => "该商户不在此名录中。".into(),
        "already_removed" => "该名录记录已移出。".into(),
        "result_recorded" => "该抽检已录入结果；如需更正，请通过异议程序。".into(),
        "check_not_found" | "plan_not_found" => "没有找到这次抽检。".into(),
        "already_matched" => "这件投诉已匹配到其他商户。".into(),
        "complaint_not_found" => "没有找到这件投诉。".into(),
        "invalid_transition" => format!("当前状态下不能这样操作：{detail}"),
        "penalty_exists" => "这个决定书文号已发布过。".into(),
        "merchant_exists" => "这个统一社会信用代码已登记。".into(),
        "already_recorded" => "同一记录刚刚已由他人提交，请刷新后核对。".into(),
        "invalid_reason" => "请填写理由（1 至 2000 字）。".into(),
        "invalid_decision" => "请选择决定。".into(),
        _ => format!("未提交：请检查{field}。（{detail}）"),
    }
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
}
