//! The vocabulary of the domain (DOMAIN.md): each enum has a stable snake_case code used in
//! the database, the API and imports, and a Chinese label for people.

use serde::{Deserialize, Serialize};

/// Defines a domain enum with its stable code and its Chinese label, and `parse` that
/// accepts either.
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal, $zh:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code stored in the database and used by the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Chinese name shown to people.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// Accepts the code or the Chinese name, trimmed.
            pub fn parse(input: &str) -> Option<Self> {
                let t = input.trim();
                Self::ALL.iter().copied().find(|v| v.code() == t || v.label_zh() == t)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    let allowed: Vec<&str> = $name::ALL.iter().map(|v| v.code()).collect();
                    serde::de::Error::custom(format!(
                        "unknown value '{s}', expected one of: {}",
                        allowed.join(", ")
                    ))
                })
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let labels: Vec<String> = $name::ALL
                    .iter()
                    .map(|v| format!("`{}` {}", v.code(), v.label_zh()))
                    .collect();
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code),+]))
                    .description(Some(format!(
                        "One of: {} (the Chinese name is accepted too).",
                        labels.join(", ")
                    )))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

coded_enum!(
    /// Kind of registered business.
    MerchantKind {
        Enterprise => "enterprise", "企业";
        Individual => "individual", "个体工商户";
        Cooperative => "cooperative", "农民专业合作社";
    }
);

coded_enum!(
    /// Registration status of a merchant.
    MerchantStatus {
        Operating => "operating", "存续";
        Deregistered => "deregistered", "注销";
        Revoked => "revoked", "吊销";
    }
);

coded_enum!(
    /// Penalty categories of the Administrative Penalty Law (2021), art. 9.
    PenaltyCategory {
        Warning => "warning", "警告";
        PublicCriticism => "public_criticism", "通报批评";
        Fine => "fine", "罚款";
        ConfiscateGains => "confiscate_gains", "没收违法所得";
        ConfiscateProperty => "confiscate_property", "没收非法财物";
        PermitSuspended => "permit_suspended", "暂扣许可证件";
        QualificationLowered => "qualification_lowered", "降低资质等级";
        PermitRevoked => "permit_revoked", "吊销许可证件";
        BusinessRestricted => "business_restricted", "限制开展生产经营活动";
        OrderedToSuspend => "ordered_to_suspend", "责令停产停业";
        OrderedToClose => "ordered_to_close", "责令关闭";
        PersonsBarred => "persons_barred", "限制从业";
    }
);

coded_enum!(
    /// Procedure of a penalty decision: only ordinary-procedure decisions are published.
    Procedure {
        Ordinary => "ordinary", "普通程序";
        Simple => "simple", "简易程序";
    }
);

coded_enum!(
    /// Publicity status of a penalty record.
    PenaltyStatus {
        InPublicity => "in_publicity", "公示中";
        Expired => "expired", "公示期满";
        Repaired => "repaired", "已信用修复";
        Revoked => "revoked", "已撤销";
        NotPublic => "not_public", "不予公示";
    }
);

coded_enum!(
    /// Complaint (mediation), report (enforcement tip) or inquiry.
    ComplaintKind {
        Complaint => "complaint", "投诉";
        Report => "report", "举报";
        Inquiry => "inquiry", "咨询";
    }
);

coded_enum!(
    /// Where a complaint came in; each channel numbers its own tickets.
    Channel {
        Hotline12315 => "12315", "12315热线";
        Hotline12345 => "12345", "12345市长热线";
        Hotline12365 => "12365", "12365质监热线";
        Hotline12331 => "12331", "12331食药热线";
        Hotline96128 => "96128", "96128热线";
        Internet => "internet", "全国12315互联网平台";
        ConsumerAssociation => "consumer_association", "消费者协会";
        CityTransfer => "city_transfer", "市局转办";
        CitySupervision => "city_supervision", "市局督办";
        Letter => "letter", "来信";
        Visit => "visit", "来访";
    }
);

coded_enum!(
    /// Lifecycle of a complaint (DOMAIN.md, "Complaints").
    ComplaintStatus {
        Received => "received", "已登记";
        Accepted => "accepted", "已受理";
        Rejected => "rejected", "不予受理";
        Mediating => "mediating", "调解中";
        Settled => "settled", "调解成功";
        MediationFailed => "mediation_failed", "调解失败";
        Withdrawn => "withdrawn", "撤回";
        ConvertedToCase => "converted_to_case", "诉转案";
    }
);

coded_enum!(
    /// What a complaint is about.
    ComplaintCategory {
        Quality => "quality", "商品质量";
        Price => "price", "价格";
        FalseAdvertising => "false_advertising", "虚假宣传";
        Contract => "contract", "合同纠纷";
        Safety => "safety", "安全";
        PrepaidCard => "prepaid_card", "预付卡";
        AfterSales => "after_sales", "售后服务";
        FoodLabel => "food_label", "食品标签";
        Expiry => "expiry", "过期食品";
        Service => "service", "服务质量";
    }
);

coded_enum!(
    /// The two lists a merchant can be put on.
    ListingKind {
        Abnormal => "abnormal", "经营异常名录";
        SeriousViolation => "serious_violation", "严重违法失信名单";
    }
);

coded_enum!(
    /// Level in the trusted-consumption programme.
    TrustedLevel {
        Pledged => "pledged", "承诺单位";
        Demonstration => "demonstration", "示范单位";
    }
);

coded_enum!(
    /// Status of a trusted-consumption enrolment.
    TrustedStatus {
        Active => "active", "有效";
        Suspended => "suspended", "暂停";
        Revoked => "revoked", "撤销";
    }
);

coded_enum!(
    /// Pledges inside the trusted-consumption programme.
    Pledge {
        AdvanceCompensation => "advance_compensation", "先行赔付";
        NoReasonReturns => "no_reason_returns", "线下无理由退货";
        FirstInquiry => "first_inquiry", "首问负责";
        IncomingInspection => "incoming_inspection", "进货查验";
        Recall => "recall", "不合格商品召回";
    }
);

coded_enum!(
    /// Outcome of a spot check.
    SpotCheckOutcome {
        Qualified => "qualified", "合格";
        Unqualified => "unqualified", "不合格";
    }
);

coded_enum!(
    /// Account roles.
    Role {
        Enterprise => "enterprise", "企业";
        Regulator => "regulator", "监管人员";
        Admin => "admin", "管理员";
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_chinese_names() {
        assert_eq!(PenaltyCategory::parse("罚款"), Some(PenaltyCategory::Fine));
        assert_eq!(
            PenaltyCategory::parse(" fine "),
            Some(PenaltyCategory::Fine)
        );
        assert_eq!(Channel::parse("12315"), Some(Channel::Hotline12315));
        assert_eq!(ComplaintKind::parse("nonsense"), None);
    }

    #[test]
    fn serde_uses_the_code() {
        let json = serde_json::to_string(&PenaltyCategory::PermitRevoked).unwrap();
        assert_eq!(json, "\"permit_revoked\"");
    }
}
