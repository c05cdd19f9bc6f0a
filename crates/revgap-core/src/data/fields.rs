//! Parsing of single fields (numbers, dates, booleans) and resolution of header columns.
//!
//! Each parser returns the text of what was expected on failure, so callers can build the
//! one-line `file:line:column (name): expected …, found "…"` message.

use super::error::{DataError, Location, RowError, RowProblem};
use chrono::NaiveDate;

/// How fields are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    Byte(u8),
    /// Runs of spaces and tabs (CDNOW-style files), leading blanks ignored.
    Whitespace,
}

/// A flag's value (or a file's setting of the same kind) that does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagValueError {
    #[error("expected one ASCII character, 'tab' or 'whitespace', found '{found}'")]
    Delimiter { found: String },
    #[error("column numbers start at 1, found 0")]
    ColumnZero,
    #[error("expected a column name or number")]
    ColumnEmpty,
    #[error(
        "{format:?}: expected a chrono date format with a day, a month and a year, such as %m/%d/%Y or %d.%m.%Y"
    )]
    DateFormat { format: String },
    #[error("expected a date as YYYY-MM-DD or YYYYMMDD, found '{found}'")]
    Date { found: String },
}

impl Default for Delimiter {
    fn default() -> Self {
        Self::Byte(b',')
    }
}

impl Delimiter {
    /// Parses a `--delimiter` value: a single character, `tab`, `whitespace`, `comma`, …
    pub fn parse(text: &str) -> Result<Self, FlagValueError> {
        match text {
            "whitespace" | "ws" => Ok(Self::Whitespace),
            "tab" | "\\t" | "\t" => Ok(Self::Byte(b'\t')),
            "comma" => Ok(Self::Byte(b',')),
            "semicolon" => Ok(Self::Byte(b';')),
            "pipe" => Ok(Self::Byte(b'|')),
            other if other.len() == 1 && other.is_ascii() => Ok(Self::Byte(other.as_bytes()[0])),
            other => Err(FlagValueError::Delimiter {
                found: other.to_string(),
            }),
        }
    }
}

/// A column named by header text or by 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRef {
    Name(String),
    Index(usize),
}

impl ColumnRef {
    /// A flag value: all digits means a 1-based index, anything else a header name.
    pub fn parse(text: &str) -> Result<Self, FlagValueError> {
        match text.trim().parse::<usize>() {
            Ok(0) => Err(FlagValueError::ColumnZero),
            Ok(index) => Ok(Self::Index(index)),
            Err(_) if text.trim().is_empty() => Err(FlagValueError::ColumnEmpty),
            Err(_) => Ok(Self::Name(text.to_string())),
        }
    }
}

/// Finds required columns in a header; returns 0-based positions in the order asked.
pub fn resolve_columns(
    path: &str,
    header: Option<&[String]>,
    wanted: &[&ColumnRef],
    expected: &str,
) -> Result<Vec<usize>, DataError> {
    let mut positions = Vec::with_capacity(wanted.len());
    for column in wanted {
        let found = match (column, header) {
            (ColumnRef::Index(index), _) => Some(index - 1),
            (ColumnRef::Name(name), Some(names)) => {
                let mut matching = names
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.trim().eq_ignore_ascii_case(name.trim()))
                    .map(|(position, _)| position);
                let first = matching.next();
                if let (Some(first), Some(second)) = (first, matching.next()) {
                    return Err(DataError::Invalid(format!(
                        "{path}:1: column '{}' appears twice (columns {} and {}); expected each column name once",
                        shown(name.as_bytes()),
                        first + 1,
                        second + 1
                    )));
                }
                first
            }
            (ColumnRef::Name(_), None) => None,
        };
        match found {
            Some(position) => positions.push(position),
            None => {
                let column_name = match column {
                    ColumnRef::Name(name) => name.clone(),
                    ColumnRef::Index(index) => index.to_string(),
                };
                let found_text = header
                    .map(|names| shown_long(names.join(",").as_bytes()))
                    .unwrap_or_else(|| "no header (--no-header): name columns by number".into());
                return Err(DataError::MissingColumn {
                    path: path.to_string(),
                    column: column_name,
                    expected: expected.to_string(),
                    hint: delimiter_hint(header),
                    found: found_text,
                });
            }
        }
    }
    Ok(positions)
}

/// When a header came out as one field that contains another likely separator, say so.
fn delimiter_hint(header: Option<&[String]>) -> String {
    let Some([only]) = header else {
        return String::new();
    };
    for (byte, name) in [(';', ";"), ('\t', "tab"), ('|', "|"), (',', ",")] {
        if only.contains(byte) {
            return format!(
                " (wrong delimiter? the header contains '{name}': try --delimiter '{name}')"
            );
        }
    }
    if only.trim().contains(' ') {
        return " (wrong delimiter? try --delimiter whitespace)".into();
    }
    String::new()
}

/// The field as display text for an error message (lossy, cut to 40 characters, escaped).
pub fn shown(field: &[u8]) -> String {
    shown_at_most(field, 40)
}

/// A longer excerpt (a header line) for an error message: at most 200 characters.
pub fn shown_long(field: &[u8]) -> String {
    shown_at_most(field, 200)
}

fn shown_at_most(field: &[u8], limit: usize) -> String {
    // Only the start is decoded: a 10 MB field must not be copied into a message.
    let head = &field[..field.len().min(limit * 4)];
    let text = String::from_utf8_lossy(head);
    let mut cut: String = text.chars().take(limit).collect();
    if head.len() < field.len() || text.chars().count() > limit {
        cut.push('…');
    }
    cut.escape_debug().to_string()
}

/// Longest customer id accepted, in bytes (an id is a key, not a document).
pub const MAX_ID_BYTES: usize = 256;

/// Largest magnitude a spend or amount may have: beyond a trillion in one row a value is an
/// export error, and sums of such values lose cents or overflow.
pub const MAX_ABS_VALUE: f64 = 1e12;

/// Checks a (trimmed) customer id: present, UTF-8, short, and free of control and
/// direction-changing characters (a NUL or an escape would make a second, invisible customer).
pub fn check_id(path: &str, line: u64, column: (usize, &str), id: &[u8]) -> Result<(), RowError> {
    let problem = if id.is_empty() {
        Some((RowProblem::EmptyId, "a customer id"))
    } else if id.len() > MAX_ID_BYTES {
        Some((RowProblem::BadId, "a customer id of at most 256 bytes"))
    } else if !id_is_clean(id) {
        Some((
            RowProblem::BadId,
            "a customer id of UTF-8 text without control or bidi characters",
        ))
    } else {
        None
    };
    match problem {
        Some((problem, expected)) => Err(field_error(path, line, column, problem, expected, id)),
        None => Ok(()),
    }
}

/// True when `id` is UTF-8 without control or bidi-override characters (ASCII fast path).
pub fn id_is_clean(id: &[u8]) -> bool {
    if id.iter().all(|b| (0x20..0x7f).contains(b)) {
        return true;
    }
    std::str::from_utf8(id).is_ok_and(|text| !text.chars().any(crate::text::is_unsafe_char))
}

/// Builds a row error for one field.
pub fn field_error(
    path: &str,
    line: u64,
    column: (usize, &str),
    problem: RowProblem,
    expected: &str,
    field: &[u8],
) -> RowError {
    RowError {
        location: Location {
            path: path.to_string(),
            line,
            column: Some((column.0 + 1, column.1.to_string())),
        },
        problem,
        message: format!("expected {expected}, found \"{}\"", shown(field)),
    }
}

/// [`MAX_ABS_VALUE`] in cents.
const MAX_ABS_CENTS: u64 = 100_000_000_000_000;

/// A parsed number: whole cents when its text was plain cents (`12`, `12.5`, `12.50`), so the
/// spend grid stores it without going through a float and back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    Cents(i64),
    Value(f64),
}

impl Amount {
    /// The number: `cents / 100` is the correctly rounded double the text denotes.
    pub fn value(self) -> f64 {
        match self {
            Self::Cents(cents) => cents as f64 / 100.0,
            Self::Value(value) => value,
        }
    }
}

/// Parses a finite decimal number of at most [`MAX_ABS_VALUE`] (surrounding blanks allowed),
/// keeping plain cents exact.
#[inline]
pub fn parse_amount(field: &[u8]) -> Option<Amount> {
    match plain_cents(field) {
        Some(Amount::Cents(cents)) => {
            (cents.unsigned_abs() <= MAX_ABS_CENTS).then_some(Amount::Cents(cents))
        }
        Some(zero) => Some(zero),
        None => parse_general(field)
            .filter(|v| v.abs() <= MAX_ABS_VALUE)
            .map(Amount::Value),
    }
}

/// Currency symbols a written amount may carry before or after its digits.
const CURRENCY_SYMBOLS: [char; 4] = ['$', '€', '£', '¥'];

/// An amount as people write it: a currency symbol and spaces around it, a minus sign, the
/// other of `,` and `.` as a thousands separator in groups of three, and `decimal` as the
/// decimal mark (`$1,234.50`; with `decimal` = `,`: `1.234,50 €`). Anything ambiguous — a
/// separator not followed by exactly three digits, two decimal marks — is refused, never
/// guessed.
pub fn parse_written_amount(field: &[u8], decimal: u8) -> Option<f64> {
    let text = std::str::from_utf8(field).ok()?.trim();
    let (mut negative, mut text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    };
    text = text
        .trim_start_matches(CURRENCY_SYMBOLS)
        .trim_end_matches(CURRENCY_SYMBOLS)
        .trim();
    if let Some(rest) = text.strip_prefix('-').filter(|_| !negative) {
        (negative, text) = (true, rest);
    }
    let thousands = if decimal == b',' { '.' } else { ',' };
    let (whole, fraction) = match text.split_once(decimal as char) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    let groups: Vec<&str> = whole.split(thousands).collect();
    let grouped = groups.len() > 1;
    if !groups.iter().all(|g| digits(g))
        || (grouped && (groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3)))
    {
        return None;
    }
    let mut plain = groups.concat();
    if let Some(fraction) = fraction {
        plain.push('.');
        plain.push_str(fraction);
    }
    let value: f64 = plain.parse().ok()?;
    Some(if negative { -value } else { value }).filter(|v| v.abs() <= MAX_ABS_VALUE)
}

/// The common case `123`, `123.4`, `123.45` (optionally negative), in cents. `-0` is the
/// double -0.0, which no count of cents is.
#[inline]
fn plain_cents(field: &[u8]) -> Option<Amount> {
    let (negative, digits) = match field {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, field),
    };
    // 15 whole digits, a point and 2 decimals at most: longer is not plain cents (the general
    // parser decides), and within that no count of cents overflows.
    if digits.len() > 18 {
        return None;
    }
    let mut cents: i64 = 0;
    let mut whole = 0;
    while let Some(digit) = digits.get(whole).filter(|b| b.is_ascii_digit()) {
        cents = cents * 10 + i64::from(digit - b'0');
        whole += 1;
    }
    if whole == 0 || whole > 15 {
        return None;
    }
    let fraction = match digits.get(whole) {
        None => &[][..],
        Some(b'.') => &digits[whole + 1..],
        Some(_) => return None,
    };
    if fraction.len() > 2 {
        return None;
    }
    for byte in fraction {
        if !byte.is_ascii_digit() {
            return None;
        }
        cents = cents * 10 + i64::from(byte - b'0');
    }
    cents *= [100, 10, 1][fraction.len()];
    Some(match (negative, cents) {
        (true, 0) => Amount::Value(-0.0),
        (true, cents) => Amount::Cents(-cents),
        (false, cents) => Amount::Cents(cents),
    })
}

fn parse_general(field: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(field).ok()?.trim();
    let value: f64 = text.parse().ok()?;
    value.is_finite().then_some(value)
}

/// Days since 0001-01-01 of a date in `YYYY-MM-DD`, `YYYYMMDD`, or an ISO timestamp
/// (`YYYY-MM-DDTHH:MM:SS[.fff][Z|±hh:mm]` or with a space); the time part is ignored, so a
/// timestamp belongs to its local calendar day as written.
pub fn parse_day(field: &[u8]) -> Option<i32> {
    let field = trim_ascii(field);
    let (year, month, day) = if field.len() >= 10 && field[4] == b'-' && field[7] == b'-' {
        if field.len() > 10 && !matches!(field[10], b'T' | b't' | b' ') {
            return None;
        }
        (
            digits(&field[0..4])?,
            digits(&field[5..7])?,
            digits(&field[8..10])?,
        )
    } else if field.len() == 8 {
        (
            digits(&field[0..4])?,
            digits(&field[4..6])?,
            digits(&field[6..8])?,
        )
    } else {
        return None;
    };
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some(day_number(date))
}

/// Days since 0001-01-01 of a date written in the chrono `format` (`%m/%d/%Y`); a format
/// with a time part reads the calendar day as written.
pub fn parse_day_as(field: &[u8], format: &str) -> Option<i32> {
    let text = std::str::from_utf8(trim_ascii(field)).ok()?;
    NaiveDate::parse_from_str(text, format)
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, format).map(|t| t.date()))
        .ok()
        .map(day_number)
}

/// Checks a `--date-format` for meaning: it must name a day, a month and a year, so that a
/// date written with it reads back as itself.
pub fn check_date_format(format: &str) -> Result<std::sync::Arc<str>, FlagValueError> {
    use std::fmt::Write as _;
    let probe = NaiveDate::from_ymd_opt(2025, 11, 28).unwrap_or_default();
    let mut written = String::new();
    let round_trips = write!(written, "{}", probe.format(format)).is_ok()
        && parse_day_as(written.as_bytes(), format) == Some(day_number(probe));
    if round_trips {
        Ok(format.into())
    } else {
        Err(FlagValueError::DateFormat {
            format: format.to_string(),
        })
    }
}

/// The day number used throughout loading.
pub fn day_number(date: NaiveDate) -> i32 {
    use chrono::Datelike;
    date.num_days_from_ce()
}

/// The date of a day number.
pub fn date_of(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day).unwrap_or(NaiveDate::MIN)
}

/// Parses a user-given date (flags such as `--as-of`).
pub fn parse_date_arg(text: &str) -> Result<NaiveDate, FlagValueError> {
    parse_day(text.as_bytes())
        .map(date_of)
        .ok_or_else(|| FlagValueError::Date {
            found: text.to_string(),
        })
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// Parses a loyalty flag: True/False/true/false/1/0/yes/no (any case).
pub fn parse_bool(field: &[u8]) -> Option<bool> {
    let text = std::str::from_utf8(field).ok()?.trim();
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "t" => Some(true),
        "false" | "0" | "no" | "n" | "f" => Some(false),
        _ => None,
    }
}

pub const EXPECTED_DATE: &str = "a date as YYYY-MM-DD, YYYYMMDD or an ISO timestamp";
pub const EXPECTED_SPEND: &str = "a number from 0 to 1e12";
pub const EXPECTED_AMOUNT: &str = "a number from -1e12 to 1e12";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_supported_form_agree() {
        let plain = parse_day(b"2025-09-06").unwrap();
        assert_eq!(parse_day(b"20250906"), Some(plain));
        assert_eq!(parse_day(b"2025-09-06T13:45:00Z"), Some(plain));
        assert_eq!(parse_day(b"2025-09-06 13:45:00+02:00"), Some(plain));
        assert_eq!(parse_day(b" 2025-09-06 "), Some(plain));
        assert_eq!(parse_day(b"2025-09-07").unwrap() - plain, 1);
    }

    #[test]
    fn impossible_dates_are_rejected() {
        for bad in [
            &b"2025-02-30"[..],
            b"2025-13-01",
            b"06/09/2025",
            b"2025-09-06x",
            b"",
        ] {
            assert_eq!(parse_day(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    fn parse_finite(field: &[u8]) -> Option<f64> {
        parse_amount(field).map(Amount::value)
    }

    #[test]
    fn fast_cents_path_agrees_with_the_general_parser() {
        for text in [
            "0",
            "7",
            "12.5",
            "230.12",
            "0.57",
            "-4.20",
            "99999999.99",
            "1.",
            "-0",
        ] {
            let general: f64 = text.trim_end_matches('.').parse().unwrap();
            assert_eq!(parse_finite(text.as_bytes()), Some(general), "{text}");
        }
        assert_eq!(parse_amount(b"-4.20"), Some(Amount::Cents(-420)));
        assert_eq!(parse_amount(b"1."), Some(Amount::Cents(100)));
        assert_eq!(parse_amount(b"-0.00"), Some(Amount::Value(-0.0)));
        // At the limit in cents; beyond it, refused as the general parser refuses it.
        assert_eq!(
            parse_amount(b"1000000000000"),
            Some(Amount::Cents(100_000_000_000_000))
        );
        assert_eq!(parse_amount(b"1000000000000.01"), None);
        assert_eq!(parse_amount(b"-1000000000000.01"), None);
        assert_eq!(parse_amount(b"1e13"), None);
        // Not plain: handled by the general parser.
        assert_eq!(parse_amount(b"1.234"), Some(Amount::Value(1.234)));
        assert_eq!(parse_amount(b"+5"), Some(Amount::Value(5.0)));
        assert_eq!(parse_amount(b"1.2.3"), None);
        assert_eq!(parse_amount(b"12-"), None);
        assert_eq!(parse_finite(b"1.234"), Some(1.234));
        assert_eq!(parse_finite(b"1e3"), Some(1000.0));
        assert_eq!(parse_finite(b".5"), Some(0.5));
    }

    #[test]
    fn numbers_must_be_finite() {
        assert_eq!(parse_finite(b" 12.5 "), Some(12.5));
        assert_eq!(parse_finite(b"NaN"), None);
        assert_eq!(parse_finite(b"inf"), None);
        assert_eq!(parse_finite(b"12,5"), None);
    }

    #[test]
    fn written_amounts_are_read_when_unambiguous() {
        let point = |text: &str| parse_written_amount(text.as_bytes(), b'.');
        let comma = |text: &str| parse_written_amount(text.as_bytes(), b',');
        assert_eq!(point("$1,234.50"), Some(1234.5));
        assert_eq!(point(" 1,234,567 "), Some(1_234_567.0));
        assert_eq!(point("-$12.00"), Some(-12.0));
        assert_eq!(point("$-12"), Some(-12.0));
        assert_eq!(point("£7"), Some(7.0));
        assert_eq!(comma("1.234,50 €"), Some(1234.5));
        assert_eq!(comma("12,5"), Some(12.5));
        assert_eq!(comma("12.500"), Some(12_500.0));
        // Ambiguous or malformed: refused, never guessed.
        for refused in [
            "1,23",
            "12,5",
            "1,2345.6",
            "1.2.3",
            "$",
            "12.",
            "1,234.5.6",
            "€-",
        ] {
            assert_eq!(point(refused), None, "{refused}");
        }
        for refused in ["12.5", "1.23,4", "1,2,3", ","] {
            assert_eq!(comma(refused), None, "{refused}");
        }
    }

    #[test]
    fn booleans_accept_the_documented_spellings() {
        for yes in ["True", "true", "1", "yes", "YES"] {
            assert_eq!(parse_bool(yes.as_bytes()), Some(true));
        }
        for no in ["False", "false", "0", "no"] {
            assert_eq!(parse_bool(no.as_bytes()), Some(false));
        }
        assert_eq!(parse_bool(b"maybe"), None);
    }

    #[test]
    fn delimiter_hint_names_the_separator() {
        let header = vec!["customer_id;week_start_date;weekly_spend".to_string()];
        let err = resolve_columns(
            "f.csv",
            Some(&header),
            &[&ColumnRef::Name("customer_id".into())],
            "customer_id",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("--delimiter ';'"), "{err}");
    }
}
