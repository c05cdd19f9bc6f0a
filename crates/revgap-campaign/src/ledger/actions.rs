//! Actions and their delivery attempts: one action per (member, route) under an idempotency
//! key, every attempt recorded, delivered at most once.

use super::{Action, Claim, Ledger, LedgerError, Measurement};
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

    /// Claims an action for `owner` until `lease` from now, unless it was delivered or another
    /// sender holds an unexpired claim on it: one statement, so of two senders asking at once
    /// exactly one gets it. A sender renews its claim by claiming again.
    pub fn claim(
        &mut self,
        action_id: i64,
        owner: &str,
        lease: std::time::Duration,
    ) -> Result<Claim, LedgerError> {
        let now = chrono::Utc::now().timestamp_millis();
        let until = now.saturating_add(lease.as_millis().min(i64::MAX as u128) as i64);
        let run = || -> rusqlite::Result<Claim> {
            let changed = self.connection.execute(
                "UPDATE actions SET claimed_by = ?2, lease_until = ?3
                 WHERE id = ?1 AND status != 'delivered'
                   AND (claimed_by IS NULL OR claimed_by = ?2 OR lease_until <= ?4)",
                params![action_id, owner, until, now],
            )?;
            if changed == 1 {
                return Ok(Claim::Mine);
            }
            self.connection.query_row(
                "SELECT status, claimed_by, lease_until FROM actions WHERE id = ?1",
                [action_id],
                |row| {
                    let status: String = row.get(0)?;
                    if status == "delivered" {
                        return Ok(Claim::Delivered);
                    }
                    Ok(Claim::Held {
                        by: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        until_ms: row.get::<_, Option<i64>>(2)?.unwrap_or_default(),
                    })
                },
            )
        };
        run().map_err(|e| self.sql_error(e))
    }

    /// Takes an action over from a sender known to have died (`from`, still named on the
    /// claim), unless it was delivered or claimed by someone else meanwhile.
    pub fn take_over(
        &mut self,
        action_id: i64,
        from: &str,
        owner: &str,
        lease: std::time::Duration,
    ) -> Result<bool, LedgerError> {
        let until = chrono::Utc::now()
            .timestamp_millis()
            .saturating_add(lease.as_millis().min(i64::MAX as u128) as i64);
        self.connection
            .execute(
                "UPDATE actions SET claimed_by = ?3, lease_until = ?4
                 WHERE id = ?1 AND status != 'delivered' AND claimed_by = ?2",
                params![action_id, from, owner, until],
            )
            .map(|changed| changed == 1)
            .map_err(|e| self.sql_error(e))
    }

    /// Gives up `owner`'s claim on an action (it stays pending for a later send).
    pub fn release(&mut self, action_id: i64, owner: &str) -> Result<(), LedgerError> {
        self.connection
            .execute(
                "UPDATE actions SET claimed_by = NULL, lease_until = NULL
                 WHERE id = ?1 AND claimed_by = ?2",
                params![action_id, owner],
            )
            .map(drop)
            .map_err(|e| self.sql_error(e))
    }

    /// Whether an action was delivered (by any sender).
    pub fn delivered(&self, action_id: i64) -> Result<bool, LedgerError> {
        self.connection
            .query_row(
                "SELECT status = 'delivered' FROM actions WHERE id = ?1",
                [action_id],
                |row| row.get(0),
            )
            .map_err(|e| self.sql_error(e))
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
        self.in_transaction(|transaction| {
            transaction.execute(
                "INSERT INTO delivery_attempts (action_id, attempted_at, http_status, error)
                     VALUES (?1, ?2, ?3, ?4)",
                params![action_id, now, http_status, error],
            )?;
            if delivered {
                transaction.execute(
                    "UPDATE actions SET status = 'delivered', delivered_at = ?2,
                     claimed_by = NULL, lease_until = NULL WHERE id = ?1",
                    params![action_id, now],
                )?;
            }
            Ok(())
        })
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

    /// Stores one measurement in one transaction (a re-measure adds, never overwrites): each
    /// member's mean weekly follow-up spend per window, members in `customers` order.
    pub fn record_outcomes(&mut self, measurement: &Measurement) -> Result<i64, LedgerError> {
        self.in_transaction(|transaction| {
            transaction.execute(
                "INSERT INTO outcome_measurements (campaign_id, taken_at, source, follow_up_start,
                     customers) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    measurement.campaign_id,
                    measurement.taken_at,
                    measurement.source,
                    measurement.follow_up_start,
                    measurement.customers.join("\n")
                ],
            )?;
            let id = transaction.last_insert_rowid();
            for (window_days, spend) in &measurement.windows {
                let bytes: Vec<u8> = spend.iter().flat_map(|v| v.to_le_bytes()).collect();
                transaction.execute(
                    "INSERT INTO outcome_windows (measurement_id, window_days, spend)
                         VALUES (?1, ?2, ?3)",
                    params![id, window_days, bytes],
                )?;
            }
            Ok(id)
        })
    }

    /// Every measurement of a campaign, oldest first.
    pub fn outcomes(&self, campaign_id: i64) -> Result<Vec<Measurement>, LedgerError> {
        let run = || -> rusqlite::Result<Vec<Measurement>> {
            let mut statement = self.connection.prepare(
                "SELECT id, taken_at, source, follow_up_start, customers
                 FROM outcome_measurements WHERE campaign_id = ?1 ORDER BY id",
            )?;
            let heads = statement
                .query_map([campaign_id], |row| {
                    let customers: String = row.get(4)?;
                    Ok((
                        row.get::<_, i64>(0)?,
                        Measurement {
                            campaign_id,
                            taken_at: row.get(1)?,
                            source: row.get(2)?,
                            follow_up_start: row.get(3)?,
                            customers: customers.split('\n').map(String::from).collect(),
                            windows: Vec::new(),
                        },
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut windows = self.connection.prepare(
                "SELECT window_days, spend FROM outcome_windows WHERE measurement_id = ?1
                 ORDER BY window_days",
            )?;
            let mut measurements = Vec::new();
            for (id, mut measurement) in heads {
                measurement.windows = windows
                    .query_map([id], |row| {
                        let bytes: Vec<u8> = row.get(1)?;
                        let spend = bytes
                            .chunks_exact(8)
                            .map(|chunk| {
                                let mut word = [0u8; 8];
                                word.copy_from_slice(chunk);
                                f64::from_le_bytes(word)
                            })
                            .collect();
                        Ok((row.get(0)?, spend))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                measurements.push(measurement);
            }
            Ok(measurements)
        };
        run().map_err(|e| self.sql_error(e))
    }

    /// How many measurements a campaign has.
    pub fn measurements(&self, campaign_id: i64) -> Result<i64, LedgerError> {
        self.connection
            .query_row(
                "SELECT COUNT(*) FROM outcome_measurements WHERE campaign_id = ?1",
                [campaign_id],
                |row| row.get(0),
            )
            .map_err(|e| self.sql_error(e))
    }
}
