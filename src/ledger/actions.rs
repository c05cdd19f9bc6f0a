//! Actions and their delivery attempts: one action per (member, route) under an idempotency
//! key, every attempt recorded, delivered at most once.

use super::{Action, Ledger, LedgerError};
use rusqlite::params;

impl Ledger {
    /// The action with this idempotency key, created (pending) the first time it is asked
    /// for; the same key always names the same action.
    pub fn action(
        &mut self,
        campaign_id: i64,
        customer_id: &str,
        kind: &str,
        idempotency_key: &str,
    ) -> Result<Action, LedgerError> {
        let now = chrono::Utc::now().to_rfc3339();
        let run = || -> rusqlite::Result<Action> {
            self.connection.execute(
                "INSERT OR IGNORE INTO actions (campaign_id, customer_id, kind, idempotency_key,
                 status, created_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
                params![campaign_id, customer_id, kind, idempotency_key, now],
            )?;
            self.connection.query_row(
                "SELECT id, status FROM actions WHERE idempotency_key = ?1",
                [idempotency_key],
                |row| {
                    let status: String = row.get(1)?;
                    Ok(Action {
                        id: row.get(0)?,
                        delivered: status == "delivered",
                    })
                },
            )
        };
        run().map_err(|e| self.sql_error(e))
    }

    /// Records one delivery attempt, and the action as delivered when it was, in one
    /// transaction.
    pub fn record_attempt(
        &mut self,
        action_id: i64,
        http_status: Option<u16>,
        error: Option<&str>,
        delivered: bool,
    ) -> Result<(), LedgerError> {
        let now = chrono::Utc::now().to_rfc3339();
        let path = self.path.clone();
        let wrap = |source: rusqlite::Error| LedgerError::Sql {
            path: path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(&wrap)?;
        transaction
            .execute(
                "INSERT INTO delivery_attempts (action_id, attempted_at, http_status, error)
                 VALUES (?1, ?2, ?3, ?4)",
                params![action_id, now, http_status, error],
            )
            .map_err(&wrap)?;
        if delivered {
            transaction
                .execute(
                    "UPDATE actions SET status = 'delivered', delivered_at = ?2 WHERE id = ?1",
                    params![action_id, now],
                )
                .map_err(&wrap)?;
        }
        transaction.commit().map_err(&wrap)
    }

    /// Per customer of a campaign: (delivered actions, attempts).
    pub fn deliveries(
        &self,
        campaign_id: i64,
    ) -> Result<std::collections::BTreeMap<String, (i64, i64)>, LedgerError> {
        let run = || -> rusqlite::Result<Vec<(String, i64, i64)>> {
            let mut statement = self.connection.prepare(
                "SELECT a.customer_id, SUM(a.status = 'delivered'),
                        (SELECT COUNT(*) FROM delivery_attempts d WHERE d.action_id = a.id)
                 FROM actions a WHERE a.campaign_id = ?1 GROUP BY a.id",
            )?;
            let rows = statement.query_map([campaign_id], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
            rows.collect()
        };
        let mut by_customer = std::collections::BTreeMap::new();
        for (customer, delivered, attempts) in run().map_err(|e| self.sql_error(e))? {
            let entry: &mut (i64, i64) = by_customer.entry(customer).or_default();
            entry.0 += delivered;
            entry.1 += attempts;
        }
        Ok(by_customer)
    }
}
