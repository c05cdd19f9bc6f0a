//! One narrative for one customer: cache, then the model, then grounding, with the rule-based
//! text as the fallback whenever anything fails. Every outcome says where its text came from.

use super::cache::{Cache, CachedAnswer};
use super::client::{Completion, LlmClient, LlmError, LlmEvent};
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

/// Answers `messages` from the cache when possible; otherwise streams from the model (events
/// go to `events`) and caches a complete answer. Text cut at the token limit is no answer.
pub async fn complete(
    client: &LlmClient,
    config: &crate::config::LlmConfig,
    messages: &[Message],
    cache: Option<&Cache>,
    events: UnboundedSender<LlmEvent>,
) -> Result<Answer, NoAnswer> {
    let key = cache_key(client, config, messages);
    if let Some(answer) = cache.and_then(|c| c.get(&key)) {
        return Ok(Answer {
            text: answer.text,
            source: Source::Cached,
            completion: None,
        });
    }
    let _turn = client.turn().await;
    match client.stream(messages, events).await {
        Ok(completion) if completion.finish_reason == "length" => Err(NoAnswer {
            reason: "LLM text cut off at the token limit (finish_reason: length)".into(),
            partial: Some(sanitize::clean_output(&completion.text)),
            stalled: false,
        }),
        Ok(completion) => {
            if let (Some(cache), false) = (cache, completion.redacted) {
                cache.put(
                    &key,
                    &CachedAnswer {
                        text: completion.text.clone(),
                        finish_reason: completion.finish_reason.clone(),
                        model: client.endpoint.model.clone(),
                    },
                );
            }
            Ok(Answer {
                text: completion.text.clone(),
                source: Source::Llm,
                completion: Some(completion),
            })
        }
        Err(error) => Err(NoAnswer {
            stalled: matches!(
                error,
                LlmError::Truncated | LlmError::Idle(_) | LlmError::Timeout(_)
            ),
            reason: error.to_string(),
            partial: None,
        }),
    }
}

/// A grounded narrative: `complete`, then `judge` against the facts.
pub async fn narrate(
    client: &LlmClient,
    config: &crate::config::LlmConfig,
    request: &Request<'_>,
    events: UnboundedSender<LlmEvent>,
) -> Generated {
    let answer = complete(client, config, &request.messages, request.cache, events).await;
    verdict(answer, request.facts)
}

/// The narrative an answer (or its absence) makes.
pub fn verdict(answer: Result<Answer, NoAnswer>, facts: &Facts) -> Generated {
    match answer {
        Ok(answer) => judge(&answer.text, facts, answer.source, answer.completion),
        Err(none) => Generated::fallback(none.reason, none.partial, None),
    }
}
