//! What a narrative is, whoever wrote it: its source, the grounding verdict on a model's text,
//! and the rule-based fallback whenever anything fails. Calling a model (cache, client, batch)
//! lives in `revgap-llm`; this module only judges what came back, so it needs no network.

use super::facts::Facts;
use super::grounding::{self, Grounding};
use super::sanitize;
use serde::Serialize;
use std::time::Duration;

/// A finished generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub text: String,
    pub finish_reason: String,
    /// Streamed chunks that carried text (a token count for local servers that send one
    /// token per chunk; an estimate otherwise).
    pub tokens: usize,
    /// The server sent the API key or a token-shaped secret back; it was replaced, and such
    /// an answer is never cached.
    pub redacted: bool,
    pub first_token: Option<Duration>,
    pub elapsed: Duration,
}

/// Where a shown text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Llm,
    Cached,
    RuleBased,
}

impl Source {
    pub fn key(self) -> &'static str {
        match self {
            Self::Llm => "llm",
            Self::Cached => "cached",
            Self::RuleBased => "rule_based",
        }
    }
}

/// The outcome of asking for a narrative.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The generated text (cleaned), when one arrived.
    pub text: Option<String>,
    pub source: Source,
    pub grounding: Option<Grounding>,
    /// Why the rule-based text is used instead, when it is.
    pub fallback_reason: Option<String>,
    pub completion: Option<Completion>,
    /// No text because the model stalled, timed out or cut the stream (`NoAnswer::stalled`):
    /// worth another try, where a rejected or refused text is not.
    pub stalled: bool,
}

impl Generated {
    pub fn is_grounded(&self) -> bool {
        self.grounding.as_ref().is_some_and(Grounding::is_grounded)
    }

    pub fn fallback(reason: String, text: Option<String>, grounding: Option<Grounding>) -> Self {
        Self {
            text,
            source: Source::RuleBased,
            grounding,
            fallback_reason: Some(reason),
            completion: None,
            stalled: false,
        }
    }
}

/// Grounds a text and turns it into an outcome.
pub fn judge(
    text: &str,
    facts: &Facts,
    source: Source,
    completion: Option<Completion>,
) -> Generated {
    let clean = sanitize::clean_output(text);
    let verdict = grounding::check(&clean, facts);
    if clean.trim().is_empty() {
        return Generated::fallback(
            "the model returned no text".into(),
            Some(clean),
            Some(verdict),
        );
    }
    if verdict.is_grounded() {
        Generated {
            text: Some(clean),
            source,
            grounding: Some(verdict),
            fallback_reason: None,
            completion,
            stalled: false,
        }
    } else {
        let reason = format!("LLM text {}", verdict.summary());
        Generated::fallback(reason, Some(clean), Some(verdict))
    }
}

/// A model's answer: from the cache or freshly streamed (then cached when complete).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub text: String,
    /// `Llm` or `Cached`.
    pub source: Source,
    pub completion: Option<Completion>,
}

/// Why no usable answer came: the reason, and the (cleaned) text that did arrive, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct NoAnswer {
    pub reason: String,
    pub partial: Option<String>,
    /// The stream stalled, timed out or was cut off: worth one more try, one request at a
    /// time (a refused connection is retried by the client itself).
    pub stalled: bool,
}

/// The narrative an answer (or its absence) makes.
pub fn verdict(answer: Result<Answer, NoAnswer>, facts: &Facts) -> Generated {
    match answer {
        Ok(answer) => judge(&answer.text, facts, answer.source, answer.completion),
        Err(none) => Generated {
            stalled: none.stalled,
            ..Generated::fallback(none.reason, none.partial, None)
        },
    }
}
