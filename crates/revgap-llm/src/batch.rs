//! `revgap analyze --llm`: narratives for the top customers, with a concurrency limit, a
//! per-run token budget (checked before sending, from a conservative estimate), and a dry run
//! that prints exactly what would be sent.

use crate::cache::Cache;
use crate::client::LlmClient;
use crate::generate::{self, Answer, Generated, NoAnswer};
use revgap_core::config::Config;
use revgap_core::data::Dataset;
use revgap_core::engine::Analysis;
use revgap_core::narrative::facts::Facts;
use revgap_core::narrative::prompt::{self, Message};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub struct BatchOptions {
    pub concurrency: usize,
    /// Estimated prompt + output tokens allowed for the whole run.
    pub token_budget: u32,
}

/// What a batch produced.
#[derive(Debug, Default)]
pub struct BatchResult {
    pub narratives: HashMap<usize, Generated>,
    pub tokens_reserved: u32,
    pub grounding_failures: usize,
    pub usage: LlmUsage,
}

/// The messages for each customer, in order.
pub fn plan(
    dataset: &Dataset,
    analysis: &Analysis,
    config: &Config,
    customers: &[usize],
) -> Vec<(usize, Facts, Vec<Message>)> {
    customers
        .iter()
        .map(|customer| {
            let insight = analysis.insight(dataset, *customer);
            let facts = Facts::of(dataset, &insight, config);
            let messages = prompt::messages(&facts);
            (*customer, facts, messages)
        })
        .collect()
}

/// The dry run: the exact messages and token estimates; nothing is sent.
pub fn dry_run(
    dataset: &Dataset,
    plan: &[(usize, Facts, Vec<Message>)],
    config: &Config,
    model: &str,
) -> String {
    let mut total = 0;
    let requests: Vec<serde_json::Value> = plan
        .iter()
        .map(|(customer, _, messages)| {
            let estimate = prompt::estimate_tokens(messages) + config.llm.max_output_tokens;
            total += estimate;
            serde_json::json!({
                "customer_id": &dataset.customer_ids[*customer],
                "model": model,
                "messages": messages,
                "estimated_tokens": estimate,
            })
        })
        .collect();
    let document = serde_json::json!({
        "dry_run": true,
        "prompt_version": prompt::PROMPT_VERSION,
        "requests": requests,
        "estimated_tokens_total": total,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// Answers for many requests: at most `options.concurrency` in flight, and a request whose
/// estimated cost would pass the token budget is not sent (its answer says so).
pub struct Completed<K> {
    pub answers: HashMap<K, Result<Answer, NoAnswer>>,
    pub tokens_reserved: u32,
    pub usage: LlmUsage,
}

impl LlmUsage {
    /// One request's use: an answer from the cache, or a call (answered or not) with its
    /// prompt's estimated tokens and the answer's streamed ones.
    pub fn of_one(
        source: generate::Source,
        prompt_tokens: u64,
        completion: Option<&revgap_core::narrative::generate::Completion>,
    ) -> Self {
        if source == generate::Source::Cached {
            return Self {
                cached: 1,
                ..Self::default()
            };
        }
        Self {
            calls: 1,
            cached: 0,
            prompt_tokens,
            completion_tokens: completion.map_or(0, |c| c.tokens as u64),
        }
    }
}

impl std::ops::AddAssign for LlmUsage {
    fn add_assign(&mut self, other: Self) {
        self.calls += other.calls;
        self.cached += other.cached;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
    }
}

/// What a run asked of the model: requests sent (answered or not), answers from the cache,
/// the prompts' estimated tokens (sent requests only) and the answers' streamed tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LlmUsage {
    pub calls: u64,
    pub cached: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// Requests under way: answers arrive from `tasks` as (key, answer, prompt tokens).
pub struct Started<K> {
    pub tasks: tokio::task::JoinSet<(K, Result<Answer, NoAnswer>, u64)>,
    /// Jobs refused before sending because the budget would be exceeded.
    pub refused: Vec<(K, NoAnswer)>,
    pub tokens_reserved: u32,
}

/// Starts `jobs` (a key and its messages) through the cache, at most `concurrency` at a time,
/// reserving each one's estimated tokens from the budget first; dropping the result cancels
/// whatever has not finished.
pub fn start_all<K>(
    client: Arc<LlmClient>,
    llm: &revgap_core::config::LlmConfig,
    jobs: Vec<(K, Vec<Message>)>,
    cache: Option<Cache>,
    options: &BatchOptions,
) -> Started<K>
where
    K: Send + 'static,
{
    let mut started = Started {
        tasks: tokio::task::JoinSet::new(),
        refused: Vec::new(),
        tokens_reserved: 0,
    };
    let permits = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    for (key, messages) in jobs {
        let cost = prompt::estimate_tokens(&messages) + llm.max_output_tokens;
        if started.tokens_reserved + cost > options.token_budget {
            let reason = format!("token budget of {} exhausted", options.token_budget);
            started.refused.push((
                key,
                NoAnswer {
                    reason,
                    partial: None,
                    stalled: false,
                },
            ));
            continue;
        }
        started.tokens_reserved += cost;
        let (client, permits, cache, llm) =
            (client.clone(), permits.clone(), cache.clone(), llm.clone());
        let prompt_tokens = u64::from(prompt::estimate_tokens(&messages));
        started.tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let (events, _ignored) = tokio::sync::mpsc::unbounded_channel();
            let mut answer =
                generate::complete(&client, &llm, &messages, cache.as_ref(), events.clone()).await;
            // A stall under concurrent requests: this server gets one request at a time from
            // now on, and this one a second try in its turn.
            if answer.as_ref().is_err_and(|none| none.stalled) {
                client.serialise();
                answer = generate::complete(&client, &llm, &messages, cache.as_ref(), events).await;
            }
            (key, answer, prompt_tokens)
        });
    }
    started
}

/// One finished request's use of the model.
pub fn usage_of(answer: &Result<Answer, NoAnswer>, prompt_tokens: u64) -> LlmUsage {
    match answer {
        Ok(found) => LlmUsage::of_one(found.source, prompt_tokens, found.completion.as_ref()),
        Err(_) => LlmUsage::of_one(generate::Source::Llm, prompt_tokens, None),
    }
}

/// Sends `jobs` (a key and its messages) to the model, through the cache, and waits for all.
pub async fn complete_all<K>(
    client: Arc<LlmClient>,
    llm: &revgap_core::config::LlmConfig,
    jobs: Vec<(K, Vec<Message>)>,
    cache: Option<Cache>,
    options: &BatchOptions,
) -> Completed<K>
where
    K: Eq + std::hash::Hash + Send + 'static,
{
    let mut started = start_all(client, llm, jobs, cache, options);
    let mut completed = Completed {
        answers: started
            .refused
            .drain(..)
            .map(|(key, refused)| (key, Err(refused)))
            .collect(),
        tokens_reserved: started.tokens_reserved,
        usage: LlmUsage::default(),
    };
    while let Some(joined) = started.tasks.join_next().await {
        if let Ok((key, answer, prompt_tokens)) = joined {
            completed.usage += usage_of(&answer, prompt_tokens);
            completed.answers.insert(key, answer);
        }
    }
    completed
}

/// Runs the plan against the model and grounds each answer against its customer's facts.
pub async fn run(
    client: Arc<LlmClient>,
    config: &Config,
    plan: Vec<(usize, Facts, Vec<Message>)>,
    cache: Option<Cache>,
    options: &BatchOptions,
) -> BatchResult {
    let mut facts_of = HashMap::new();
    let mut jobs = Vec::new();
    for (customer, facts, messages) in plan {
        facts_of.insert(customer, facts);
        jobs.push((customer, messages));
    }
    let completed = complete_all(client, &config.llm, jobs, cache, options).await;
    let mut result = BatchResult {
        tokens_reserved: completed.tokens_reserved,
        usage: completed.usage,
        ..BatchResult::default()
    };
    for (customer, answer) in completed.answers {
        let Some(facts) = facts_of.get(&customer) else {
            continue;
        };
        let generated = generate::verdict(answer, facts);
        if generated
            .grounding
            .as_ref()
            .is_some_and(|g| !g.is_grounded())
        {
            result.grounding_failures += 1;
        }
        result.narratives.insert(customer, generated);
    }
    result
}
