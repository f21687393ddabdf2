//! Checks every way in shares (API, portal, import): text a person can read, dates that can
//! be true, and streets of the district. Each refusal names its field.
//!
//! - Names and short fields hold no control characters and no bidirectional controls
//!   (U+202E would show `gnp.exe` as `exe.png`, a shop name could read backwards).
//! - Long texts (facts, complaint texts) may hold line breaks and tabs, nothing else of that.
//! - Dates lie between a field's earliest plausible day and today: no decision of 0001-01-01.
//! - Streets, when the district lists them (`[district] streets`), are one of its own.

use std::sync::RwLock;

use chrono::NaiveDate;

use crate::error::{AppError, AppResult};

/// Earliest decision date taken: the Administrative Penalty Law dates from 1996; records
/// digitised from before it are kept from 1990.
pub const EARLIEST_DECISION: NaiveDate = match NaiveDate::from_ymd_opt(1990, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};
/// Earliest complaint taken: the 12315 hotline opened in 1999.
pub const EARLIEST_COMPLAINT: NaiveDate = match NaiveDate::from_ymd_opt(1999, 3, 15) {
    Some(d) => d,
    None => panic!("a valid date"),
};
/// Earliest establishment date of a business still registered.
pub const EARLIEST_ESTABLISHMENT: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// Bidirectional formatting characters: embeddings, overrides, isolates and marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A name or other one-line field: no control or bidirectional characters.
pub fn line(field: &'static str, value: &str) -> AppResult<()> {
    match value
        .chars()
        .find(|c| c.is_control() || is_bidi_control(*c))
    {
        None => Ok(()),
        Some(c) => Err(refused(field, c)),
    }
}

/// A long text: line breaks and tabs are fine; other control and bidirectional
/// characters are not.
pub fn text(field: &'static str, value: &str) -> AppResult<()> {
    match value
        .chars()
        .find(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_bidi_control(*c))
    {
        None => Ok(()),
        Some(c) => Err(refused(field, c)),
    }
}

fn refused(field: &'static str, c: char) -> AppError {
    AppError::invalid_field(
        field,
        "invalid_character",
        format!(
            "{field} holds the control character U+{:04X}; remove it and send again",
            u32::from(c)
        ),
    )
}

/// A date between `earliest` and `today`, both included.
pub fn date(
    field: &'static str,
    value: NaiveDate,
    earliest: NaiveDate,
    today: NaiveDate,
) -> AppResult<()> {
    if value > today {
        return Err(AppError::invalid_field(
            field,
            "future_date",
            format!("{field} cannot be in the future"),
        ));
    }
    if value < earliest {
        return Err(AppError::invalid_field(
            field,
            "implausible_date",
            format!("{field} cannot be before {earliest}"),
        ));
    }
    Ok(())
}

/// A subdistrict's name as stored: `华山` and `华山街道` are the same street. Towns (镇)
/// and townships (乡) keep their own suffix.
pub fn normalize_street(street: &str) -> String {
    let s = street.trim();
    if s.is_empty()
        || ["街道", "镇", "乡"]
            .iter()
            .any(|suffix| s.ends_with(suffix))
    {
        s.to_owned()
    } else {
        format!("{s}街道")
    }
}

static STREETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// The district's streets (subdistricts, towns), as settings list them; an empty list takes
/// any street. Set once at start-up, like the clock's offset.
pub fn set_district_streets(streets: &[String]) {
    let normalized = streets
        .iter()
        .map(|s| normalize_street(s))
        .filter(|s| !s.is_empty())
        .collect();
    match STREETS.write() {
        Ok(mut s) => *s = normalized,
        Err(poisoned) => *poisoned.into_inner() = normalized,
    }
}

/// A street of this district, normalised (`华山` → `华山街道`).
pub fn street(field: &'static str, value: &str) -> AppResult<String> {
    line(field, value)?;
    let street = normalize_street(value);
    // Read in place: an import checks every row's street.
    let known = match STREETS.read() {
        Ok(s) => s,
        Err(poisoned) => poisoned.into_inner(),
    };
    if known.is_empty() || street.is_empty() || known.contains(&street) {
        return Ok(street);
    }
    Err(AppError::invalid_field(
        field,
        "unknown_street",
        format!(
            "{value:?} is not a street of this district; one of: {}",
            known.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_hold_no_controls_and_texts_keep_their_lines() {
        assert!(line("name", "老滇味（东风西路店）").is_ok());
        assert!(line("name", "abc\u{202E}gnp.exe").is_err());
        assert!(line("name", "a\tb").is_err());
        assert!(line("name", "a\u{7}b").is_err());
        assert!(text("facts", "第一行\n第二行\t备注\r\n").is_ok());
        assert!(text("facts", "a\u{0}b").is_err());
        assert!(text("facts", "a\u{2067}b").is_err());
        let e = line("name", "a\u{202E}b").unwrap_err();
        assert_eq!(e.field(), Some("name"));
        assert!(e.to_string().contains("U+202E"), "{e}");
    }

    #[test]
    fn dates_lie_between_the_earliest_day_and_today() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert!(date("decided_on", d(2026, 12, 1), EARLIEST_DECISION, today).is_ok());
        assert!(date("decided_on", d(2026, 12, 2), EARLIEST_DECISION, today).is_err());
        let e = date("decided_on", d(1, 1, 1), EARLIEST_DECISION, today).unwrap_err();
        assert_eq!(e.code(), "implausible_date");
        assert!(date("decided_on", NaiveDate::MIN, EARLIEST_DECISION, today).is_err());
    }
}
