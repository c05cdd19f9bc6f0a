//! Hand-off: getting treated members to the systems that contact them. Today the signed
//! webhook sender (`webhook`); the CSV export lives with the CLI command.

pub mod webhook;
