//! revgap-campaign: acting on the gaps and measuring what acting brought back. Owns the
//! ledger (SQLite), campaigns (selection, randomized assignment, drafts and their checker),
//! hand-off (CRM files, webhooks, SMTP) with exactly-once delivery, outcome measurement and
//! learning, and threshold tuning. Built on `revgap-core` and `revgap-llm`; knows nothing of
//! the terminal or the command line.

pub mod campaign;
pub mod handoff;
pub mod ledger;
pub mod outcome;
pub mod tune;
