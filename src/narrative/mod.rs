//! Narrative text about a customer: the rule-based text (always available), and generated text
//! from an OpenAI-compatible model that is streamed, cached, and grounded against the facts
//! before it is shown; anything ungrounded falls back to the rule-based text with a reason.

pub mod batch;
pub mod cache;
pub mod client;
pub mod facts;
pub mod generate;
pub mod grounding;
pub mod prompt;
pub mod rules;
pub mod sanitize;
