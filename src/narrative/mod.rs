//! Narrative text about a customer. `rules` is the deterministic, always-available text.

pub mod rules;
