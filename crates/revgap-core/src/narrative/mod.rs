//! Narrative text about a customer, without a model: the rule-based text (always available),
//! the facts a model may be told, the prompt, and the grounding check that any generated text
//! must pass before it is shown (anything ungrounded falls back to the rule-based text with a
//! reason). Asking a model lives in `revgap-llm`.

pub mod facts;
pub mod generate;
pub mod grounding;
pub mod prompt;
pub mod rules;
pub mod sanitize;
