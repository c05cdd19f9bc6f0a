//! One narrative for one customer from a model: the cache, then the model (streamed), then
//! the grounding verdict of `revgap_core::narrative::generate`, with the rule-based text as
//! the fallback whenever anything fails.

pub use revgap_core::narrative::generate::*;

use crate::cache::{Cache, CachedAnswer};
use crate::client::{LlmClient, LlmError, LlmEvent};
use revgap_core::narrative::facts::Facts;
use revgap_core::narrative::prompt::{self, Message};
use revgap_core::narrative::sanitize;
use tokio::sync::mpsc::UnboundedSender;

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
    config: &revgap_core::config::LlmConfig,
    messages: &[Message],
) -> String {
    Cache::key(
        &client.endpoint.model,
        messages,
        config.temperature,
        config.max_output_tokens,
    )
}

/// Answers `messages` from the cache when possible; otherwise streams from the model (events
/// go to `events`) and caches a complete answer. Text cut at the token limit is no answer.
pub async fn complete(
    client: &LlmClient,
    config: &revgap_core::config::LlmConfig,
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
    config: &revgap_core::config::LlmConfig,
    request: &Request<'_>,
    events: UnboundedSender<LlmEvent>,
) -> Generated {
    let answer = complete(client, config, &request.messages, request.cache, events).await;
    verdict(answer, request.facts)
}
