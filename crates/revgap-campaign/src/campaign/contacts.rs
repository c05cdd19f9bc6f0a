//! The contacts file: how each customer can be reached and what they agreed to
//! (`customer_id,email,phone,timezone,language,email_opt_in,sms_opt_in`; extra columns are
//! kept). A row that cannot be read (a bad consent flag, a repeated customer) is an error
//! naming file, line and column: a campaign is never built on a half-read consent list. An
//! address that does not parse (an email that is not one or longer than 254 bytes, a phone
//! number that is not E.164 once spaces and punctuation are taken out) is reported with its
//! line and left out: the customer gets no channel on it.

use super::input_file::InputFileError;
use std::collections::HashMap;
use std::path::Path;

/// One customer's contact record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Contact {
    pub email: String,
    pub phone: String,
    pub timezone: String,
    pub language: String,
    pub email_opt_in: bool,
    pub sms_opt_in: bool,
    /// From the optional `push_opt_in` column (false when the file has none).
    pub push_opt_in: bool,
    /// Columns beyond the known ones, by header name.
    pub extra: Vec<(String, String)>,
}

impl Contact {
    /// The channels this customer may be reached on, best first.
    pub fn consented_channels(&self) -> Vec<&'static str> {
        let mut channels = Vec::new();
        if self.email_opt_in && !self.email.is_empty() {
            channels.push("email");
        }
        if self.sms_opt_in && !self.phone.is_empty() {
            channels.push("sms");
        }
        if self.push_opt_in {
            channels.push("push");
        }
        channels
    }
}

/// The optional column that consents to app push notifications.
const PUSH_OPT_IN: &str = "push_opt_in";

const REQUIRED: [&str; 7] = [
    "customer_id",
    "email",
    "phone",
    "timezone",
    "language",
    "email_opt_in",
    "sms_opt_in",
];

/// A contacts file as loaded: the contacts by customer id, and the addresses left out (one
/// line each, naming file, line and column).
#[derive(Debug, Clone, Default)]
pub struct Contacts {
    pub by_id: HashMap<String, Contact>,
    pub problems: Vec<String>,
}

/// The longest email address (RFC 5321's path limit less the angle brackets).
pub const EMAIL_MAX_BYTES: usize = 254;

/// Why `email` is not an address a message can go to.
pub fn email_problem(email: &str) -> Option<String> {
    if email.len() > EMAIL_MAX_BYTES {
        return Some(format!(
            "{} bytes; expected an email address of at most {EMAIL_MAX_BYTES}",
            email.len()
        ));
    }
    email
        .parse::<lettre::Address>()
        .err()
        .map(|e| format!("expected an email address ({e})"))
}

/// `phone` as E.164 (`+` and 8 to 15 digits, the first not 0): spaces, dots, dashes and
/// brackets taken out, a leading `00` read as `+`; `Err` says what is wrong.
pub fn e164(phone: &str) -> Result<String, PhoneError> {
    let compact: String = phone
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
        .collect();
    let digits = match (compact.strip_prefix('+'), compact.strip_prefix("00")) {
        (Some(rest), _) | (None, Some(rest)) => rest,
        _ => {
            return Err(PhoneError::NotInternational);
        }
    };
    let valid = (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if valid {
        Ok(format!("+{digits}"))
    } else {
        Err(PhoneError::Digits)
    }
}

/// A phone number that is not E.164.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("expected an international number: + and the country code (E.164)")]
    NotInternational,
    #[error("expected an E.164 number: + and 8 to 15 digits")]
    Digits,
}

/// Loads a contacts file keyed by customer id.
pub fn load(path: &Path) -> Result<Contacts, InputFileError> {
    revgap_core::atomic::protect(path, "the contacts file");
    let shown = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|source| InputFileError::Read {
            path: shown.clone(),
            source,
        })?;
    let headers = reader
        .headers()
        .map_err(|source| InputFileError::Header {
            path: shown.clone(),
            source,
        })?
        .clone();
    let position = |name: &str| headers.iter().position(|h| h.trim() == name);
    let mut columns = [0usize; 7];
    for (slot, name) in columns.iter_mut().zip(REQUIRED) {
        *slot = position(name).ok_or_else(|| {
            InputFileError::at(
                &shown,
                1,
                None,
                format!(
                    "no '{name}' column; expected a header with {}",
                    REQUIRED.join(",")
                ),
            )
        })?;
    }
    let push_column = position(PUSH_OPT_IN);
    let mut contacts = HashMap::new();
    let mut problems = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|source| InputFileError::Record {
            path: shown.clone(),
            line,
            source,
        })?;
        let field = |column: usize| record.get(columns[column]).unwrap_or("").trim();
        let problem_at = |position: usize, name: &str, problem: String| {
            InputFileError::at(&shown, line, Some((position, name)), problem)
        };
        let problem =
            |column: usize, problem: String| problem_at(columns[column], REQUIRED[column], problem);
        let at = |column: usize| {
            format!(
                "{shown}:{line}:{} ({})",
                columns[column] + 1,
                REQUIRED[column]
            )
        };
        let text = |column: usize| -> Result<String, InputFileError> {
            let value = field(column);
            if value.chars().any(revgap_core::text::is_unsafe_char) {
                return Err(problem(
                    column,
                    "control or bidi characters; expected plain text".into(),
                ));
            }
            Ok(value.to_string())
        };
        let flag_at = |position: usize, name: &str| -> Result<bool, InputFileError> {
            match record
                .get(position)
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
                .as_str()
            {
                "true" | "yes" | "1" | "y" => Ok(true),
                "false" | "no" | "0" | "n" | "" => Ok(false),
                other => Err(problem_at(
                    position,
                    name,
                    format!(
                        "{:?}: expected true or false",
                        revgap_core::text::one_line(other)
                    ),
                )),
            }
        };
        let flag = |column: usize| flag_at(columns[column], REQUIRED[column]);
        let id = text(0)?;
        if id.is_empty() {
            return Err(problem(0, "empty; expected a customer id".into()));
        }
        let mut email = text(1)?;
        if !email.is_empty()
            && let Some(problem) = email_problem(&email)
        {
            problems.push(format!(
                "{}: {:?}: {problem}; customer {:?} gets no email",
                at(1),
                revgap_core::text::one_line(&email),
                revgap_core::text::one_line(&id)
            ));
            email.clear();
        }
        let phone = text(2)?;
        let phone = match e164(&phone) {
            _ if phone.is_empty() => phone,
            Ok(normalised) => normalised,
            Err(problem) => {
                problems.push(format!(
                    "{}: {:?}: {problem}; customer {:?} gets no SMS or call",
                    at(2),
                    revgap_core::text::one_line(&phone),
                    revgap_core::text::one_line(&id)
                ));
                String::new()
            }
        };
        let extra = headers
            .iter()
            .enumerate()
            .filter(|(i, _)| !columns.contains(i) && Some(*i) != push_column)
            .map(|(i, name)| (name.to_string(), record.get(i).unwrap_or("").to_string()))
            .collect();
        let contact = Contact {
            email,
            phone,
            timezone: text(3)?,
            language: text(4)?,
            email_opt_in: flag(5)?,
            sms_opt_in: flag(6)?,
            push_opt_in: match push_column {
                Some(position) => flag_at(position, PUSH_OPT_IN)?,
                None => false,
            },
            extra,
        };
        if contacts.insert(id.clone(), contact).is_some() {
            return Err(problem(0, format!("customer {id:?} appears twice")));
        }
    }
    Ok(Contacts {
        by_id: contacts,
        problems,
    })
}
