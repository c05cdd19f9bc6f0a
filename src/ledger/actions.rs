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

impl Ledger {
    /// When each delivered action of a campaign reached its member: (customer id, RFC 3339).
    pub fn delivered_times(&self, campaign_id: i64) -> Result<Vec<(String, String)>, LedgerError> {
        let run = || -> rusqlite::Result<Vec<(String, String)>> {
            let mut statement = self.connection.prepare(
                "SELECT customer_id, delivered_at FROM actions
                 WHERE campaign_id = ?1 AND status = 'delivered' AND delivered_at IS NOT NULL",
            )?;
            let rows = statement.query_map([campaign_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect()
        };
        run().map_err(|e| self.sql_error(e))
    }

    /// Marks how far a campaign has gone ("exported", "sent", "measured"); a later stage is
    /// never turned back into an earlier one.
    pub fn advance_status(&mut self, campaign_id: i64, status: &str) -> Result<(), LedgerError> {
        const ORDER: [&str; 4] = ["created", "exported", "sent", "measured"];
        let rank = |s: &str| ORDER.iter().position(|o| *o == s).unwrap_or(0);
        let current = self.campaign(campaign_id)?.status;
        if rank(status) > rank(&current) {
            self.connection
                .execute(
                    "UPDATE campaigns SET status = ?2 WHERE id = ?1",
                    params![campaign_id, status],
                )
                .map_err(|e| self.sql_error(e))?;
        }
        Ok(())
    }

    /// Stores one measurement: (customer id, window in days, mean weekly spend) per member and
    /// window, all under `taken_at`, in one transaction (a re-measure adds, never overwrites).
    pub fn record_outcomes(
        &mut self,
        campaign_id: i64,
        taken_at: &str,
        rows: &[(&str, i64, f64)],
    ) -> Result<(), LedgerError> {
        let path = self.path.clone();
        let wrap = |source: rusqlite::Error| LedgerError::Sql {
            path: path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(&wrap)?;
        {
            let mut insert = transaction
                .prepare(
                    "INSERT INTO outcome_snapshots (campaign_id, customer_id, taken_at,
                     window_days, spend) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(&wrap)?;
            for (customer_id, window_days, spend) in rows {
                insert
                    .execute(params![
                        campaign_id,
                        customer_id,
                        taken_at,
                        window_days,
                        spend
                    ])
                    .map_err(&wrap)?;
            }
        }
        transaction.commit().map_err(&wrap)
    }

    /// How many measurements (distinct `taken_at`) a campaign has.
    pub fn measurements(&self, campaign_id: i64) -> Result<i64, LedgerError> {
        self.connection
            .query_row(
                "SELECT COUNT(DISTINCT taken_at) FROM outcome_snapshots WHERE campaign_id = ?1",
                [campaign_id],
                |row| row.get(0),
            )
            .map_err(|e| self.sql_error(e))
    }
}
