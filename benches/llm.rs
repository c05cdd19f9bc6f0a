//! Narrative latency benchmarks: `cargo bench --bench llm`.
//!
//! - cached: a cache hit, from request to grounded text (must fit in one 16 ms frame);
//! - stream overhead: client-measured time to first token minus the server's own delay,
//!   against an SSE server on 127.0.0.1 that answers after 50 ms;
//! - burst: 500 token messages applied to the explorer state and one frame drawn.

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use revgap::config::{Config, LlmConfig};
use revgap::engine;
use revgap::narrative::cache::{Cache, CachedAnswer};
use revgap::narrative::client::{LlmClient, LlmEvent, Overrides};
use revgap::narrative::facts::Facts;
use revgap::narrative::generate::{self, Request};
use revgap::tui::keymap::Keymap;
use revgap::tui::state::{AppState, Loaded};
use revgap::tui::update::{LlmUpdate, Msg, update};
use revgap::tui::view;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SERVER_DELAY: Duration = Duration::from_millis(50);

fn sample() -> Loaded {
    let options = revgap::cli::DataArgs::default().load_options().unwrap();
    let dataset = revgap::data::load(&options).unwrap();
    let analysis = engine::analyze(&dataset, &Config::default());
    Loaded {
        dataset: Arc::new(dataset),
        analysis: Arc::new(analysis),
    }
}

/// An SSE server that waits SERVER_DELAY, then sends one token, a finish chunk and [DONE].
async fn serve(listener: tokio::net::TcpListener) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 65536];
            let _ = socket.read(&mut buffer).await;
            tokio::time::sleep(SERVER_DELAY).await;
            let chunk = |content: &str, finish: &str| {
                format!(
                    "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{content},\"finish_reason\":{finish}}}]}}\n\n"
                )
            };
            let body = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n{}{}data: [DONE]\n\n",
                chunk("{\"content\":\"Spend fell.\"}", "null"),
                chunk("{}", "\"stop\"")
            );
            let _ = socket.write_all(body.as_bytes()).await;
        });
    }
}

fn latency(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let loaded = sample();
    let customer = loaded.analysis.ranking[0];
    let insight = loaded.analysis.insight(&loaded.dataset, customer);
    let facts = Facts::of(&loaded.dataset, &insight, &Config::default());

    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    runtime.spawn(serve(listener));
    let config = LlmConfig::default();
    let client = LlmClient::new(
        &config,
        &Overrides {
            base_url: Some(base),
            model: Some("m".into()),
        },
    )
    .unwrap();

    // Cache hit.
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().to_path_buf());
    let request = Request::new(&facts, Some(&cache));
    let key = generate::cache_key(&client, &config, &request.messages);
    cache.put(
        &key,
        &CachedAnswer {
            text: "Spend fell.".into(),
            finish_reason: "stop".into(),
            model: "m".into(),
        },
    );
    c.bench_function("narrative_cached_hit", |b| {
        b.iter(|| {
            let (events, _) = tokio::sync::mpsc::unbounded_channel();
            runtime.block_on(generate::narrate(&client, &config, &request, events))
        })
    });

    // Streaming overhead over the server's own time to first token.
    let messages = revgap::narrative::prompt::messages(&facts);
    let mut overheads: Vec<Duration> = (0..40)
        .map(|_| {
            let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
            let started = Instant::now();
            runtime.block_on(async {
                let stream = client.stream(&messages, events);
                tokio::pin!(stream);
                let mut first = None;
                loop {
                    tokio::select! {
                        Some(LlmEvent::Token(_)) = received.recv() => {
                            first.get_or_insert_with(|| started.elapsed());
                        }
                        result = &mut stream => {
                            result.unwrap();
                            break;
                        }
                    }
                }
                first.unwrap_or_else(|| started.elapsed())
            }) - SERVER_DELAY
        })
        .collect();
    overheads.sort();
    eprintln!(
        "stream overhead over the server's time to first token (40 requests): median {:?}, p90 {:?}",
        overheads[20], overheads[36]
    );

    // A 500-token burst drained into the state, then one frame.
    let mut state = AppState::new("bench".into(), Config::default(), Keymap::default(), true);
    update(&mut state, Msg::Resize(120, 40));
    update(
        &mut state,
        Msg::Analysed {
            generation: 0,
            result: Ok(loaded.clone()),
        },
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    c.bench_function("explorer_500_token_burst_then_frame", |b| {
        b.iter(|| {
            update(
                &mut state,
                Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE)),
            );
            let request = state.last_request;
            for _ in 0..500 {
                update(
                    &mut state,
                    Msg::Llm {
                        request,
                        customer,
                        update: LlmUpdate::Event(LlmEvent::Token("tok ".into())),
                    },
                );
            }
            terminal
                .draw(|frame| {
                    view::render(&state, frame);
                })
                .unwrap();
        })
    });
}

criterion_group!(benches, latency);
criterion_main!(benches);
