//! The suppression list as campaigns use it: who no campaign may contact (customer ids, email
//! addresses, phone numbers), read from the ledger and checked at creation, at every send and
//! at every export; and the import of a suppression file (`revgap suppress import`). Emails are
//! compared lower-cased, phones as E.164, so "Ann@Example.com" and "+1 (202) 555-0100" match
//! however the contacts file spells them.

use super::contacts::{Contact, e164, email_problem};
use super::input_file::InputFileError;
use crate::ledger::{Ledger, LedgerError, Suppression};
use std::collections::HashSet;
use std::path::Path;

/// Who may not be contacted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Blocklist {
    ids: HashSet<String>,
    emails: HashSet<String>,
    phones: HashSet<String>,
}

impl Blocklist {
    pub fn from_ledger(ledger: &Ledger) -> Result<Self, LedgerError> {
        Ok(Self::from_entries(&ledger.suppression_list()?))
    }

    pub fn from_entries(entries: &[Suppression]) -> Self {
        let mut list = Self::default();
        for entry in entries {
            let set = match entry.kind.as_str() {
                "email" => &mut list.emails,
                "phone" => &mut list.phones,
                _ => &mut list.ids,
            };
            set.insert(entry.value.clone());
        }
        list
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.emails.is_empty() && self.phones.is_empty()
    }

    /// Whether an address (an email or a phone number, as stored) is on the list.
    pub fn blocks_address(&self, address: &str) -> bool {
        self.emails.contains(&address.trim().to_lowercase())
            || e164(address).is_ok_and(|phone| self.phones.contains(&phone))
    }

    /// Whether the customer, or any address of theirs, is on the list.
    pub fn blocks(&self, customer_id: &str, contact: Option<&Contact>) -> bool {
        self.ids.contains(customer_id)
            || contact.is_some_and(|c| {
                (!c.email.is_empty() && self.blocks_address(&c.email))
                    || (!c.phone.is_empty() && self.blocks_address(&c.phone))
            })
    }

    /// Whether a stored member (their id and the address of their channel) is on the list.
    pub fn blocks_member(&self, customer_id: &str, address: Option<&str>) -> bool {
        self.ids.contains(customer_id) || address.is_some_and(|a| self.blocks_address(a))
    }
}

/// The columns a suppression file may have (a header names them; at least one identifier).
const IDENTIFIERS: [&str; 4] = ["customer_id", "email", "phone", "value"];

/// Reads a suppression file: a CSV with a header naming any of `customer_id`, `email`,
/// `phone` or `value` (kind told by its shape), and optionally `reason` and `date`. Every row
/// must read: the first bad value is an error naming file, line and column, and nothing is
/// imported (a half-imported list would let someone be contacted).
pub fn read_file(
    path: &Path,
    reason: &str,
    today: &str,
) -> Result<Vec<Suppression>, InputFileError> {
    let shown = revgap_core::text::one_line(&path.display().to_string()).into_owned();
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
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let identifiers: Vec<(usize, &str)> = IDENTIFIERS
        .iter()
        .filter_map(|name| column(name).map(|at| (at, *name)))
        .collect();
    if identifiers.is_empty() {
        return Err(InputFileError::at(
            &shown,
            1,
            None,
            "no identifier column; expected a header with customer_id, email, phone or value"
                .into(),
        ));
    }
    let (reason_column, date_column) = (column("reason"), column("date"));
    let mut entries = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|source| InputFileError::Record {
            path: shown.clone(),
            line,
            source,
        })?;
        let cell = |at: usize| record.get(at).unwrap_or("").trim();
        let reason = reason_column
            .map(cell)
            .filter(|r| !r.is_empty())
            .unwrap_or(reason);
        let added_at = match date_column.map(cell).filter(|d| !d.is_empty()) {
            Some(date) => revgap_core::data::parse_date_arg(date)
                .map_err(|e| {
                    InputFileError::at(
                        &shown,
                        line,
                        Some((date_column.unwrap_or(0), "date")),
                        e.to_string(),
                    )
                })?
                .to_string(),
            None => today.to_string(),
        };
        for (at, name) in &identifiers {
            let value = cell(*at);
            if value.is_empty() {
                continue;
            }
            let (kind, value) = normalise(name, value)
                .map_err(|e| InputFileError::at(&shown, line, Some((*at, name)), e))?;
            entries.push(Suppression {
                kind: kind.into(),
                value,
                reason: revgap_core::text::one_line(reason).into_owned(),
                added_at: added_at.clone(),
                source: shown.clone(),
            });
        }
    }
    Ok(entries)
}

/// The kind and stored form of one identifier from column `column`.
fn normalise(column: &str, value: &str) -> Result<(&'static str, String), String> {
    if value.chars().any(revgap_core::text::is_unsafe_char) {
        return Err("control or invisible characters; expected plain text".into());
    }
    let kind = match column {
        "email" => "email",
        "phone" => "phone",
        "customer_id" => "customer_id",
        _ if value.contains('@') => "email",
        _ if e164(value).is_ok() => "phone",
        _ => "customer_id",
    };
    match kind {
        "email" => match email_problem(value) {
            Some(problem) => Err(format!("{value:?}: {problem}")),
            None => Ok((kind, value.to_lowercase())),
        },
        "phone" => e164(value)
            .map(|phone| (kind, phone))
            .map_err(|problem| format!("{value:?}: {problem}")),
        _ => Ok((kind, value.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_reads_every_kind_and_matches_however_addresses_are_spelled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dnc.csv");
        std::fs::write(
            &path,
            "value,reason,date\nAnn@Example.com,complaint,2026-11-02\n+1 (202) 555-0100,,\n42,legal,\n",
        )
        .unwrap();
        let entries = read_file(&path, "imported", "2026-12-07").unwrap();
        let kinds: Vec<(&str, &str, &str)> = entries
            .iter()
            .map(|e| (e.kind.as_str(), e.value.as_str(), e.reason.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("email", "ann@example.com", "complaint"),
                ("phone", "+12025550100", "imported"),
                ("customer_id", "42", "legal"),
            ]
        );
        assert_eq!(entries[0].added_at, "2026-11-02");
        assert_eq!(entries[1].added_at, "2026-12-07");
        let list = Blocklist::from_entries(&entries);
        let contact = |email: &str, phone: &str| Contact {
            email: email.into(),
            phone: phone.into(),
            ..Contact::default()
        };
        assert!(list.blocks("7", Some(&contact("ANN@example.com", ""))));
        assert!(list.blocks("7", Some(&contact("", "+1-202-555-0100"))));
        assert!(list.blocks("42", None));
        assert!(!list.blocks("7", Some(&contact("bob@example.com", "+12025550199"))));
        assert!(list.blocks_member("9", Some("+12025550100")));
    }

    #[test]
    fn a_bad_row_names_its_place_and_imports_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dnc.csv");
        std::fs::write(&path, "email,phone\nann@example.com,\n,555-0100\n").unwrap();
        let error = read_file(&path, "imported", "2026-12-07")
            .unwrap_err()
            .to_string();
        assert!(
            error.ends_with("dnc.csv:3:2 (phone): \"555-0100\": expected an international number: + and the country code (E.164)"),
            "{error}"
        );
        std::fs::write(&path, "name\nann\n").unwrap();
        let error = read_file(&path, "imported", "2026-12-07")
            .unwrap_err()
            .to_string();
        assert!(error.contains(":1: no identifier column"), "{error}");
    }
}
