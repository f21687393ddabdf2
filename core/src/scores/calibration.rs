//! What the grades say about the record they summarise: the grade mix of all merchants and of
//! the merchants holding each kind of record (`fangxin score calibrate`). A consumer reads A as
//! 放心, so a grade is honest only if, say, a shop fined ¥10,000 last month is not A.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, Statement, Value};

use crate::error::AppResult;

/// Products a spot check of which counts as a food check (with the food industries).
pub const FOOD_INDUSTRIES: &[&str] = &["餐饮", "农贸市场"];
const FOOD_PRODUCT_WORDS: &[&str] = &[
    "食品", "酒", "饮料", "米线", "凉菜", "卤味", "蔬菜", "肉", "干货", "菌",
];

/// Whether a spot check is of food: in a food industry, or of a food product.
pub fn is_food(industry: &str, product: &str) -> bool {
    FOOD_INDUSTRIES.contains(&industry) || FOOD_PRODUCT_WORDS.iter().any(|w| product.contains(w))
}

/// Whether a spot check is of drugs or medical devices.
pub fn is_drug(industry: &str, product: &str) -> bool {
    industry == "药店" || ["药", "医疗器械"].iter().any(|w| product.contains(w))
}

/// One line of the table: the merchants with a kind of record, and their grades.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CalibrationRow {
    pub label: &'static str,
    pub merchants: i64,
    /// Merchants per grade A, B, C, D.
    pub grades: [i64; 4],
}

impl CalibrationRow {
    /// The share of a grade (0: A … 3: D) in percent.
    pub fn share(&self, grade: usize) -> f64 {
        100.0 * self.grades[grade] as f64 / self.merchants.max(1) as f64
    }
}

/// Conditions on a merchant `s.merchant_id`, as SQL both backends read. `?1` is today and
/// `?2` the day a year before, bound as dates.
fn rows() -> Vec<(&'static str, String)> {
    let in_publicity =
        "p.merchant_id = s.merchant_id AND p.status = 'in_publicity' AND p.publicity_end >= ?1";
    let food = {
        let industries: Vec<String> = FOOD_INDUSTRIES.iter().map(|i| format!("'{i}'")).collect();
        let words: Vec<String> = FOOD_PRODUCT_WORDS
            .iter()
            .map(|w| format!("r.product LIKE '%{w}%'"))
            .collect();
        format!(
            "(m.industry IN ({}) OR {})",
            industries.join(", "),
            words.join(" OR ")
        )
    };
    let unqualified = "r.merchant_id = s.merchant_id AND r.outcome = 'unqualified' \
                       AND r.published = TRUE AND r.checked_on IS NOT NULL";
    let listed = |kind: &str| {
        format!(
            "EXISTS (SELECT 1 FROM listings l WHERE l.merchant_id = s.merchant_id \
             AND l.kind = '{kind}' AND l.listed_on <= ?1 \
             AND (l.removed_on IS NULL OR l.removed_on > ?1))"
        )
    };
    vec![
        ("all", "1 = 1".to_owned()),
        (
            "with a penalty in publicity",
            format!("EXISTS (SELECT 1 FROM penalties p WHERE {in_publicity})"),
        ),
        (
            "with a penalty above a warning in publicity",
            format!(
                "EXISTS (SELECT 1 FROM penalties p WHERE {in_publicity} \
                 AND CAST(p.categories AS TEXT) <> '[\"warning\"]')"
            ),
        ),
        (
            "with a fine of ¥10,000 or more in publicity",
            format!(
                "EXISTS (SELECT 1 FROM penalties p WHERE {in_publicity} \
                 AND p.fine_fen >= 1000000)"
            ),
        ),
        (
            "with a serious penalty in publicity",
            format!("EXISTS (SELECT 1 FROM penalties p WHERE {in_publicity} AND p.serious = TRUE)"),
        ),
        (
            "with an unqualified spot check (3 years)",
            format!("EXISTS (SELECT 1 FROM spot_check_results r WHERE {unqualified})"),
        ),
        (
            "with an unqualified food spot check (12 months)",
            format!(
                "EXISTS (SELECT 1 FROM spot_check_results r JOIN merchants m \
                 ON m.id = r.merchant_id WHERE {unqualified} AND r.checked_on > ?2 AND {food})"
            ),
        ),
        ("on the abnormal-operations list", listed("abnormal")),
        ("on the serious-violation list", listed("serious_violation")),
        (
            "with no record at all",
            "NOT EXISTS (SELECT 1 FROM penalties p WHERE p.merchant_id = s.merchant_id) \
             AND NOT EXISTS (SELECT 1 FROM complaints c WHERE c.merchant_id = s.merchant_id \
             AND c.kind <> 'inquiry') \
             AND NOT EXISTS (SELECT 1 FROM listings l WHERE l.merchant_id = s.merchant_id) \
             AND NOT EXISTS (SELECT 1 FROM spot_check_results r \
             WHERE r.merchant_id = s.merchant_id AND r.outcome = 'unqualified')"
                .to_owned(),
        ),
    ]
}

/// The grade mix overall and by record kind, as the stored scores have it on `today`.
pub async fn calibration<C: ConnectionTrait>(
    db: &C,
    today: NaiveDate,
) -> AppResult<Vec<CalibrationRow>> {
    let backend = db.get_database_backend();
    let year_ago = today - chrono::TimeDelta::days(365);
    let mut out = Vec::new();
    for (label, condition) in rows() {
        let sql = format!(
            "SELECT s.grade AS grade, COUNT(*) AS n FROM scores s WHERE {condition} \
             GROUP BY s.grade"
        );
        // PostgreSQL numbers its parameters `$1`; SQLite reads `?1` as well as `$1`.
        let sql = sql.replace("?1", "$1").replace("?2", "$2");
        let mut values = vec![Value::from(today)];
        if sql.contains("$2") {
            values.push(Value::from(year_ago));
        }
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        let mut grades = [0i64; 4];
        for row in rows {
            let grade: String = row.try_get("", "grade")?;
            let n: i64 = row.try_get("", "n")?;
            if let Some(i) = ["A", "B", "C", "D"].iter().position(|g| *g == grade) {
                grades[i] += n;
            }
        }
        out.push(CalibrationRow {
            label,
            merchants: grades.iter().sum(),
            grades,
        });
    }
    Ok(out)
}

/// The table as Markdown, as `docs/scoring.md` and the issue print it.
pub fn markdown(rows: &[CalibrationRow]) -> String {
    let mut out = String::from("| merchants … | n | A | B | C | D |\n|---|---|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {:.1} % | {:.1} % | {:.1} % | {:.1} % |\n",
            r.label,
            r.merchants,
            r.share(0),
            r.share(1),
            r.share(2),
            r.share(3)
        ));
    }
    out
}
