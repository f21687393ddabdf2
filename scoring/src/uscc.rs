//! The unified social credit code (统一社会信用代码, GB 32100-2015).
//!
//! A `Uscc` can only be made by [`Uscc::parse`] or [`Uscc::from_parts`], so code that holds
//! one never checks it again.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The 31 characters a USCC may use, in value order (no I, O, Z, S or V).
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// `3^(i-1) mod 31` for positions 1..=17.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// Weights of the organisation code (GB 11714) over its first eight characters.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A valid 18-character unified social credit code, stored in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Uscc(String);

/// Why a string is not a USCC; each variant names the check that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("a USCC has 18 characters, this one has {found}")]
    Length { found: usize },
    #[error(
        "character {position} ('{character}') is not allowed: a USCC uses digits and capital letters without I, O, Z, S and V"
    )]
    Character { position: usize, character: char },
    #[error(
        "the organisation code (characters 9-17) fails its check: character 17 should be '{expected}', not '{found}'"
    )]
    OrganisationCheck { expected: char, found: char },
    #[error("the check character (18th) should be '{expected}', not '{found}'")]
    CheckCharacter { expected: char, found: char },
}

impl UsccError {
    /// Stable machine-readable name of the failed check.
    pub fn check(&self) -> &'static str {
        match self {
            UsccError::Length { .. } => "length",
            UsccError::Character { .. } => "character",
            UsccError::OrganisationCheck { .. } => "organisation_code_check",
            UsccError::CheckCharacter { .. } => "check_character",
        }
    }
}

fn value_of(byte: u8) -> Option<u32> {
    CHARSET.iter().position(|&c| c == byte).map(|v| v as u32)
}

/// Value of an organisation-code character: digits, then A=10 … Z=35.
fn org_value(byte: u8) -> u32 {
    match byte {
        b'0'..=b'9' => u32::from(byte - b'0'),
        b'A'..=b'Z' => u32::from(byte - b'A') + 10,
        _ => 0,
    }
}

fn org_check_char(body: &[u8]) -> char {
    let sum: u32 = body
        .iter()
        .zip(ORG_WEIGHTS)
        .map(|(&b, w)| org_value(b) * w)
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        c => char::from(b'0' + c as u8),
    }
}

fn uscc_check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| value_of(b).unwrap_or(0) * w)
        .sum();
    char::from(CHARSET[((31 - sum % 31) % 31) as usize])
}

impl Uscc {
    /// Parses user input: surrounding spaces and lower case are forgiven.
    pub fn parse(input: &str) -> Result<Self, UsccError> {
        let upper = input.trim().to_ascii_uppercase();
        let count = upper.chars().count();
        if count != 18 || upper.len() != 18 {
            return Err(UsccError::Length { found: count });
        }
        let bytes = upper.as_bytes();
        if let Some(position) = bytes.iter().position(|&b| value_of(b).is_none()) {
            return Err(UsccError::Character {
                position: position + 1,
                character: char::from(bytes[position]),
            });
        }
        let expected_org = org_check_char(&bytes[8..16]);
        if char::from(bytes[16]) != expected_org {
            return Err(UsccError::OrganisationCheck {
                expected: expected_org,
                found: char::from(bytes[16]),
            });
        }
        let expected = uscc_check_char(&bytes[..17]);
        if char::from(bytes[17]) != expected {
            return Err(UsccError::CheckCharacter {
                expected,
                found: char::from(bytes[17]),
            });
        }
        Ok(Uscc(upper))
    }

    /// Builds a valid code from its parts, computing both check characters.
    ///
    /// `authority` and `category` are single characters, `division` six digits and
    /// `org_body` the first eight characters of the organisation code; all must use the
    /// USCC character set.
    pub fn from_parts(
        authority: char,
        category: char,
        division: &str,
        org_body: &str,
    ) -> Result<Self, UsccError> {
        let mut s = String::with_capacity(18);
        s.push(authority);
        s.push(category);
        s.push_str(division);
        s.push_str(org_body);
        if s.len() != 16 {
            return Err(UsccError::Length { found: s.len() + 2 });
        }
        let org = org_check_char(&s.as_bytes()[8..16]);
        s.push(org);
        if let Some(position) = s.bytes().position(|b| value_of(b).is_none()) {
            return Err(UsccError::Character {
                position: position + 1,
                character: char::from(s.as_bytes()[position]),
            });
        }
        let check = uscc_check_char(s.as_bytes());
        s.push(check);
        Ok(Uscc(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit administrative division (characters 3-8).
    pub fn division(&self) -> &str {
        &self.0[2..8]
    }

    /// Every valid code that differs from `input` in exactly one character: where a code
    /// typed in full names no merchant, the registered one among these is likely meant.
    /// Empty unless `input` has the shape of a USCC.
    pub fn one_character_away(input: &str) -> Vec<Uscc> {
        let upper = input.trim().to_ascii_uppercase();
        if !Uscc::looks_like(&upper) {
            return Vec::new();
        }
        let mut bytes = upper.into_bytes();
        let mut out = Vec::new();
        for i in 0..bytes.len() {
            let original = bytes[i];
            for &c in CHARSET {
                if c == original {
                    continue;
                }
                bytes[i] = c;
                if let Ok(s) = std::str::from_utf8(&bytes)
                    && let Ok(code) = Uscc::parse(s)
                {
                    out.push(code);
                }
            }
            bytes[i] = original;
        }
        out
    }

    /// Whether a query string has the shape of a USCC (18 characters from the charset,
    /// case and spaces forgiven), whether or not its checks pass.
    pub fn looks_like(input: &str) -> bool {
        let t = input.trim();
        t.len() == 18
            && t.bytes()
                .all(|b| value_of(b.to_ascii_uppercase()).is_some())
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Uscc {
    type Err = UsccError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

impl<'de> Deserialize<'de> for Uscc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Uscc::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Uscc {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(
                "^[0-9A-HJ-NP-RT-UW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RT-UW-Y]{10}$",
            ))
            .description(Some(
                "Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters \
                 with two check characters.",
            ))
            .examples(["91350100M000100Y43"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Uscc {}

impl AsRef<str> for Uscc {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_real_codes() {
        // Published codes of real Chinese companies.
        for code in [
            "91350100M000100Y43",
            "91110000802100433B",
            "91440300708461136T",
        ] {
            assert!(Uscc::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn codes_one_character_away_include_the_meant_one() {
        let meant = Uscc::from_parts('9', '2', "530102", "MA000123").unwrap();
        let mut typed = meant.as_str().to_owned().into_bytes();
        typed[11] = if typed[11] == b'7' { b'8' } else { b'7' };
        let typed = String::from_utf8(typed).unwrap();
        let near = Uscc::one_character_away(&typed);
        assert!(near.contains(&meant), "{near:?}");
        assert!(near.iter().all(|c| c.as_str() != typed));
        assert!(Uscc::one_character_away("老滇味").is_empty());
    }

    #[test]
    fn forgives_case_and_spaces_and_stores_upper_case() {
        let u = Uscc::parse("  91350100m000100y43 ").unwrap();
        assert_eq!(u.as_str(), "91350100M000100Y43");
    }

    #[test]
    fn names_the_failed_check() {
        assert_eq!(Uscc::parse("9135").unwrap_err().check(), "length");
        assert_eq!(
            Uscc::parse("91350100M000100YI3").unwrap_err().check(),
            "character"
        );
        assert_eq!(
            Uscc::parse("91350100M000100Y44").unwrap_err().check(),
            "check_character"
        );
        // A resident ID number is 18 digits and may pass mod 31 by chance, never both checks.
        assert!(Uscc::parse("110101199003077777").is_err());
    }

    #[test]
    fn remainder_zero_maps_to_character_zero() {
        // Search a code whose check value is 0 and make sure it round-trips.
        let mut found = false;
        for n in 0..10_000u32 {
            let u = Uscc::from_parts('9', '1', "530102", &format!("MA{n:06}")).unwrap();
            if u.as_str().ends_with('0') {
                assert!(Uscc::parse(u.as_str()).is_ok());
                found = true;
                break;
            }
        }
        assert!(found);
    }

    proptest! {
        #[test]
        fn from_parts_always_parses(n in 0u32..100_000_000, cat in prop::sample::select(vec!['1','2','3'])) {
            let u = Uscc::from_parts('9', cat, "530102", &format!("{n:08}")).unwrap();
            prop_assert_eq!(Uscc::parse(u.as_str()).unwrap(), u.clone());
            prop_assert_eq!(u.division(), "530102");
        }

        #[test]
        fn changing_one_character_is_caught(n in 0u32..100_000_000, pos in 0usize..18, delta in 1u32..31) {
            let u = Uscc::from_parts('9', '1', "530102", &format!("{n:08}")).unwrap();
            let mut bytes = u.as_str().as_bytes().to_vec();
            let v = value_of(bytes[pos]).unwrap();
            bytes[pos] = CHARSET[((v + delta) % 31) as usize];
            let s = String::from_utf8(bytes).unwrap();
            prop_assert!(Uscc::parse(&s).is_err());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Uscc::parse(&s);
        }
    }
}
