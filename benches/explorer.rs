//! The explorer at a million customers, driven through its real state, update and list
//! builder (`list_index::start`, exactly as the app starts it):
//! `cargo bench --bench explorer`. Prints percentiles of
//! - a filter keystroke until its first part (or whole list) is on screen (frame drawn),
//!   typing at a person's pace (each walk finishes) and as fast as keys can come (each key
//!   supersedes the unfinished walk),
//! - a sort key until the whole sorted list is on screen,
//! - a quit key during a walk until `update` has set quit (the loop ends on that).

mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use revgap::config::Config;
use revgap::tui::keymap::Keymap;
use revgap::tui::list_index;
use revgap::tui::state::{AppState, Loaded};
use revgap::tui::update::{Command, Msg, update};
use revgap::tui::view;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

const CUSTOMERS: usize = 1_000_000;

struct Driver {
    state: AppState,
    loaded: Loaded,
    latest: Arc<AtomicU64>,
    sender: mpsc::Sender<Msg>,
    receiver: mpsc::Receiver<Msg>,
    terminal: Terminal<TestBackend>,
}

impl Driver {
    /// Applies a key and runs its commands as the app does; returns the newest list request.
    fn key(&mut self, code: KeyCode) -> Option<u64> {
        let commands = update(
            &mut self.state,
            Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        );
        let mut generation = None;
        for command in commands {
            if let Command::BuildList(request) = command {
                generation = Some(request.generation);
                let sender = self.sender.clone();
                list_index::start(
                    request,
                    self.loaded.clone(),
                    self.state.orders.clone(),
                    self.latest.clone(),
                    move |generation, list, complete| {
                        let _ = sender.send(Msg::ListBuilt {
                            generation,
                            list,
                            complete,
                        });
                    },
                );
            }
        }
        generation
    }

    fn frame(&mut self) {
        let state = &mut self.state;
        let mut measured = None;
        self.terminal
            .draw(|frame| measured = Some(view::render(state, frame)))
            .unwrap();
        // As the app does: the next input is judged against this frame.
        state.measured = measured.unwrap_or_default();
    }

    /// Applies list results until `generation` has shown something (or all, with `whole`).
    fn wait_for(&mut self, generation: u64, whole: bool) {
        loop {
            let message = self.receiver.recv().unwrap();
            let (current, complete) = match &message {
                Msg::ListBuilt {
                    generation,
                    complete,
                    ..
                } => (*generation, *complete),
                _ => (0, false),
            };
            update(&mut self.state, message);
            if current == generation && (complete || !whole) {
                self.frame();
                return;
            }
        }
    }

    /// Drops what older walks still send.
    fn settle(&mut self) {
        while self.state.list_building {
            let message = self.receiver.recv().unwrap();
            update(&mut self.state, message);
        }
        while let Ok(message) = self.receiver.recv_timeout(Duration::from_millis(50)) {
            update(&mut self.state, message);
        }
    }
}

fn percentiles(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<44} n={:<4} p50 {:>9.2?}  p95 {:>9.2?}  max {:>9.2?}",
        times.len(),
        at(0.50),
        at(0.95),
        at(1.0)
    );
}

fn main() {
    let config = Config::default();
    let loaded = support::loaded(CUSTOMERS);
    let mut state = AppState::new("bench".into(), config, Keymap::default(), true);
    update(&mut state, Msg::Resize(120, 40));
    update(
        &mut state,
        Msg::Analysed {
            generation: 0,
            result: Ok(loaded.clone()),
        },
    );
    let (sender, receiver) = mpsc::channel();
    let mut driver = Driver {
        state,
        loaded: loaded.clone(),
        latest: Arc::default(),
        sender,
        receiver,
        terminal: Terminal::new(TestBackend::new(120, 40)).unwrap(),
    };
    // What the app does in the background right after the analysis arrives.
    let started = Instant::now();
    driver.state.orders.prepare_all(&loaded);
    println!(
        "sort orders for {CUSTOMERS} customers (background, once): {:.2?}",
        started.elapsed()
    );
    driver.key(KeyCode::Char('x'));
    driver.settle();

    // Words an analyst types: free text, a field expression, an attribute.
    let words = [
        "east",
        "zero",
        "gap>150 sev:high",
        "member:yes churn>=0.5",
        "c00042",
    ];
    let mut paced = Vec::new();
    let mut paced_whole = Vec::new();
    let mut burst = Vec::new();
    for round in 0..4 {
        for word in words {
            driver.key(KeyCode::Char('/'));
            for c in word.chars() {
                let started = Instant::now();
                let Some(generation) = driver.key(KeyCode::Char(c)) else {
                    continue;
                };
                if round % 2 == 0 {
                    driver.wait_for(generation, false);
                    paced.push(started.elapsed());
                    driver.wait_for(generation, true);
                    paced_whole.push(started.elapsed());
                } else {
                    // The next key as soon as this one shows: unfinished walks are superseded.
                    driver.wait_for(generation, false);
                    burst.push(started.elapsed());
                }
            }
            driver.key(KeyCode::Esc);
            driver.settle();
        }
    }
    percentiles("filter key → first part on screen (paced)", paced);
    percentiles("filter key → whole list on screen (paced)", paced_whole);
    percentiles("filter key → first part on screen (burst)", burst);

    let mut sorts = Vec::new();
    for _ in 0..24 {
        let started = Instant::now();
        if let Some(generation) = driver.key(KeyCode::Char('s')) {
            driver.wait_for(generation, true);
            sorts.push(started.elapsed());
        }
    }
    percentiles("sort key → whole sorted list on screen", sorts);

    let mut quits = Vec::new();
    for _ in 0..20 {
        driver.key(KeyCode::Char('/'));
        driver.key(KeyCode::Char('e'));
        let started = Instant::now();
        update(
            &mut driver.state,
            Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        );
        quits.push(started.elapsed());
        assert!(driver.state.quit);
        driver.state.quit = false;
        driver.key(KeyCode::Esc);
        driver.settle();
    }
    percentiles("quit key during a walk → quit set", quits);
}
