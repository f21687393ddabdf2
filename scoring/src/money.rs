//! Money is integer fen. Input is yuan as people write it: `1234`, `1234.5`, `1234.56`.

/// Why a string is not an amount of yuan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("an amount is written in yuan with at most two decimals, like 1234.56")]
    Format,
    #[error("an amount cannot be negative")]
    Negative,
    #[error("an amount above 100 billion yuan is not plausible")]
    TooLarge,
}

/// The largest amount accepted: 100 billion yuan, in fen.
pub const MAX_FEN: i64 = 100_000_000_000 * 100;

/// Parses yuan into fen, exactly (no floating point).
pub fn parse_yuan(input: &str) -> Result<i64, MoneyError> {
    let t = input.trim().replace([',', '，'], "");
    if t.starts_with('-') {
        return Err(MoneyError::Negative);
    }
    let t = t.strip_prefix('+').unwrap_or(&t);
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t, ""),
    };
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 15
    {
        return Err(MoneyError::Format);
    }
    let yuan: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| MoneyError::Format)?
    };
    let mut cents = frac.to_owned();
    while cents.len() < 2 {
        cents.push('0');
    }
    let cents: i64 = cents.parse().map_err(|_| MoneyError::Format)?;
    let fen = yuan
        .checked_mul(100)
        .and_then(|f| f.checked_add(cents))
        .ok_or(MoneyError::TooLarge)?;
    if fen > MAX_FEN {
        return Err(MoneyError::TooLarge);
    }
    Ok(fen)
}

/// Fen as yuan with two decimals, for display and export.
pub fn format_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Fen as a person reads money: 「¥1,234.00」, thousands grouped with commas.
pub fn display_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    let whole = (a / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}¥{grouped}.{:02}", a % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_with_the_yuan_sign_and_grouped_thousands() {
        assert_eq!(display_yuan(0), "¥0.00");
        assert_eq!(display_yuan(5), "¥0.05");
        assert_eq!(display_yuan(123_400), "¥1,234.00");
        assert_eq!(display_yuan(100_000_000), "¥1,000,000.00");
        assert_eq!(display_yuan(12_345_678_901), "¥123,456,789.01");
        assert_eq!(display_yuan(-99_999), "-¥999.99");
    }
    use proptest::prelude::*;

    #[test]
    fn parses_yuan_exactly() {
        assert_eq!(parse_yuan("1234"), Ok(123_400));
        assert_eq!(parse_yuan("1234.5"), Ok(123_450));
        assert_eq!(parse_yuan(" 0.07 "), Ok(7));
        assert_eq!(parse_yuan("10,000.00"), Ok(1_000_000));
        assert_eq!(parse_yuan("-1"), Err(MoneyError::Negative));
        assert_eq!(parse_yuan("1.234"), Err(MoneyError::Format));
        assert_eq!(parse_yuan("abc"), Err(MoneyError::Format));
        assert_eq!(parse_yuan(""), Err(MoneyError::Format));
        assert_eq!(parse_yuan("1e5"), Err(MoneyError::Format));
        assert_eq!(parse_yuan("999999999999999"), Err(MoneyError::TooLarge));
    }

    proptest! {
        #[test]
        fn round_trips(fen in 0i64..MAX_FEN) {
            prop_assert_eq!(parse_yuan(&format_yuan(fen)), Ok(fen));
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = parse_yuan(&s);
        }
    }
}
