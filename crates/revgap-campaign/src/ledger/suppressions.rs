//! The suppression list: customer ids, email addresses and phone numbers that no campaign
//! contacts, each with its reason, the day it was added and where it came from. Values are
//! stored as given (the caller normalises them); adding one already there keeps the first.

use super::{Ledger, LedgerError};
use rusqlite::params;

/// One entry of the suppression list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suppression {
    /// "customer_id", "email" or "phone".
    pub kind: String,
    pub value: String,
    pub reason: String,
    pub added_at: String,
    pub source: String,
}

impl Ledger {
    /// Adds entries in one transaction; returns how many were new.
    pub fn add_suppressions(&mut self, entries: &[Suppression]) -> Result<usize, LedgerError> {
        self.in_transaction(|transaction| {
            let mut insert = transaction.prepare(
                "INSERT OR IGNORE INTO suppression_list (kind, value, reason, added_at, source)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut added = 0;
            for entry in entries {
                added += insert.execute(params![
                    entry.kind,
                    entry.value,
                    entry.reason,
                    entry.added_at,
                    entry.source
                ])?;
            }
            Ok(added)
        })
    }

    /// The whole list, by kind and value.
    pub fn suppression_list(&self) -> Result<Vec<Suppression>, LedgerError> {
        let run = || -> rusqlite::Result<Vec<Suppression>> {
            let mut statement = self.connection.prepare(
                "SELECT kind, value, reason, added_at, source FROM suppression_list
                 ORDER BY kind, value",
            )?;
            let rows = statement.query_map([], |row| {
                Ok(Suppression {
                    kind: row.get(0)?,
                    value: row.get(1)?,
                    reason: row.get(2)?,
                    added_at: row.get(3)?,
                    source: row.get(4)?,
                })
            })?;
            rows.collect()
        };
        run().map_err(|e| self.sql_error(e))
    }
}
