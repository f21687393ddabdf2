//! What every console page shares: the navigation between its sections, the clerk's name
//! and the logout button, the line after a form went through, and a refused form's draft
//! (what was typed, with the problem beside its field).

use axum::http::HeaderMap;
use fangxin_core::error::AppError;

use super::super::session::{Csrf, RegulatorPage};
use crate::state::AppState;

/// The console's sections, in the order of its navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Desk,
    Complaints,
    Penalties,
    Trusted,
    SpotChecks,
    Listings,
    Applications,
    Claimants,
    Reports,
    Warnings,
    Imports,
    Audit,
}

impl Section {
    pub const ALL: [Section; 12] = [
        Section::Desk,
        Section::Complaints,
        Section::Penalties,
        Section::Trusted,
        Section::SpotChecks,
        Section::Listings,
        Section::Applications,
        Section::Claimants,
        Section::Reports,
        Section::Warnings,
        Section::Imports,
        Section::Audit,
    ];

    pub fn href(self) -> &'static str {
        match self {
            Section::Desk => "/admin",
            Section::Complaints => "/admin/complaints",
            Section::Penalties => "/admin/penalties",
            Section::Trusted => "/admin/trusted",
            Section::SpotChecks => "/admin/spot-checks",
            Section::Listings => "/admin/listings",
            Section::Applications => "/admin/applications",
            Section::Claimants => "/admin/claimants",
            Section::Reports => "/admin/reports/complaints",
            Section::Warnings => "/admin/warnings",
            Section::Imports => "/admin/imports",
            Section::Audit => "/admin/audit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Section::Desk => "工作台",
            Section::Complaints => "投诉",
            Section::Penalties => "处罚",
            Section::Trusted => "放心消费",
            Section::SpotChecks => "抽检",
            Section::Listings => "名录",
            Section::Applications => "申请",
            Section::Claimants => "职业索赔",
            Section::Reports => "报告",
            Section::Warnings => "警示",
            Section::Imports => "导入",
            Section::Audit => "日志",
        }
    }
}

/// The frame of a console page: who is logged in, where they are, and what just happened.
pub struct Frame {
    pub csrf: String,
    pub username: String,
    pub section: Section,
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl Frame {
    /// The frame for `section`, with the form token the page's forms carry.
    pub fn of(
        state: &AppState,
        page: &RegulatorPage,
        headers: &HeaderMap,
        section: Section,
    ) -> (Frame, Csrf) {
        let csrf = Csrf::of(headers, state.settings.server.secure_cookies);
        (
            Frame {
                csrf: csrf.token.clone(),
                username: page.0.session.username.clone(),
                section,
                notice: None,
                error: None,
            },
            csrf,
        )
    }

    pub fn with_notice(mut self, done: Option<&str>) -> Self {
        self.notice = super::super::forms::notice(done);
        self
    }

    pub fn with_error(mut self, error: Option<String>) -> Self {
        self.error = error;
        self
    }

    /// The navigation: link, label, and whether it is this page.
    pub fn nav(&self) -> Vec<(&'static str, &'static str, bool)> {
        Section::ALL
            .iter()
            .map(|s| (s.href(), s.label(), *s == self.section))
            .collect()
    }
}

/// A refused form as the clerk left it: what was typed, and the problem beside its field
/// (or at the top of the form when no field of it owns the problem). A page holds many
/// forms; `form` says which one this is, so the others show as they were.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    form: String,
    values: Vec<(String, String)>,
    field: Option<&'static str>,
    message: Option<String>,
}

impl Draft {
    /// No form was refused.
    pub fn none() -> Self {
        Draft::default()
    }

    /// The form `form` (with the fields it shows problems beside) was refused with `e`.
    pub fn refused(
        form: impl Into<String>,
        fields: &[&'static str],
        values: Vec<(String, String)>,
        e: &AppError,
    ) -> Self {
        Draft::with_problem(
            form,
            fields,
            values,
            e.field(),
            super::super::zh::message(e),
        )
    }

    /// The form was refused with a message of the console's own, placed by `field`.
    pub fn with_problem(
        form: impl Into<String>,
        fields: &[&'static str],
        values: Vec<(String, String)>,
        field: Option<&'static str>,
        message: String,
    ) -> Self {
        Draft {
            form: form.into(),
            values: values.into_iter().filter(|(k, _)| k != "csrf").collect(),
            field: field.filter(|f| fields.contains(f)),
            message: Some(message),
        }
    }

    fn is(&self, form: &str) -> bool {
        self.message.is_some() && self.form == form
    }

    /// Whether `form` is the one refused (to open its folded section again).
    pub fn holds(&self, form: &str) -> bool {
        self.is(form)
    }

    /// What was typed into `name` of `form`; empty when that form was not refused.
    pub fn v(&self, form: &str, name: &str) -> &str {
        self.or(form, name, "")
    }

    /// What was typed into `name` of `form` when it was refused, else `default`.
    pub fn or<'a>(&'a self, form: &str, name: &str, default: &'a str) -> &'a str {
        if !self.is(form) {
            return default;
        }
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Whether a check box (or an option) `name` = `value` is on: as the clerk left it
    /// when `form` was refused, else `default`.
    pub fn ticked(&self, form: &str, name: &str, value: &str, default: bool) -> bool {
        if !self.is(form) {
            return default;
        }
        self.values.iter().any(|(k, v)| k == name && v == value)
    }

    /// The problem to show beside `name` of `form`.
    pub fn at(&self, form: &str, name: &str) -> Option<&str> {
        (self.is(form) && self.field.is_some_and(|f| f == name))
            .then_some(self.message.as_deref())
            .flatten()
    }

    /// The problem of whichever form was refused, when none of its fields owns it.
    pub fn top_any(&self) -> Option<&str> {
        self.field
            .is_none()
            .then_some(self.message.as_deref())
            .flatten()
    }

    /// The problem to show at the top of `form`: one none of its fields owns.
    pub fn top(&self, form: &str) -> Option<&str> {
        (self.is(form) && self.field.is_none())
            .then_some(self.message.as_deref())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed() -> Vec<(String, String)> {
        vec![
            ("csrf".into(), "t".into()),
            ("uscc".into(), "9153".into()),
            ("pledges".into(), "genuine".into()),
        ]
    }

    #[test]
    fn a_refused_form_keeps_what_was_typed_and_places_its_problem() {
        let e = AppError::invalid_field("uscc", "invalid_uscc", "bad");
        let d = Draft::refused("enrol", &["uscc", "level"], typed(), &e);
        assert_eq!(d.v("enrol", "uscc"), "9153");
        assert_eq!(d.v("enrol", "csrf"), "", "the token is not kept");
        assert!(d.at("enrol", "uscc").is_some());
        assert!(d.top("enrol").is_none());
        assert!(d.ticked("enrol", "pledges", "genuine", false));
        assert!(
            !d.ticked("enrol", "pledges", "refund", true),
            "unticked stays so"
        );
        // The page's other forms show as they were.
        assert_eq!(d.or("status", "uscc", "x"), "x");
        assert!(d.at("status", "uscc").is_none());
        assert!(d.ticked("status", "pledges", "refund", true));
    }

    #[test]
    fn a_problem_no_field_of_the_form_owns_shows_at_its_top() {
        let e = AppError::invalid_field("valid_to", "invalid_date", "bad");
        let d = Draft::refused("enrol", &["uscc"], typed(), &e);
        assert!(d.at("enrol", "valid_to").is_none());
        assert!(d.top("enrol").is_some());
        assert!(Draft::none().top("enrol").is_none());
    }
}
