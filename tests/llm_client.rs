//! The LLM client against an in-process fake server: streaming, [DONE], truncation, malformed
//! chunks, 401, 429 with Retry-After, 500, idle timeout, connection refused, cancellation,
//! and the shape of what is sent.

mod common;

use common::fake_llm::{FakeServer, Reply, chunk, status, tokens};
use revgap::config::{LlmConfig, TokenLimitField};
use revgap::narrative::client::{LlmClient, LlmError, LlmEvent, Overrides};
use revgap::narrative::prompt::Message;
use std::time::Duration;
use tokio::sync::mpsc::unbounded_channel;

fn config() -> LlmConfig {
    LlmConfig {
        api_key_env: "REVGAP_TEST_FAKE_KEY".into(),
        timeout_s: 10.0,
        idle_timeout_s: 2.0,
        max_retries: 2,
        ..LlmConfig::default()
    }
}

fn client(base_url: &str, config: &LlmConfig) -> LlmClient {
    let overrides = Overrides {
        base_url: Some(base_url.into()),
        model: Some("fake-model".into()),
    };
    LlmClient::new(config, &overrides).unwrap()
}

fn messages() -> Vec<Message> {
    vec![
        Message {
            role: "system",
            content: "sys".into(),
        },
        Message {
            role: "user",
            content: "<customer_data>{}</customer_data>".into(),
        },
    ]
}

async fn run(
    client: &LlmClient,
) -> (
    Result<revgap::narrative::client::Completion, LlmError>,
    Vec<LlmEvent>,
) {
    let (sender, mut receiver) = unbounded_channel();
    let result = client.stream(&messages(), sender).await;
    let mut events = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        events.push(event);
    }
    (result, events)
}

#[tokio::test]
async fn streams_tokens_until_done() {
    let server = FakeServer::start(vec![tokens(
        &["Spend ", "fell", " \u{1b}[31msharply."],
        Duration::ZERO,
    )])
    .await;
    let (result, events) = run(&client(&server.base_url, &config())).await;
    let completion = result.unwrap();
    assert_eq!(completion.text, "Spend fell sharply.");
    assert_eq!(completion.finish_reason, "stop");
    assert_eq!(completion.tokens, 3);
    assert!(completion.first_token.is_some());
    let streamed: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, LlmEvent::Token(_)))
        .collect();
    assert_eq!(streamed.len(), 3);
}

#[tokio::test]
async fn request_has_model_limit_field_stream_and_key() {
    // SAFETY: only this test reads this variable.
    unsafe { std::env::set_var("REVGAP_TEST_FAKE_KEY", "sk-test-secret") };
    let server = FakeServer::start(vec![
        tokens(&["ok"], Duration::ZERO),
        tokens(&["ok"], Duration::ZERO),
    ])
    .await;
    let mut settings = config();
    let built = client(&server.base_url, &settings);
    assert!(
        !format!("{built:?}").contains("sk-test-secret"),
        "Debug never shows the key"
    );
    run(&built).await.0.unwrap();
    settings.token_limit_field = TokenLimitField::MaxCompletionTokens;
    run(&client(&server.base_url, &settings)).await.0.unwrap();
    let log = server.log.lock().unwrap();
    let first = &log.requests[0];
    assert!(first.starts_with("POST /v1/chat/completions"), "{first}");
    assert!(first.contains("Bearer sk-test-secret"));
    assert!(first.contains("\"model\":\"fake-model\""));
    assert!(first.contains("\"stream\":true"));
    assert!(first.contains("\"max_tokens\":220"));
    assert!(first.contains("<customer_data>"));
    assert!(log.requests[1].contains("\"max_completion_tokens\":220"));
}

#[tokio::test]
async fn a_stream_without_finish_reason_is_truncated() {
    let reply = Reply::Sse {
        data: vec![chunk(Some("half a sen"), None)],
        gap: Duration::ZERO,
        done: false,
    };
    let server = FakeServer::start(vec![reply]).await;
    let (result, _) = run(&client(&server.base_url, &config())).await;
    assert_eq!(result.unwrap_err(), LlmError::Truncated);
}

#[tokio::test]
async fn a_malformed_chunk_is_an_error_not_a_panic() {
    let reply = Reply::Sse {
        data: vec![chunk(Some("ok"), None), "{not json".into()],
        gap: Duration::ZERO,
        done: true,
    };
    let server = FakeServer::start(vec![reply]).await;
    let (result, _) = run(&client(&server.base_url, &config())).await;
    assert!(matches!(result, Err(LlmError::Malformed(_))), "{result:?}");
}

#[tokio::test]
async fn unauthorized_is_reported_once_without_retries() {
    let body = r#"{"error":{"message":"bad key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
    let server = FakeServer::start(vec![status(401, body), status(401, body)]).await;
    let (result, events) = run(&client(&server.base_url, &config())).await;
    let error = result.unwrap_err();
    assert_eq!(error, LlmError::Unauthorized("REVGAP_TEST_FAKE_KEY".into()));
    assert!(error.to_string().contains("$REVGAP_TEST_FAKE_KEY"));
    assert_eq!(server.request_count(), 1);
    assert!(events.is_empty());
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after_then_succeeds() {
    let limited = Reply::Status {
        code: 429,
        headers: vec![("retry-after".into(), "1".into())],
        body: r#"{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":null}}"#.into(),
    };
    let server = FakeServer::start(vec![limited, tokens(&["fine"], Duration::ZERO)]).await;
    let started = std::time::Instant::now();
    let (result, events) = run(&client(&server.base_url, &config())).await;
    assert_eq!(result.unwrap().text, "fine");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "honoured Retry-After"
    );
    assert_eq!(
        events[0],
        LlmEvent::Retrying {
            attempt: 1,
            reason: "HTTP 429".into(),
            wait: Duration::from_secs(1)
        }
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = FakeServer::start(vec![
        status(500, "{}"),
        status(502, "{}"),
        status(503, "{}"),
    ])
    .await;
    let (result, events) = run(&client(&server.base_url, &config())).await;
    assert!(
        matches!(
            result,
            Err(LlmError::Server(_)) | Err(LlmError::Malformed(_))
        ),
        "{result:?}"
    );
    assert_eq!(server.request_count(), 3, "one try and two retries");
    let retries: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            LlmEvent::Retrying { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [1, 2]);
}

#[tokio::test]
async fn a_stalled_stream_hits_the_idle_timeout() {
    let mut settings = config();
    settings.idle_timeout_s = 0.3;
    let server = FakeServer::start(vec![tokens(&["slow", "er"], Duration::from_secs(3))]).await;
    let started = std::time::Instant::now();
    let (result, _) = run(&client(&server.base_url, &settings)).await;
    assert!(matches!(result, Err(LlmError::Idle(_))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn connection_refused_is_clear() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let mut settings = config();
    settings.max_retries = 1;
    let base = format!("http://{address}/v1");
    let (result, _) = run(&client(&base, &settings)).await;
    assert_eq!(result.unwrap_err(), LlmError::Connection(base));
}

#[tokio::test]
async fn a_bad_url_is_refused_up_front() {
    let overrides = Overrides {
        base_url: Some("not a url".into()),
        model: None,
    };
    assert_eq!(
        LlmClient::new(&config(), &overrides).unwrap_err(),
        LlmError::BadUrl("not a url".into())
    );
}

#[tokio::test]
async fn cancelling_drops_the_connection() {
    let server = FakeServer::start(vec![tokens(
        &["a", "b", "c", "d", "e", "f", "g", "h"],
        Duration::from_millis(150),
    )])
    .await;
    let client = client(&server.base_url, &config());
    let (sender, mut receiver) = unbounded_channel();
    let task = tokio::spawn(async move { client.stream(&messages(), sender).await });
    // Cancel as soon as the first token arrives.
    assert!(matches!(receiver.recv().await, Some(LlmEvent::Token(_))));
    task.abort();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !server.log.lock().unwrap().client_gone {
        assert!(
            std::time::Instant::now() < deadline,
            "server never saw the client go"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const ECHOED_KEY: &str = "sk-echo-0123456789abcdefghij";

fn echo_config() -> LlmConfig {
    // SAFETY: every test that reads this variable sets it to the same value.
    unsafe { std::env::set_var("REVGAP_TEST_ECHO_KEY", ECHOED_KEY) };
    LlmConfig {
        api_key_env: "REVGAP_TEST_ECHO_KEY".into(),
        max_retries: 0,
        ..config()
    }
}

#[tokio::test]
async fn item_13_a_key_echoed_in_an_error_body_is_redacted() {
    let body = format!(r#"{{"error":{{"message":"quota exceeded for key {ECHOED_KEY}"}}}}"#);
    let server = FakeServer::start(vec![status(500, &body)]).await;
    let (result, _) = run(&client(&server.base_url, &echo_config())).await;
    let error = result.unwrap_err().to_string();
    assert!(!error.contains(ECHOED_KEY), "{error}");
    assert!(!error.contains("0123456789abcdefghij"), "{error}");
}

#[tokio::test]
async fn item_13_a_key_echoed_in_model_text_never_streams_or_stays() {
    // The key arrives split across chunks, as tokenisers split it.
    let server = FakeServer::start(vec![tokens(
        &["Your key is sk-echo-0123", "456789abc", "defghij, noted."],
        Duration::ZERO,
    )])
    .await;
    let (result, events) = run(&client(&server.base_url, &echo_config())).await;
    let completion = result.unwrap();
    assert!(
        completion.redacted,
        "the answer is marked so it is never cached"
    );
    assert_eq!(completion.text, "Your key is [redacted], noted.");
    let streamed: String = events
        .iter()
        .filter_map(|e| match e {
            LlmEvent::Token(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        streamed, completion.text,
        "the screen sees the same scrubbed text"
    );
}

#[tokio::test]
async fn item_15_a_runaway_answer_is_cut_and_labelled_as_cut() {
    let piece = "spend fell by a lot. ".repeat(5);
    let many: Vec<&str> = std::iter::repeat_n(piece.as_str(), 50_000).collect();
    let server = FakeServer::start(vec![tokens(&many, Duration::ZERO)]).await;
    let (result, _) = run(&client(&server.base_url, &config())).await;
    let completion = result.unwrap();
    assert_eq!(completion.finish_reason, "length");
    let limit = (config().max_output_tokens as usize * 8).max(2000);
    let length = completion.text.chars().count();
    assert!(length >= limit && length < limit + piece.len(), "{length}");
}

#[test]
fn item_21_no_endpoint_says_what_is_missing() {
    let config = LlmConfig {
        api_key_env: "REVGAP_TEST_NEVER_SET_KEY".into(),
        ..LlmConfig::default()
    };
    let error = LlmClient::new(&config, &Overrides::default()).unwrap_err();
    assert_eq!(
        error,
        LlmError::NotConfigured("REVGAP_TEST_NEVER_SET_KEY".into())
    );
    let message = error.to_string();
    assert!(message.contains("OPENAI_BASE_URL"), "{message}");
    assert!(message.contains("$REVGAP_TEST_NEVER_SET_KEY"), "{message}");
}
