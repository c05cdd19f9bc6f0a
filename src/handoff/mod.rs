//! Hand-off: getting treated members to the systems that contact them: CSV exports for the
//! sending platforms (`export`) and the signed webhook sender (`webhook`).

pub mod export;
pub mod webhook;
