//! One narrative for one customer: cache, then the model, then grounding, with the rule-based
//! text as the fallback whenever anything fails. Every outcome says where its text came from.

use super::cache::{Cache, CachedAnswer};
use super::client::{Completion, LlmClient, LlmEvent};
use super::facts::Facts;
use super::grounding::{self, Grounding};
use super::prompt::{self, Message};
use super::sanitize;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

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
}

impl Generated {
    pub fn is_grounded(&self) -> bool {
        self.grounding.as_ref().is_some_and(Grounding::is_grounded)
    }

    fn fallback(reason: String, text: Option<String>, grounding: Option<Grounding>) -> Self {
        Self {
            text,
            source: Source::RuleBased,
            grounding,
            fallback_reason: Some(reason),
            completion: None,
        }
    }
}

/// What to ask and where to keep answers.
pub struct Request<'a> {
    pub facts: &'a Facts,
    pub messages: Vec<Message>,
    pub cache: Option<&'a Cache>,
}

impl<'a> Request<'a> {
    pub fn new(facts: &'a Facts, cache: Option<&'a Cache>) -> Self {
        Self {
            facts,
            messages: prompt::messages(facts),
            cache,
        }
    }
}

/// The cache key of a request to `client`.
pub fn cache_key(
    client: &LlmClient,
    config: &crate::config::LlmConfig,
    messages: &[Message],
) -> String {
    Cache::key(
        &client.endpoint.model,
        messages,
        config.temperature,
        config.max_output_tokens,
    )
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
        }
    } else {
        let reason = format!("LLM text {}", verdict.summary());
        Generated::fallback(reason, Some(clean), Some(verdict))
    }
}

/// Answers from the cache when possible; otherwise streams from the model (events go to
/// `events`), caches a complete answer, and grounds it.
pub async fn narrate(
    client: &LlmClient,
    config: &crate::config::LlmConfig,
    request: &Request<'_>,
    events: UnboundedSender<LlmEvent>,
) -> Generated {
    let key = cache_key(client, config, &request.messages);
    if let Some(answer) = request.cache.and_then(|c| c.get(&key)) {
        return judge(&answer.text, request.facts, Source::Cached, None);
    }
    match client.stream(&request.messages, events).await {
        Ok(completion) if completion.finish_reason == "length" => Generated::fallback(
            "LLM text cut off at the token limit (finish_reason: length)".into(),
            Some(sanitize::clean_output(&completion.text)),
            None,
        ),
        Ok(completion) => {
            if let (Some(cache), false) = (request.cache, completion.redacted) {
                cache.put(
                    &key,
                    &CachedAnswer {
                        text: completion.text.clone(),
                        finish_reason: completion.finish_reason.clone(),
                        model: client.endpoint.model.clone(),
                    },
                );
            }
            let text = completion.text.clone();
            judge(&text, request.facts, Source::Llm, Some(completion))
        }
        Err(error) => Generated::fallback(error.to_string(), None, None),
    }
}
