//! revgap: predictive revenue-gap analysis for retail customers.
//!
//! `data` loads and validates input into a columnar dataset, `engine` finds and ranks gaps,
//! `report` renders the results, `cli` is the command line, `tui` the terminal explorer.

pub mod atomic;
pub mod campaign;
pub mod cli;
pub mod config;
pub mod data;
pub mod engine;
pub mod handoff;
pub mod ledger;
pub mod model;
pub mod narrative;
pub mod outcome;
pub mod report;
pub mod segment;
pub mod snapshot;
pub mod spill;
pub mod stats;
pub mod stream;
pub mod text;
pub mod tui;
pub mod tune;
