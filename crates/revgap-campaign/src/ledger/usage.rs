//! What the model cost: one row per command run that asked it, summed for the success
//! metrics' system figures.

use super::{Ledger, LedgerError};
use revgap_llm::batch::LlmUsage;
use rusqlite::params;

/// The model's cost over every recorded run.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct UsageTotals {
    pub runs: u64,
    #[serde(flatten)]
    pub usage: LlmUsage,
}

impl Ledger {
    /// Records one run's model usage (nothing when it asked nothing).
    pub fn record_llm_usage(&mut self, command: &str, usage: &LlmUsage) -> Result<(), LedgerError> {
        if usage.calls + usage.cached == 0 {
            return Ok(());
        }
        let at = chrono::Local::now().to_rfc3339();
        self.in_transaction(|transaction| {
            transaction.execute(
                "INSERT INTO llm_usage (at, command, calls, cached, prompt_tokens, \
                 completion_tokens) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    at,
                    command,
                    usage.calls as i64,
                    usage.cached as i64,
                    usage.prompt_tokens as i64,
                    usage.completion_tokens as i64
                ],
            )
        })
        .map(|_| ())
    }

    /// The sum over every recorded run.
    pub fn llm_usage(&self) -> Result<UsageTotals, LedgerError> {
        self.connection
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(calls), 0), COALESCE(SUM(cached), 0), \
                 COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0) \
                 FROM llm_usage",
                [],
                |row| {
                    let number = |i: usize| row.get::<_, i64>(i).map(|v| v.max(0) as u64);
                    Ok(UsageTotals {
                        runs: number(0)?,
                        usage: LlmUsage {
                            calls: number(1)?,
                            cached: number(2)?,
                            prompt_tokens: number(3)?,
                            completion_tokens: number(4)?,
                        },
                    })
                },
            )
            .map_err(|e| self.sql_error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_adds_up_over_runs_and_empty_runs_are_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
        assert_eq!(ledger.llm_usage().unwrap(), UsageTotals::default());
        let run = LlmUsage {
            calls: 3,
            cached: 1,
            prompt_tokens: 900,
            completion_tokens: 240,
        };
        ledger.record_llm_usage("analyze", &run).unwrap();
        ledger.record_llm_usage("campaign create", &run).unwrap();
        ledger
            .record_llm_usage("analyze", &LlmUsage::default())
            .unwrap();
        let totals = ledger.llm_usage().unwrap();
        assert_eq!(totals.runs, 2);
        assert_eq!(
            totals.usage,
            LlmUsage {
                calls: 6,
                cached: 2,
                prompt_tokens: 1_800,
                completion_tokens: 480
            }
        );
    }
}
