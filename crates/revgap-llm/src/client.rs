//! The OpenAI-compatible chat client (async-openai), built once and reused.
//!
//! Connect and whole-request timeouts come from the HTTP client, a per-chunk idle timeout wraps
//! every read of the stream, and retries (429, 5xx, connection errors; `Retry-After` honoured)
//! happen in our own tower service so each one is reported as a visible `Retrying` event.
//! The API key lives only inside the client's configuration: it is never logged, cached,
//! exported or shown (`Debug` prints the endpoint and model only).

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessageArgs,
    ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequest,
    CreateChatCompletionRequestArgs,
};
use futures_util::StreamExt;
use revgap_core::config::{LlmConfig, TokenLimitField};
pub use revgap_core::narrative::generate::Completion;
use revgap_core::narrative::prompt::Message;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// Where to send requests, after applying environment and flag overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub base_url: String,
    pub model: String,
    /// The variable the key came from (the key itself is not kept here).
    pub api_key_env: String,
}

/// Command-line overrides (highest precedence).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub base_url: Option<String>,
    pub model: Option<String>,
}

/// Something that happens while a request runs.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmEvent {
    /// An attempt failed retryably; the next starts after `wait`.
    Retrying {
        attempt: u32,
        reason: String,
        wait: Duration,
    },
    /// Streamed text (already stripped of control characters).
    Token(String),
}

/// Why a generation failed; every variant is a clear one-line message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("generated text is disabled ([llm] enabled = false)")]
    Disabled,
    #[error(
        "no LLM endpoint configured: set OPENAI_BASE_URL (or [llm] base_url) to an OpenAI-compatible server, and ${0} if it needs a key"
    )]
    NotConfigured(String),
    #[error("the server rejected the API key (401); set ${0}")]
    Unauthorized(String),
    #[error("cannot connect to {0}")]
    Connection(String),
    #[error("bad LLM base URL '{0}'")]
    BadUrl(String),
    #[error("no answer within {0:.0} s")]
    Timeout(f64),
    #[error("the stream stalled for {0:.0} s")]
    Idle(f64),
    #[error("the stream ended without a finish reason (truncated)")]
    Truncated,
    #[error("malformed response from the server: {0}")]
    Malformed(String),
    #[error("server error: {0}")]
    Server(String),
}

tokio::task_local! {
    /// Where the retry service reports retries for the request running in this task.
    static EVENTS: UnboundedSender<LlmEvent>;
}

/// The reusable client.
#[derive(Clone)]
pub struct LlmClient {
    client: Client<OpenAIConfig>,
    pub endpoint: Endpoint,
    settings: LlmConfig,
    /// Kept only to scrub it from whatever the server sends back (never printed).
    key: String,
    /// Set once a request to this server stalled or was cut off while others were in flight:
    /// from then on its requests go one at a time (through `one_at_a_time`), for every batch
    /// and narrative that shares this client. Servers such as llama.cpp's serve one stream at
    /// a time and drop the others.
    serialised: Arc<std::sync::atomic::AtomicBool>,
    one_at_a_time: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field(
                "base_url",
                &revgap_core::text::redact_url_credentials(&self.endpoint.base_url),
            )
            .field("model", &self.endpoint.model)
            .finish()
    }
}

/// Resolves the endpoint: flags, then `OPENAI_BASE_URL` / `REVGAP_LLM_MODEL`, then the file.
pub fn resolve_endpoint(config: &LlmConfig, overrides: &Overrides) -> Endpoint {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    Endpoint {
        base_url: overrides
            .base_url
            .clone()
            .or_else(|| env("OPENAI_BASE_URL"))
            .unwrap_or_else(|| config.base_url.clone()),
        model: overrides
            .model
            .clone()
            .or_else(|| env("REVGAP_LLM_MODEL"))
            .unwrap_or_else(|| config.model.clone()),
        api_key_env: config.api_key_env.clone(),
    }
}

impl LlmClient {
    /// Builds the client; fails only on an unusable base URL or HTTP client.
    pub fn new(config: &LlmConfig, overrides: &Overrides) -> Result<Self, LlmError> {
        if !config.enabled {
            return Err(LlmError::Disabled);
        }
        let endpoint = resolve_endpoint(config, overrides);
        // The URL may carry credentials (http://user:pass@host): never shown as it is.
        let shown_url = revgap_core::text::redact(&endpoint.base_url, &[]).into_owned();
        if reqwest::Url::parse(&endpoint.base_url).is_err() {
            return Err(LlmError::BadUrl(shown_url));
        }
        let key = std::env::var(&endpoint.api_key_env).unwrap_or_default();
        // The public endpoint without a key would only fail after retries: say what is missing.
        let default_endpoint = endpoint.base_url == LlmConfig::default().base_url;
        if key.trim().is_empty() && default_endpoint {
            return Err(LlmError::NotConfigured(endpoint.api_key_env));
        }
        // rustls with the ring provider: pure Rust plus a small C/asm core, no system OpenSSL.
        // A second install (another client) fails harmlessly: the provider is already set.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs_f64(config.connect_timeout_s))
            .timeout(Duration::from_secs_f64(config.timeout_s))
            // A redirect would carry the key and the prompt somewhere nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| LlmError::BadUrl(format!("{shown_url}: {e}")))?;
        let max_retries = config.max_retries;
        let service = tower::service_fn(move |factory: HttpRequestFactory| {
            let http = http.clone();
            async move { send_with_retries(&http, factory, max_retries).await }
        });
        let client = Client::with_config(
            OpenAIConfig::new()
                .with_api_base(endpoint.base_url.clone())
                .with_api_key(key.clone()),
        )
        .with_http_service(service);
        Ok(Self {
            client,
            endpoint,
            settings: config.clone(),
            key,
            serialised: Arc::default(),
            one_at_a_time: Arc::new(tokio::sync::Semaphore::new(1)),
        })
    }

    /// Sends this server one request at a time from now on (see `serialised`).
    pub fn serialise(&self) {
        if !self
            .serialised
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            tracing::info!(
                "llm server stalled under concurrent requests: one at a time from now on"
            );
        }
    }

    pub fn is_serialised(&self) -> bool {
        self.serialised.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits for this server's turn when it takes one request at a time; `None` otherwise.
    pub async fn turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        if self.is_serialised() {
            self.one_at_a_time.acquire().await.ok()
        } else {
            None
        }
    }

    fn request(&self, messages: &[Message]) -> Result<CreateChatCompletionRequest, LlmError> {
        let converted: Vec<ChatCompletionRequestMessage> = messages
            .iter()
            .map(|m| match m.role {
                "system" => ChatCompletionRequestSystemMessageArgs::default()
                    .content(m.content.clone())
                    .build()
                    .map(Into::into),
                _ => ChatCompletionRequestUserMessageArgs::default()
                    .content(m.content.clone())
                    .build()
                    .map(Into::into),
            })
            .collect::<Result<_, _>>()
            .map_err(|e| LlmError::Malformed(e.to_string()))?;
        let mut builder = CreateChatCompletionRequestArgs::default();
        builder
            .model(self.endpoint.model.clone())
            .temperature(self.settings.temperature as f32)
            .messages(converted);
        match self.settings.token_limit_field {
            TokenLimitField::MaxCompletionTokens => {
                builder.max_completion_tokens(self.settings.max_output_tokens);
            }
            TokenLimitField::MaxTokens => {
                // Deprecated by OpenAI, but the only limit llama.cpp servers honour.
                #[allow(deprecated)]
                builder.max_tokens(self.settings.max_output_tokens);
            }
        }
        builder
            .build()
            .map_err(|e| LlmError::Malformed(e.to_string()))
    }

    /// Streams a completion, sending `Token` and `Retrying` events as they happen.
    pub async fn stream(
        &self,
        messages: &[Message],
        events: UnboundedSender<LlmEvent>,
    ) -> Result<Completion, LlmError> {
        let request = self.request(messages)?;
        let started = Instant::now();
        let overall = Duration::from_secs_f64(self.settings.timeout_s);
        let idle = Duration::from_secs_f64(self.settings.idle_timeout_s);
        let opened = EVENTS.scope(events.clone(), async {
            tokio::time::timeout(overall, self.client.chat().create_stream(request)).await
        });
        let mut stream = match opened.await {
            Err(_) => return Err(LlmError::Timeout(self.settings.timeout_s)),
            Ok(Err(error)) => return Err(self.classify(error)),
            Ok(Ok(stream)) => stream,
        };
        let mut text = String::new();
        let mut tokens = 0;
        let mut first_token = None;
        let mut finish_reason = None;
        let mut scrubber = Scrubber::new(&self.key);
        let limit = answer_limit(self.settings.max_output_tokens);
        loop {
            if text.chars().count() >= limit {
                // A server that ignores the token limit must not fill memory and the screen:
                // stop reading (dropping the stream closes the connection) and say so.
                finish_reason = Some("length".to_string());
                break;
            }
            let remaining = overall.saturating_sub(started.elapsed());
            let next = match tokio::time::timeout(idle.min(remaining), stream.next()).await {
                Err(_) if remaining <= idle => {
                    return Err(LlmError::Timeout(self.settings.timeout_s));
                }
                Err(_) => return Err(LlmError::Idle(self.settings.idle_timeout_s)),
                Ok(next) => next,
            };
            let chunk = match next {
                None => break,
                Some(Err(error)) => return Err(self.classify(error)),
                Some(Ok(chunk)) => chunk,
            };
            for choice in chunk.choices {
                if let Some(content) = choice.delta.content {
                    let clean = revgap_core::narrative::sanitize::strip_control(&content);
                    if !clean.is_empty() {
                        first_token.get_or_insert_with(|| started.elapsed());
                        tokens += 1;
                        let shown = scrubber.push(&clean);
                        if !shown.is_empty() {
                            text.push_str(&shown);
                            let _ = events.send(LlmEvent::Token(shown));
                        }
                    }
                }
                if let Some(reason) = choice.finish_reason {
                    finish_reason = Some(format!("{reason:?}").to_lowercase());
                }
            }
        }
        let rest = scrubber.finish();
        if !rest.is_empty() {
            text.push_str(&rest);
            let _ = events.send(LlmEvent::Token(rest));
        }
        let finish_reason = finish_reason.ok_or(LlmError::Truncated)?;
        // Token-shaped secrets split across chunks are caught on the whole text.
        let whole = revgap_core::text::redact(&text, &[&self.key]).into_owned();
        Ok(Completion {
            redacted: scrubber.redacted || whole != text,
            text: whole,
            finish_reason,
            tokens,
            first_token,
            elapsed: started.elapsed(),
        })
    }

    /// Every error leaves the client scrubbed of the key: servers echo it in error bodies.
    fn classify(&self, error: OpenAIError) -> LlmError {
        match self.classify_raw(error) {
            LlmError::Server(text) => LlmError::Server(self.scrub(&text)),
            LlmError::Malformed(text) => LlmError::Malformed(self.scrub(&text)),
            LlmError::BadUrl(text) => LlmError::BadUrl(self.scrub(&text)),
            LlmError::Connection(text) => LlmError::Connection(self.scrub(&text)),
            other => other,
        }
    }

    fn scrub(&self, text: &str) -> String {
        revgap_core::text::redact(text, &[&self.key]).into_owned()
    }

    fn classify_raw(&self, error: OpenAIError) -> LlmError {
        match error {
            OpenAIError::ApiError(response) => match response.status_code.as_u16() {
                401 | 403 => LlmError::Unauthorized(self.endpoint.api_key_env.clone()),
                _ => LlmError::Server(one_line(&response.to_string())),
            },
            OpenAIError::JSONDeserialize(_, body) if body.contains("Invalid API key") => {
                LlmError::Unauthorized(self.endpoint.api_key_env.clone())
            }
            OpenAIError::JSONDeserialize(error, _) => {
                LlmError::Malformed(one_line(&error.to_string()))
            }
            OpenAIError::StreamError(error) => LlmError::Malformed(one_line(&error.to_string())),
            OpenAIError::Reqwest(error) => self.classify_http(&error),
            OpenAIError::Boxed(error) => match error.downcast::<reqwest::Error>() {
                Ok(error) => self.classify_http(&error),
                Err(error) => LlmError::Server(one_line(&error.to_string())),
            },
            other => LlmError::Server(one_line(&other.to_string())),
        }
    }

    fn classify_http(&self, error: &reqwest::Error) -> LlmError {
        if error.is_timeout() {
            LlmError::Timeout(self.settings.timeout_s)
        } else if error.is_connect() {
            LlmError::Connection(self.endpoint.base_url.clone())
        } else if error.is_builder() {
            LlmError::BadUrl(self.endpoint.base_url.clone())
        } else {
            LlmError::Server(one_line(&error.to_string()))
        }
    }
}

/// The longest answer read, in characters: eight per allowed token (tokens average about
/// four), at least 2,000. A 5 MB answer is cut here.
fn answer_limit(max_output_tokens: u32) -> usize {
    (max_output_tokens as usize).saturating_mul(8).max(2000)
}

/// Streams text onward with the API key replaced: only a tail that could be the start of the
/// key is held back until the next chunk shows whether it is (usually nothing is held).
struct Scrubber<'a> {
    key: &'a str,
    pending: String,
    redacted: bool,
}

impl<'a> Scrubber<'a> {
    fn new(key: &'a str) -> Self {
        Self {
            key,
            pending: String::new(),
            redacted: false,
        }
    }

    fn push(&mut self, chunk: &str) -> String {
        self.pending.push_str(chunk);
        if self.key.len() < 4 {
            return std::mem::take(&mut self.pending);
        }
        if self.pending.contains(self.key) {
            self.pending = self.pending.replace(self.key, revgap_core::text::REDACTED);
            self.redacted = true;
        }
        let longest = (self.key.len() - 1).min(self.pending.len());
        let hold = (1..=longest)
            .rev()
            .find(|n| {
                let start = self.pending.len() - n;
                self.pending.is_char_boundary(start) && self.key.starts_with(&self.pending[start..])
            })
            .unwrap_or(0);
        let rest = self.pending.split_off(self.pending.len() - hold);
        std::mem::replace(&mut self.pending, rest)
    }

    fn finish(&mut self) -> String {
        std::mem::take(&mut self.pending)
    }
}

fn one_line(text: &str) -> String {
    let clean = revgap_core::text::one_line(text);
    let joined = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    joined.chars().take(200).collect()
}

/// Sends one request, retrying 429, 5xx and connection failures up to `max_retries` times.
/// The wait is `Retry-After` (seconds, capped at 30 s) or 0.25 s × 2ⁿ.
async fn send_with_retries(
    http: &reqwest::Client,
    factory: HttpRequestFactory,
    max_retries: u32,
) -> Result<reqwest::Response, OpenAIError> {
    let mut attempt = 0;
    loop {
        let request = factory.build().await?;
        let outcome = http.execute(request).await;
        let backoff = Duration::from_millis(250 << attempt.min(6));
        let (reason, wait) = match &outcome {
            Ok(response)
                if response.status().as_u16() == 429 || response.status().is_server_error() =>
            {
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    // A server may send "nan" or "1e400": only a finite delay is honoured.
                    .and_then(|s| Duration::try_from_secs_f64(s.clamp(0.0, 30.0)).ok());
                (
                    format!("HTTP {}", response.status().as_u16()),
                    retry_after.unwrap_or(backoff),
                )
            }
            Err(error) if error.is_connect() => ("connection failed".to_string(), backoff),
            _ => return outcome.map_err(OpenAIError::Reqwest),
        };
        if attempt >= max_retries {
            return outcome.map_err(OpenAIError::Reqwest);
        }
        attempt += 1;
        let _ = EVENTS.try_with(|events| {
            events.send(LlmEvent::Retrying {
                attempt,
                reason: reason.clone(),
                wait,
            })
        });
        tracing::info!(attempt, %reason, wait_ms = wait.as_millis() as u64, "llm retry");
        tokio::time::sleep(wait).await;
    }
}
