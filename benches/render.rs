//! Explorer frame benchmarks with 1M customers loaded: `cargo bench --bench render`.
//! A frame is drawn into ratatui's TestBackend at 120×40 (the same work as a real terminal,
//! minus the terminal's own I/O).

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use revgap::config::Config;
use revgap::tui::keymap::Keymap;
use revgap::tui::state::AppState;
use revgap::tui::update::{Msg, update};
use revgap::tui::view;
mod support;

use support::loaded;

fn frames(c: &mut Criterion) {
    let config = Config::default();
    let mut state = AppState::new("bench".into(), config, Keymap::default(), true);
    update(&mut state, Msg::Resize(120, 40));
    update(
        &mut state,
        Msg::Analysed {
            generation: 0,
            result: Ok(loaded(1_000_000)),
        },
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    // Frame-time percentiles over 2,000 key-then-frame cycles (criterion reports means).
    let mut times: Vec<std::time::Duration> = (0..2000)
        .map(|i| {
            let code = if i % 200 < 100 {
                KeyCode::Char('j')
            } else {
                KeyCode::Char('k')
            };
            let started = std::time::Instant::now();
            update(
                &mut state,
                Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
            );
            terminal
                .draw(|frame| {
                    view::render(&state, frame);
                })
                .unwrap();
            started.elapsed()
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    eprintln!(
        "key+frame over {} cycles: p50 {:?}  p95 {:?}  p99 {:?}  max {:?}",
        times.len(),
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0)
    );
    let mut group = c.benchmark_group("explorer_1m_customers_120x40");
    group.bench_function("frame", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| {
                    view::render(&state, frame);
                })
                .unwrap();
        })
    });
    group.bench_function("keypress_then_frame", |b| {
        b.iter(|| {
            update(
                &mut state,
                Msg::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
            );
            terminal
                .draw(|frame| {
                    view::render(&state, frame);
                })
                .unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);
