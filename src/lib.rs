//! revgap: predictive revenue-gap analysis for retail customers, the front ends.
//!
//! `cli` is the command line, `tui` the terminal explorer. Everything below them lives in the
//! workspace's library crates and is re-exported here under the names it always had:
//! `revgap-core` (data, model, segment, engine, report, stream, the model-free narrative),
//! `revgap-llm` (asking a model) and `revgap-campaign` (the ledger, campaigns, hand-off,
//! outcomes, tuning). Nothing below imports this crate.

pub use revgap_campaign::{campaign, handoff, ledger, outcome, tune};
pub use revgap_core::{
    atomic, choice, config, data, engine, model, report, segment, snapshot, spill, stats, stream,
    text,
};

/// Narrative text: the model-free half from `revgap-core`, asking a model from `revgap-llm`.
pub mod narrative {
    pub use revgap_core::narrative::{facts, grounding, prompt, rules, sanitize};
    pub use revgap_llm::{batch, cache, client, generate};
}

pub mod cli;
pub mod front;
pub mod tui;
