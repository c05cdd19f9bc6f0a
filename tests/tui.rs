//! The explorer without a terminal: `update` behaviour, and whole frames rendered to a
//! `TestBackend` and compared with insta snapshots (text at 120×40 and 80×24, plus a buffer
//! snapshot that records the selection's style).

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use revgap::config::Config;
use revgap::engine::{self, GapType};
use revgap::report::Format;
use revgap::tui::keymap::Keymap;
use revgap::tui::state::{AppState, Loaded, Mode, Pane, Phase, SortColumn};
use revgap::tui::update::{Command, Msg, update};
use revgap::tui::view;
use std::sync::Arc;

fn sample_loaded(config: &Config) -> Loaded {
    let options = revgap::cli::DataArgs::default().load_options().unwrap();
    let dataset = revgap::data::load(&options).unwrap();
    let analysis = engine::analyze(&dataset, config);
    Loaded {
        dataset: Arc::new(dataset),
        analysis: Arc::new(analysis),
    }
}

/// A state with the bundled sample analysed, at `width` × `height`.
fn ready(width: u16, height: u16) -> AppState {
    let config = Config::default();
    let mut state = AppState::new(
        "data/weekly_spend.csv".into(),
        config.clone(),
        Keymap::default(),
        false,
    );
    update(&mut state, Msg::Resize(width, height));
    update(
        &mut state,
        Msg::Analysed {
            generation: 0,
            result: Ok(sample_loaded(&config)),
        },
    );
    settle(&mut state);
    state
}

/// Draws the frame the app would draw after a message and keeps what the view measured, as
/// the app does (scrolling and clicks are judged against the screen last drawn).
fn settle(state: &mut AppState) {
    let mut terminal = Terminal::new(TestBackend::new(state.width, state.height)).unwrap();
    let mut measured = None;
    terminal
        .draw(|frame| measured = Some(view::render(state, frame)))
        .unwrap();
    state.measured = measured.unwrap();
}

/// `update`, then the frame the app draws after it.
fn step(state: &mut AppState, msg: Msg) -> Vec<Command> {
    let commands = update(state, msg);
    settle(state);
    commands
}

fn key(state: &mut AppState, code: KeyCode) -> Vec<Command> {
    step(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(state: &mut AppState, c: char) -> Vec<Command> {
    step(
        state,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

fn chars(state: &mut AppState, text: &str) {
    for c in text.chars() {
        key(state, KeyCode::Char(c));
    }
}

fn selected_id(state: &AppState) -> String {
    let loaded = state.loaded.as_ref().unwrap();
    loaded.dataset.customer_ids[state.selected_customer().unwrap()].to_string()
}

fn draw(state: &AppState, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| {
            view::render(state, frame);
        })
        .unwrap();
    terminal
}

fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

#[test]
fn navigation_moves_and_clamps() {
    let mut state = ready(120, 40);
    assert_eq!(state.selected, 0);
    key(&mut state, KeyCode::Char('j'));
    key(&mut state, KeyCode::Down);
    assert_eq!(state.selected, 2);
    key(&mut state, KeyCode::Char('k'));
    assert_eq!(state.selected, 1);
    key(&mut state, KeyCode::Char('G'));
    assert_eq!(state.selected, state.view.len() - 1);
    assert!(state.offset + state.list_rows() >= state.view.len());
    key(&mut state, KeyCode::Char('j'));
    assert_eq!(state.selected, state.view.len() - 1, "clamped at the end");
    key(&mut state, KeyCode::Char('g'));
    assert_eq!((state.selected, state.offset), (0, 0));
    key(&mut state, KeyCode::PageDown);
    assert_eq!(state.selected, state.list_rows());
    ctrl(&mut state, 'u');
    assert_eq!(state.selected, state.list_rows() - state.list_rows() / 2);
}

#[test]
fn filter_narrows_live_keeps_on_enter_and_clears_on_esc() {
    let mut state = ready(120, 40);
    let all = state.view.len();
    key(&mut state, KeyCode::Char('/'));
    chars(&mut state, "zero");
    assert!(matches!(state.mode, Mode::Filter(_)));
    let loaded = state.loaded.clone().unwrap();
    let zero = loaded.analysis.summary.gaps_by_type["zero_spend"];
    // Every zero-spend signal here is a primary gap (it is the largest for a churner).
    assert_eq!(state.view.len(), zero);
    assert!(
        state
            .view
            .iter()
            .all(|c| loaded.analysis.scores[*c as usize].primary == Some(GapType::ZeroSpend))
    );
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(state.filter, "zero");
    // Several terms must all match; an id matches as text.
    key(&mut state, KeyCode::Char('/'));
    key(&mut state, KeyCode::Esc);
    assert_eq!(state.view.len(), all);
    key(&mut state, KeyCode::Char('/'));
    chars(&mut state, "high declining");
    assert!(state.view.len() < all && !state.view.is_empty());
    key(&mut state, KeyCode::Enter);
    key(&mut state, KeyCode::Char('x'));
    assert_eq!(state.view.len(), all);
}

#[test]
fn sorting_cycles_columns_and_keeps_the_selection() {
    let mut state = ready(120, 40);
    key(&mut state, KeyCode::Char('j'));
    key(&mut state, KeyCode::Char('j'));
    let chosen = selected_id(&state);
    key(&mut state, KeyCode::Char('s'));
    assert_eq!(state.sort, SortColumn::Id);
    assert_eq!(
        selected_id(&state),
        chosen,
        "selection survives the re-sort"
    );
    let loaded = state.loaded.clone().unwrap();
    let ids: Vec<u64> = state
        .view
        .iter()
        .map(|c| loaded.dataset.customer_ids[*c as usize].parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "numeric id order");
    key(&mut state, KeyCode::Char('S'));
    assert!(state.reversed);
    assert_eq!(selected_id(&state), chosen);
    let first: u64 = loaded.dataset.customer_ids[state.view[0] as usize]
        .parse()
        .unwrap();
    assert_eq!(first, *ids.last().unwrap());
}

#[test]
fn the_sort_arrow_points_the_way_the_values_run() {
    let mut state = ready(120, 40);
    let loaded = state.loaded.clone().unwrap();
    for sort in SortColumn::ORDER {
        while state.sort != sort {
            key(&mut state, KeyCode::Char('s'));
        }
        for reversed in [false, true] {
            if state.reversed != reversed {
                key(&mut state, KeyCode::Char('S'));
            }
            let arrow = sort.arrow(reversed);
            let screen = screen_text(&draw(&state, 120, 40));
            assert!(
                screen.contains(&format!("sort: {} {arrow}", sort.label())),
                "{sort:?} reversed {reversed}: {screen}"
            );
            // The values under the arrow run its way: ↓ falls down the list, ↑ rises.
            let value = |customer: u32| -> Option<f64> {
                let score = &loaded.analysis.scores[customer as usize];
                match sort {
                    SortColumn::GapAmount => Some(score.gap_size),
                    SortColumn::Churn => Some(loaded.analysis.churn_probability(customer as usize)),
                    SortColumn::Potential => Some(score.potential_revenue),
                    SortColumn::Revenue => Some(score.total_revenue),
                    SortColumn::LastBuy => Some(score.weeks_since_last_purchase as f64),
                    SortColumn::Rank => Some(f64::from(score.rank)),
                    _ => None,
                }
            };
            let (Some(first), Some(last)) =
                (value(state.view[0]), value(*state.view.last().unwrap()))
            else {
                continue;
            };
            assert!(first != last, "{sort:?}: the sample spreads the values");
            assert_eq!(first > last, arrow == "↓", "{sort:?} reversed {reversed}");
        }
    }
    // The list's own header carries the arrow too, even in a column as narrow as its title.
    while state.sort != SortColumn::Churn {
        key(&mut state, KeyCode::Char('s'));
    }
    if state.reversed {
        key(&mut state, KeyCode::Char('S'));
    }
    let screen = screen_text(&draw(&state, 120, 40));
    assert!(screen.contains("chur↓"), "{screen}");
}

#[test]
fn focus_cycles_and_enter_focuses_detail() {
    let mut state = ready(120, 40);
    assert_eq!(state.focus, Pane::List);
    key(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Pane::Detail);
    key(&mut state, KeyCode::Tab);
    key(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Pane::Rationale);
    key(&mut state, KeyCode::Tab);
    assert_eq!(state.focus, Pane::List);
    key(&mut state, KeyCode::BackTab);
    assert_eq!(state.focus, Pane::Rationale);
    key(&mut state, KeyCode::Enter);
    assert_eq!(state.focus, Pane::Detail);
}

#[test]
fn resize_keeps_the_selection_visible() {
    let mut state = ready(120, 40);
    for _ in 0..30 {
        key(&mut state, KeyCode::Char('j'));
    }
    let rows_before = state.list_rows();
    update(&mut state, Msg::Resize(80, 24));
    assert!(state.list_rows() < rows_before);
    assert!(state.selected >= state.offset && state.selected < state.offset + state.list_rows());
    update(&mut state, Msg::Resize(40, 10));
    assert_eq!(state.list_rows(), 0, "too small: no rows");
}

/// `?` explains the field the list is sorted by, from the report's own definitions, with the
/// selected customer's value worked out; Tab walks the fields and `?` again lists the keys.
#[test]
fn question_mark_explains_a_field_with_this_customers_numbers() {
    let mut state = ready(120, 40);
    key(&mut state, KeyCode::Char('?'));
    assert!(matches!(state.mode, Mode::FieldHelp(_)));
    let text = screen_text(&draw(&state, 120, 40));
    let loaded = state.loaded.clone().unwrap();
    let definition =
        revgap::report::definitions::priority(&loaded.analysis.config, &loaded.analysis)
            .replace("**", "");
    assert!(text.contains(&definition[..60]), "{text}");
    assert!(
        text.contains("Customer 389: revenue impact 9.6 × 0.35"),
        "{text}"
    );
    assert!(text.contains("= 9.19 of 10, rank 1."), "{text}");
    // The markdown report says the same.
    let report = revgap::report::render(
        Format::Markdown,
        &revgap::report::ReportContext {
            dataset: &loaded.dataset,
            analysis: &loaded.analysis,
            config: &loaded.analysis.config,
            customers: &[],
            generated_at: String::new(),
            narratives: None,
        },
    );
    assert!(report.contains(&revgap::report::definitions::priority(
        &loaded.analysis.config,
        &loaded.analysis
    )));
    key(&mut state, KeyCode::Tab);
    key(&mut state, KeyCode::Tab);
    key(&mut state, KeyCode::Tab);
    let text = screen_text(&draw(&state, 120, 40));
    assert!(text.contains("Churn probability:"), "{text}");
    assert!(
        text.contains("Customer 389: 100% from the bgnbd+logistic model (BG/NBD P(alive) 0%)"),
        "{text}"
    );
    // Potential: the product the engine computes, with the configured weeks.
    key(&mut state, KeyCode::Tab);
    let text = screen_text(&draw(&state, 120, 40));
    assert!(text.contains("expected weekly spend × 4 weeks"), "{text}");
    assert!(
        text.contains(
            "Customer 389: $624.05 = $156.01 expected spend per week × 4 weeks (Win Back)"
        ),
        "{text}"
    );
    // The explanation's sizing is the engine's, for every customer with an opportunity.
    for customer in 0..loaded.dataset.customer_ids.len() {
        let insight = loaded.analysis.insight(&loaded.dataset, customer);
        if let (Some(opportunity), Some(gap)) = (&insight.opportunity, &insight.primary_gap) {
            let sizing =
                revgap::engine::opportunity::Sizing::of(&loaded.analysis.config.opportunity, gap);
            assert_eq!(
                opportunity.potential_revenue,
                sizing.per_week * sizing.weeks
            );
        }
    }
    // Segments: the value tiers' real split, which the data's tiers follow.
    key(&mut state, KeyCode::Tab);
    key(&mut state, KeyCode::Tab);
    let text = screen_text(&draw(&state, 120, 40));
    assert!(
        text.contains("the top 20 % of customers by total spend high, the next 30 % medium"),
        "{text}"
    );
    let tiers = loaded
        .analysis
        .segments
        .get(&revgap::segment::Dimension::ValueTier)
        .unwrap();
    let count = |label: &str| (0..1000).filter(|c| tiers.of(*c) == label).count();
    assert_eq!(
        (count("high"), count("medium"), count("low")),
        (200, 300, 500)
    );
    key(&mut state, KeyCode::Char('?'));
    assert_eq!(state.mode, Mode::Help(0));
}

#[test]
fn churn_help_names_the_rules_once_when_they_decide() {
    let mut config = Config::default();
    config.model.churn_model = revgap::config::ChurnModel::Rules;
    let mut state = AppState::new("data".into(), config.clone(), Keymap::default(), false);
    update(&mut state, Msg::Resize(120, 40));
    update(
        &mut state,
        Msg::Analysed {
            generation: 0,
            result: Ok(sample_loaded(&config)),
        },
    );
    key(&mut state, KeyCode::Char('?'));
    for _ in 0..3 {
        key(&mut state, KeyCode::Tab);
    }
    let text = screen_text(&draw(&state, 120, 40));
    assert!(
        text.contains("Churn probability: from the rules: churn points"),
        "{text}"
    );
    assert!(text.contains("% from the rules; rule score"), "{text}");
    assert!(!text.contains("rules (rules"), "{text}");
}

#[test]
fn help_opens_and_any_key_closes_it() {
    let mut state = ready(120, 40);
    key(&mut state, KeyCode::Char('h'));
    assert_eq!(state.mode, Mode::Help(0));
    // Generated from the key table: every action's description is on screen, scrolling
    // with j when the help is taller than the screen.
    let mut text = screen_text(&draw(&state, 120, 40));
    for _ in 0..40 {
        key(&mut state, KeyCode::Char('j'));
        text.push_str(&screen_text(&draw(&state, 120, 40)));
    }
    assert!(matches!(state.mode, Mode::Help(rows) if rows > 0));
    for (_, action) in state.keymap.bindings() {
        assert!(
            text.contains(action.description()),
            "{}",
            action.description()
        );
    }
    key(&mut state, KeyCode::Char('z'));
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(state.selected, 0, "the closing key does nothing else");
}

#[test]
fn tuning_reruns_the_analysis_and_drops_stale_results() {
    let mut state = ready(120, 40);
    key(&mut state, KeyCode::Char('j'));
    let chosen = selected_id(&state);
    key(&mut state, KeyCode::Char('t'));
    assert!(matches!(state.mode, Mode::Tuning(_)));
    // Loosen the declining threshold by 5 points: −15 → −10.
    for _ in 0..5 {
        key(&mut state, KeyCode::Char('l'));
    }
    let commands = key(&mut state, KeyCode::Enter);
    let [Command::Analyze { generation, config }] = commands.as_slice() else {
        panic!("expected one Analyze command, got {commands:?}");
    };
    assert_eq!(config.gaps.declining_revenue_pct, -10.0);
    assert!(matches!(state.phase, Phase::Working { .. }));
    let before = state.loaded.as_ref().unwrap().analysis.summary.gaps_total;
    // A result for an older request is ignored.
    update(
        &mut state,
        Msg::Analysed {
            generation: generation - 1,
            result: Ok(sample_loaded(&Config::default())),
        },
    );
    assert!(matches!(state.phase, Phase::Working { .. }));
    update(
        &mut state,
        Msg::Analysed {
            generation: *generation,
            result: Ok(sample_loaded(config)),
        },
    );
    assert_eq!(state.phase, Phase::Ready);
    let after = state.loaded.as_ref().unwrap().analysis.summary.gaps_total;
    assert!(
        after > before,
        "a looser threshold finds more gaps ({before} → {after})"
    );
    assert_eq!(state.config.gaps.declining_revenue_pct, -10.0);
    assert_eq!(
        selected_id(&state),
        chosen,
        "selection kept across the re-run"
    );
}

#[test]
fn invalid_tuning_is_refused_in_the_popup() {
    let mut state = ready(120, 40);
    key(&mut state, KeyCode::Char('t'));
    // Move to "high severity" and raise it above "medium severity".
    for _ in 0..3 {
        key(&mut state, KeyCode::Char('j'));
    }
    for _ in 0..20 {
        key(&mut state, KeyCode::Char('l'));
    }
    assert!(key(&mut state, KeyCode::Enter).is_empty());
    let Mode::Tuning(form) = &state.mode else {
        panic!("popup stays open")
    };
    assert!(form.error.as_deref().unwrap().contains("high_severity_pct"));
}

#[test]
fn export_asks_for_a_format() {
    let mut state = ready(120, 40);
    key(&mut state, KeyCode::Char('e'));
    assert_eq!(state.mode, Mode::Export);
    assert_eq!(
        key(&mut state, KeyCode::Char('c')),
        vec![Command::Export(Format::Csv)]
    );
    update(&mut state, Msg::Exported(Ok("./view.csv".into())));
    assert!(state.status.as_deref().unwrap().contains("./view.csv"));
}

/// An export of the filtered, sorted view after tuning: the rows in view order with every
/// attribute, generated text labelled by source, scores still on the 0–10 scale, a sidecar
/// naming the data, the view, the tuned values and the whole configuration, and a new name
/// for each export made in the same second.
#[test]
fn export_writes_the_view_with_attributes_texts_and_a_settings_sidecar() {
    let mut state = ready(120, 40);
    // Tune every weight up: applied, they are scaled back to a sum of 1.
    key(&mut state, KeyCode::Char('t'));
    for _ in 0..5 {
        key(&mut state, KeyCode::Char('j'));
    }
    for _ in 0..4 {
        for _ in 0..10 {
            key(&mut state, KeyCode::Char('l'));
        }
        key(&mut state, KeyCode::Char('j'));
    }
    let commands = key(&mut state, KeyCode::Enter);
    let [Command::Analyze { generation, config }] = commands.as_slice() else {
        panic!("expected one Analyze command, got {commands:?}");
    };
    assert!(
        (config.weight_total() - 1.0).abs() < 1e-9,
        "{:?}",
        config.scoring
    );
    let tuned_config = (**config).clone();
    update(
        &mut state,
        Msg::Analysed {
            generation: *generation,
            result: Ok(sample_loaded(&tuned_config)),
        },
    );
    key(&mut state, KeyCode::Char('/'));
    chars(&mut state, "zero");
    key(&mut state, KeyCode::Enter);
    key(&mut state, KeyCode::Char('s'));
    let loaded = state.loaded.clone().unwrap();
    let first = state.view[0] as usize;
    let narratives: std::collections::HashMap<usize, revgap::narrative::generate::Generated> = [(
        first,
        revgap::narrative::generate::Generated {
            text: Some("A model wrote this.".into()),
            source: revgap::narrative::generate::Source::Llm,
            grounding: None,
            fallback_reason: None,
            completion: None,
            stalled: false,
        },
    )]
    .into();
    let dir = tempfile::tempdir().unwrap();
    let files: std::collections::BTreeMap<String, String> =
        [("weekly".to_string(), "data/weekly_spend.csv".to_string())].into();
    let mut record = revgap::tui::export::ExportRecord::of(
        &state,
        &Config::default(),
        &files,
        "2026-01-01 00:00:00".into(),
    );
    let path = revgap::tui::export::write_view(
        &loaded,
        &state.view,
        Format::Csv,
        dir.path(),
        &narratives,
        &mut record,
    )
    .unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(&path)
        .unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    for name in [
        "household_size",
        "attribute_name",
        "attribute_region",
        "rationale_source",
    ] {
        assert!(header.iter().any(|h| h == name), "{name} in {header:?}");
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r[column("customer_id")].to_string())
        .collect();
    let expected: Vec<String> = state
        .view
        .iter()
        .map(|c| loaded.dataset.customer_ids[*c as usize].to_string())
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(&rows[0][column("rationale_source")], "llm");
    assert_eq!(&rows[0][column("rationale")], "A model wrote this.");
    assert!(!rows[0][column("attribute_name")].is_empty());
    for row in &rows {
        let score: f64 = row[column("priority_score")].parse().unwrap();
        assert!((0.0..=10.0).contains(&score), "{score}");
    }
    let sidecar_path = dir.path().join(format!(
        "{}.settings.toml",
        path.file_name().unwrap().to_string_lossy()
    ));
    let sidecar: toml::Value =
        toml::from_str(&std::fs::read_to_string(&sidecar_path).unwrap()).unwrap();
    let export = &sidecar["export"];
    assert_eq!(export["rows"].as_integer(), Some(state.view.len() as i64));
    assert_eq!(export["filter"].as_str(), Some("zero"));
    assert_eq!(
        export["data_files"]["weekly"].as_str(),
        Some("data/weekly_spend.csv")
    );
    let as_of = loaded.analysis.summary.as_of.unwrap().to_string();
    assert_eq!(export["as_of"].as_str(), Some(as_of.as_str()));
    assert_eq!(export["generated_texts"].as_integer(), Some(1));
    let tuned = export["tuned_in_explorer"].as_table().unwrap();
    assert!(tuned.contains_key("scoring.churn_risk"), "{tuned:?}");
    // The recorded configuration reproduces the numbers.
    let config: Config = sidecar["config"].clone().try_into().unwrap();
    assert_eq!(config, tuned_config);
    // A second export in the same second gets its own name.
    let again = revgap::tui::export::write_view(
        &loaded,
        &state.view,
        Format::Csv,
        dir.path(),
        &narratives,
        &mut record,
    )
    .unwrap();
    assert_ne!(again, path);
    assert!(again.to_string_lossy().ends_with("-2.csv"), "{again:?}");
    assert!(path.exists());
}

#[test]
fn quit_keys_and_ctrl_c_from_any_mode() {
    let mut state = ready(120, 40);
    key(&mut state, KeyCode::Char('q'));
    assert!(state.quit);
    let mut state = ready(120, 40);
    key(&mut state, KeyCode::Char('/'));
    ctrl(&mut state, 'c');
    assert!(state.quit, "Ctrl-C quits while typing a filter");
    let mut state = ready(120, 40);
    assert_eq!(ctrl(&mut state, 'z'), vec![Command::Suspend]);
}

#[test]
fn esc_never_quits_and_q_asks_once_before_losing_marks() {
    let mut state = ready(80, 24);
    for _ in 0..3 {
        key(&mut state, KeyCode::Esc);
    }
    assert!(!state.quit, "Esc with nothing open does nothing but say so");
    let screen = screen_text(&draw(&state, 80, 24));
    assert!(screen.contains("nothing to close (q quits)"), "{screen}");
    // Esc closes an overlay, and only that.
    key(&mut state, KeyCode::Char('h'));
    key(&mut state, KeyCode::Esc);
    assert_eq!(state.mode, Mode::Normal);
    assert!(!state.quit);
    // Marked customers would be lost: q asks, any other key stays.
    key(&mut state, KeyCode::Char(' '));
    key(&mut state, KeyCode::Char('j'));
    key(&mut state, KeyCode::Char(' '));
    assert_eq!(state.marked.len(), 2);
    key(&mut state, KeyCode::Char('q'));
    assert!(!state.quit, "q with marks asks first");
    let screen = screen_text(&draw(&state, 80, 24));
    assert!(
        screen.contains("quit? 2 marked customers will be forgotten"),
        "{screen}"
    );
    key(&mut state, KeyCode::Esc);
    assert!(!state.quit, "Esc answers no");
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(state.marked.len(), 2, "the marks survive");
    key(&mut state, KeyCode::Char('q'));
    key(&mut state, KeyCode::Char('q'));
    assert!(state.quit, "q again quits");
    // A running narrative batch would stop: q asks too.
    let mut state = ready(80, 24);
    state.batch = Some(revgap::tui::state::BatchView {
        request: 1,
        total: 3,
        done: 1,
        refused: 0,
        grounded: 1,
        failures: Default::default(),
        finished: false,
        cancelled: false,
    });
    key(&mut state, KeyCode::Char('q'));
    assert!(!state.quit);
    let screen = screen_text(&draw(&state, 80, 24));
    assert!(
        screen.contains("quit? the narrative batch stops at 1 of 3"),
        "{screen}"
    );
    key(&mut state, KeyCode::Char('y'));
    assert!(state.quit);
    // Ctrl-C never asks.
    let mut state = ready(80, 24);
    key(&mut state, KeyCode::Char(' '));
    ctrl(&mut state, 'c');
    assert!(state.quit);
}

#[test]
fn keys_work_while_loading() {
    let mut state = AppState::new("x".into(), Config::default(), Keymap::default(), false);
    update(&mut state, Msg::Resize(80, 24));
    key(&mut state, KeyCode::Char('j'));
    let text = screen_text(&draw(&state, 80, 24));
    assert!(text.contains("loading data… 0%"), "{text}");
    key(&mut state, KeyCode::Char('h'));
    assert_eq!(state.mode, Mode::Help(0));
    key(&mut state, KeyCode::Esc);
    key(&mut state, KeyCode::Char('q'));
    assert!(state.quit);
}

#[test]
fn load_failure_is_shown_not_printed() {
    let mut state = AppState::new("x".into(), Config::default(), Keymap::default(), false);
    update(
        &mut state,
        Msg::Analysed {
            generation: 0,
            result: Err(
                "spend.csv:3:3 (weekly_spend): expected a finite number >= 0, found \"abc\"".into(),
            ),
        },
    );
    let text = screen_text(&draw(&state, 120, 40));
    assert!(text.contains("Could not load the data:"));
    assert!(text.contains("spend.csv:3:3"));
}

#[test]
fn snapshot_120x40() {
    let mut state = ready(120, 40);
    key(&mut state, KeyCode::Char('j'));
    insta::assert_snapshot!("explorer_120x40", draw(&state, 120, 40).backend());
}

#[test]
fn snapshot_80x24() {
    let mut state = ready(80, 24);
    key(&mut state, KeyCode::Char('j'));
    insta::assert_snapshot!("explorer_80x24", draw(&state, 80, 24).backend());
    key(&mut state, KeyCode::Tab);
    key(&mut state, KeyCode::Tab);
    insta::assert_snapshot!("explorer_80x24_scores", draw(&state, 80, 24).backend());
}

#[test]
fn snapshot_too_small_and_filtered() {
    let state = ready(50, 12);
    insta::assert_snapshot!("explorer_too_small", draw(&state, 50, 12).backend());
    let mut state = ready(120, 40);
    key(&mut state, KeyCode::Char('/'));
    chars(&mut state, "below");
    insta::assert_snapshot!("explorer_filter_typing", draw(&state, 120, 40).backend());
}

#[test]
fn selection_is_visible_without_colour() {
    // No colour at all: the selected row must carry the "> " marker and REVERSED.
    let state = ready(60, 15);
    let terminal = draw(&state, 60, 15);
    let buffer = terminal.backend().buffer();
    let row = (0..buffer.area.height)
        .find(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, *y)].symbol())
                .collect::<String>()
                .contains("> 1")
        })
        .expect("selected row with marker");
    let cell = &buffer[(4, row)];
    assert!(cell.modifier.contains(ratatui::style::Modifier::REVERSED));
    assert_eq!(cell.fg, ratatui::style::Color::Reset);
    insta::assert_debug_snapshot!("explorer_selection_buffer", buffer);
}

mod narratives {
    use super::*;
    use revgap::narrative::client::LlmEvent;
    use revgap::narrative::generate::{Generated, Source};
    use revgap::narrative::grounding::Grounding;
    use revgap::tui::state::NarrativePhase;
    use revgap::tui::update::LlmUpdate;

    fn token(state: &mut AppState, request: u64, customer: usize, text: &str) {
        update(
            state,
            Msg::Llm {
                request,
                customer,
                update: LlmUpdate::Event(LlmEvent::Token(text.into())),
            },
        );
    }

    fn finished(text: &str, problems: Vec<String>) -> Box<Generated> {
        let grounded = problems.is_empty();
        Box::new(Generated {
            text: Some(text.into()),
            source: if grounded {
                Source::Llm
            } else {
                Source::RuleBased
            },
            grounding: Some(Grounding {
                problems: problems.clone(),
            }),
            fallback_reason: (!grounded)
                .then(|| format!("LLM text rejected: {}", problems.join("; "))),
            completion: None,
            stalled: false,
        })
    }

    #[test]
    fn r_streams_into_the_selected_customer_and_finishes() {
        let mut state = ready(120, 40);
        let customer = state.selected_customer().unwrap();
        let commands = key(&mut state, KeyCode::Char('r'));
        assert_eq!(
            commands,
            vec![Command::Generate {
                request: 1,
                customer
            }]
        );
        token(&mut state, 1, customer, "Spend ");
        token(&mut state, 1, customer, "fell.");
        let text = screen_text(&draw(&state, 120, 40));
        assert!(text.contains("streaming · 2 tokens"), "{text}");
        assert!(text.contains("Spend fell."));
        // Browsing is not blocked while it streams.
        key(&mut state, KeyCode::Char('j'));
        assert_ne!(state.selected_customer(), Some(customer));
        update(
            &mut state,
            Msg::Llm {
                request: 1,
                customer,
                update: LlmUpdate::Finished(finished("Spend fell.", vec![])),
            },
        );
        assert!(state.active_request.is_none());
        key(&mut state, KeyCode::Char('k'));
        let text = screen_text(&draw(&state, 120, 40));
        assert!(text.contains("[llm · grounded"), "{text}");
    }

    #[test]
    fn a_stale_request_never_lands() {
        let mut state = ready(120, 40);
        let first = state.selected_customer().unwrap();
        key(&mut state, KeyCode::Char('r'));
        key(&mut state, KeyCode::Char('j'));
        let second = state.selected_customer().unwrap();
        // A new request cancels the running one.
        let commands = key(&mut state, KeyCode::Char('r'));
        assert_eq!(
            commands,
            vec![
                Command::Cancel(1),
                Command::Generate {
                    request: 2,
                    customer: second
                }
            ]
        );
        // Late tokens of request 1 neither land on customer 1 nor on customer 2.
        token(&mut state, 1, first, "late");
        token(&mut state, 1, second, "wrong customer");
        assert!(
            matches!(&state.narratives[&first].phase, NarrativePhase::Cancelled { text } if text.is_empty())
        );
        token(&mut state, 2, second, "right");
        assert!(
            matches!(&state.narratives[&second].phase, NarrativePhase::Streaming { text, .. } if text == "right")
        );
    }

    #[test]
    fn c_cancels_and_keeps_the_unchecked_text_visibly_apart() {
        let mut state = ready(120, 40);
        let customer = state.selected_customer().unwrap();
        key(&mut state, KeyCode::Char('r'));
        token(&mut state, 1, customer, "partial");
        assert_eq!(
            key(&mut state, KeyCode::Char('c')),
            vec![Command::Cancel(1)]
        );
        assert!(state.active_request.is_none());
        let text = screen_text(&draw(&state, 120, 40));
        assert!(
            text.contains("[llm cancelled · text below not checked]"),
            "{text}"
        );
        assert!(
            key(&mut state, KeyCode::Char('c')).is_empty(),
            "nothing left to cancel"
        );
    }

    #[test]
    fn rejected_text_falls_back_with_its_reason_and_is_counted() {
        let mut state = ready(120, 40);
        let customer = state.selected_customer().unwrap();
        key(&mut state, KeyCode::Char('r'));
        let rejected = finished(
            "Recover $9,999 now.",
            vec!["number 9,999 is not in the customer's facts".into()],
        );
        update(
            &mut state,
            Msg::Llm {
                request: 1,
                customer,
                update: LlmUpdate::Finished(rejected),
            },
        );
        assert_eq!(state.grounding_failures, 1);
        let text = screen_text(&draw(&state, 120, 40));
        assert!(
            text.contains("[rule_based fallback: LLM text rejected: number 9,999"),
            "{text}"
        );
        assert!(
            !text.contains("Recover $9,999"),
            "rejected text is not shown as the rationale"
        );
        assert!(text.contains("1 LLM text(s) rejected by grounding"));
    }

    #[test]
    fn retrying_is_visible() {
        let mut state = ready(120, 40);
        let customer = state.selected_customer().unwrap();
        key(&mut state, KeyCode::Char('r'));
        let retry = LlmEvent::Retrying {
            attempt: 1,
            reason: "HTTP 429".into(),
            wait: std::time::Duration::from_secs(2),
        };
        update(
            &mut state,
            Msg::Llm {
                request: 1,
                customer,
                update: LlmUpdate::Event(retry),
            },
        );
        let text = screen_text(&draw(&state, 120, 40));
        assert!(
            text.contains("retrying (HTTP 429, attempt 1, in 2.0 s)"),
            "{text}"
        );
    }

    /// R sends the marked customers as one batch (in list order), shows its progress in the
    /// header, files each answer under its customer, and c cancels what is left.
    #[test]
    fn capital_r_generates_for_the_marked_customers_as_a_batch() {
        let mut state = ready(120, 40);
        assert!(key(&mut state, KeyCode::Char('R')).is_empty());
        assert!(
            state
                .status
                .clone()
                .unwrap()
                .contains("mark customers first")
        );
        for _ in 0..3 {
            key(&mut state, KeyCode::Char(' '));
        }
        let marked: Vec<usize> = state.view[..3].iter().map(|c| *c as usize).collect();
        let commands = key(&mut state, KeyCode::Char('R'));
        let [Command::GenerateBatch { request, customers }] = commands.as_slice() else {
            panic!("one batch: {commands:?}");
        };
        assert_eq!(customers, &marked);
        let request = *request;
        assert!(screen_text(&draw(&state, 120, 40)).contains("LLM batch 0/3 (c cancels)"));
        assert!(
            key(&mut state, KeyCode::Char('R')).is_empty(),
            "one batch at a time"
        );
        update(
            &mut state,
            Msg::BatchItem {
                request,
                customer: marked[1],
                generated: finished("Grounded text.", vec![]),
            },
        );
        assert!(screen_text(&draw(&state, 120, 40)).contains("LLM batch 1/3"));
        assert!(matches!(
            state.narratives[&marked[1]].phase,
            NarrativePhase::Done(_)
        ));
        assert_eq!(
            key(&mut state, KeyCode::Char('c')),
            vec![Command::Cancel(request)]
        );
        assert!(
            state
                .status
                .clone()
                .unwrap()
                .contains("cancelled: 1 of 3 done")
        );
        // Answers of a cancelled batch still in the channel are dropped.
        update(
            &mut state,
            Msg::BatchItem {
                request,
                customer: marked[2],
                generated: finished("Late text.", vec![]),
            },
        );
        assert!(!state.narratives.contains_key(&marked[2]));
        update(
            &mut state,
            Msg::BatchFinished {
                request,
                refused: 0,
            },
        );
        assert!(
            state
                .status
                .clone()
                .unwrap()
                .contains("cancelled: 1 of 3 done")
        );
        assert!(!screen_text(&draw(&state, 120, 40)).contains("(c cancels)"));
    }

    #[test]
    fn without_an_endpoint_r_explains_why() {
        let mut state = ready(120, 40);
        state.llm_unavailable = Some("no usable LLM endpoint".into());
        assert!(key(&mut state, KeyCode::Char('r')).is_empty());
        let text = screen_text(&draw(&state, 120, 40));
        assert!(
            text.contains("[rule_based fallback: no usable LLM endpoint]"),
            "{text}"
        );
    }
}

mod pivot {
    use super::*;

    fn open_pivot(state: &mut AppState) -> revgap::tui::pivot::PivotState {
        key(state, KeyCode::Char('F'));
        match &state.mode {
            Mode::Pivot(pivot) => (**pivot).clone(),
            other => panic!("F opens the pivot, got {other:?}"),
        }
    }

    #[test]
    fn f_opens_a_pivot_whose_rows_add_up() {
        let mut state = ready(120, 40);
        let pivot = open_pivot(&mut state);
        assert_eq!(pivot.dimension_key(&state), "value_tier");
        let customers: usize = pivot.rows.iter().map(|r| r.customers).sum();
        assert_eq!(customers, 1000);
        let with_gaps: usize = pivot.rows.iter().map(|r| r.customers_with_gaps).sum();
        assert_eq!(with_gaps, state.view.len());
        key(&mut state, KeyCode::Tab);
        let Mode::Pivot(next) = &state.mode else {
            panic!("Tab keeps the pivot open")
        };
        assert_eq!(next.dimension_key(&state), "lifecycle");
        key(&mut state, KeyCode::BackTab);
        let Mode::Pivot(back) = &state.mode else {
            panic!()
        };
        assert_eq!(back.dimension_key(&state), "value_tier");
    }

    #[test]
    fn enter_drills_into_the_segment_and_esc_comes_back() {
        let mut state = ready(120, 40);
        let pivot = open_pivot(&mut state);
        key(&mut state, KeyCode::Char('j'));
        let row = pivot.rows[1].clone();
        key(&mut state, KeyCode::Enter);
        assert_eq!(state.mode, Mode::Normal);
        let label = &row.key["value_tier"];
        assert_eq!(state.filter, format!("value_tier:{label}"));
        assert_eq!(state.view.len(), row.customers_with_gaps);
        let loaded = state.loaded.clone().unwrap();
        let tiers = loaded
            .analysis
            .segments
            .get(&revgap::segment::Dimension::ValueTier)
            .unwrap();
        assert!(state.view.iter().all(|c| tiers.of(*c as usize) == label));
        // Esc closes the pivot without touching the filter.
        open_pivot(&mut state);
        key(&mut state, KeyCode::Esc);
        assert_eq!(state.mode, Mode::Normal);
        assert_eq!(state.filter, format!("value_tier:{label}"));
    }

    #[test]
    fn enter_narrows_even_after_the_prompt_was_switched_to_find() {
        let mut state = ready(120, 40);
        // The last typed filter found rows rather than narrowing the list.
        key(&mut state, KeyCode::Char('/'));
        key(&mut state, KeyCode::Tab);
        chars(&mut state, "sev:high");
        key(&mut state, KeyCode::Enter);
        assert!(!state.narrow);
        let all = state.view.len();
        let pivot = open_pivot(&mut state);
        let row = pivot.rows[0].clone();
        key(&mut state, KeyCode::Enter);
        assert!(state.narrow, "a pivot drill-in narrows");
        assert_eq!(state.view.len(), row.customers_with_gaps);
        assert!(state.view.len() < all);
        let screen = screen_text(&draw(&state, 120, 40));
        assert!(
            screen.contains(&format!("{} customers with gaps", row.customers_with_gaps)),
            "{screen}"
        );
    }

    #[test]
    fn find_mode_sticks_across_prompts() {
        let mut state = ready(120, 40);
        key(&mut state, KeyCode::Char('/'));
        key(&mut state, KeyCode::Tab);
        chars(&mut state, "sev:high");
        key(&mut state, KeyCode::Enter);
        key(&mut state, KeyCode::Char('/'));
        let screen = screen_text(&draw(&state, 120, 40));
        assert!(screen.contains(" find: sev:high"), "{screen}");
        assert!(!state.narrow, "the next / keeps finding");
        key(&mut state, KeyCode::Esc);
        key(&mut state, KeyCode::Char('/'));
        chars(&mut state, "type:zero");
        key(&mut state, KeyCode::Enter);
        assert!(!state.narrow, "still finding after Esc cleared the text");
    }

    #[test]
    fn the_filter_takes_segment_terms() {
        let mut state = ready(120, 40);
        key(&mut state, KeyCode::Char('/'));
        chars(&mut state, "lifecycle:at_risk");
        key(&mut state, KeyCode::Enter);
        let loaded = state.loaded.clone().unwrap();
        let stages = loaded
            .analysis
            .segments
            .get(&revgap::segment::Dimension::Lifecycle)
            .unwrap();
        assert!(!state.view.is_empty());
        assert!(
            state
                .view
                .iter()
                .all(|c| stages.of(*c as usize) == "at risk")
        );
        // Free text matches segment labels too.
        key(&mut state, KeyCode::Char('x'));
        key(&mut state, KeyCode::Char('/'));
        chars(&mut state, "hibernating");
        key(&mut state, KeyCode::Enter);
        let rfm = loaded
            .analysis
            .segments
            .get(&revgap::segment::Dimension::Rfm)
            .unwrap();
        assert!(!state.view.is_empty());
        assert!(
            state
                .view
                .iter()
                .all(|c| rfm.of(*c as usize) == "hibernating")
        );
    }

    #[test]
    fn snapshot_pivot_80x24() {
        let mut state = ready(80, 24);
        open_pivot(&mut state);
        insta::assert_snapshot!("explorer_pivot_80x24", draw(&state, 80, 24).backend());
    }
}

mod cohort_view {
    use super::*;
    use revgap::segment::cohort::{Period, cohorts};

    fn table(state: &AppState, period: Period) -> revgap::segment::cohort::CohortTable {
        cohorts(&state.loaded.as_ref().unwrap().dataset, period)
    }

    #[test]
    fn c_asks_for_the_table_off_the_ui_thread_and_drops_stale_ones() {
        let mut state = ready(120, 40);
        let commands = key(&mut state, KeyCode::Char('C'));
        assert_eq!(commands, vec![Command::Cohorts(Period::Month)]);
        let Mode::Cohorts(view) = &state.mode else {
            panic!("C opens the cohort view")
        };
        assert!(view.table.is_none(), "computing");
        let commands = key(&mut state, KeyCode::Tab);
        assert_eq!(commands, vec![Command::Cohorts(Period::Quarter)]);
        // The month table arrives late: the view now wants quarters.
        let months = table(&state, Period::Month);
        update(&mut state, Msg::Cohorts(months));
        let Mode::Cohorts(view) = &state.mode else {
            panic!()
        };
        assert!(view.table.is_none(), "a stale table is dropped");
        let quarters = table(&state, Period::Quarter);
        update(&mut state, Msg::Cohorts(quarters.clone()));
        let Mode::Cohorts(view) = &state.mode else {
            panic!()
        };
        assert_eq!(view.table.as_ref(), Some(&quarters));
        key(&mut state, KeyCode::Char('v'));
        let Mode::Cohorts(view) = &state.mode else {
            panic!()
        };
        assert_eq!(view.metric, revgap::report::segments::CohortMetric::Revenue);
        key(&mut state, KeyCode::Esc);
        assert_eq!(state.mode, Mode::Normal);
    }

    #[test]
    fn snapshot_cohorts_80x24_without_colour() {
        let mut state = ready(80, 24);
        key(&mut state, KeyCode::Char('C'));
        let months = table(&state, Period::Month);
        update(&mut state, Msg::Cohorts(months));
        insta::assert_snapshot!("explorer_cohorts_80x24", draw(&state, 80, 24).backend());
    }

    #[test]
    fn revenue_cells_are_separated_and_rounded_to_whole_units() {
        for period in [Period::Week, Period::Month] {
            let mut state = ready(80, 24);
            key(&mut state, KeyCode::Char('C'));
            while !matches!(&state.mode, Mode::Cohorts(view) if view.period == period) {
                key(&mut state, KeyCode::Tab);
            }
            let computed = table(&state, period);
            update(&mut state, Msg::Cohorts(computed));
            key(&mut state, KeyCode::Char('v'));
            let screen = screen_text(&draw(&state, 80, 24));
            assert!(screen.contains("revenue per member"), "{screen}");
            let cells: Vec<&str> = screen
                .lines()
                .filter(|line| line.contains(" (") && line.contains('$'))
                .flat_map(|line| line.split_whitespace().filter(|w| w.contains('$')))
                .collect();
            assert!(cells.len() > 20, "{screen}");
            for cell in cells {
                let cell = cell.trim_matches('│');
                assert_eq!(
                    cell.matches('$').count(),
                    1,
                    "two values run together: {screen}"
                );
                assert!(!cell.contains('.'), "{cell}: whole units in a cell");
            }
        }
    }
}

mod filter_expressions {
    use super::*;

    fn filtered(text: &str) -> AppState {
        let mut state = ready(120, 40);
        key(&mut state, KeyCode::Char('/'));
        chars(&mut state, text);
        key(&mut state, KeyCode::Enter);
        state
    }

    #[test]
    fn field_expressions_combine() {
        let state = filtered("gap>100 churn>=0.75 type:zero sev:high");
        let loaded = state.loaded.clone().unwrap();
        assert!(!state.view.is_empty());
        assert!(state.filter_error.is_none());
        for customer in &state.view {
            let score = &loaded.analysis.scores[*customer as usize];
            assert!(score.gap_size > 100.0);
            assert_eq!(score.primary, Some(GapType::ZeroSpend));
            assert!(loaded.analysis.churn_probability(*customer as usize) >= 0.75);
        }
        let all = ready(120, 40).view.len();
        assert!(state.view.len() < all);
    }

    #[test]
    fn attributes_members_ages_and_free_text() {
        let state = filtered("member:yes age:30-45 region:east");
        let loaded = state.loaded.clone().unwrap();
        assert!(!state.view.is_empty());
        for customer in &state.view {
            let profile = loaded.dataset.profiles[*customer as usize]
                .as_ref()
                .unwrap();
            assert_eq!(profile.loyalty_member, Some(true));
            assert!((30..=45).contains(&profile.age.unwrap()));
            assert!(profile.extra.iter().any(|v| v.eq_ignore_ascii_case("east")));
        }
        // "member" as free text matches the loyalty segment every member row shows.
        let members = filtered("member");
        assert!(!members.view.is_empty());
    }

    #[test]
    fn a_malformed_expression_says_what_is_wrong() {
        let state = filtered("gap>abc");
        assert!(state.view.is_empty());
        let problem = state.filter_error.clone().unwrap();
        assert!(
            problem.contains("expected a number after gap>"),
            "{problem}"
        );
        let screen = screen_text(&draw(&state, 120, 40));
        assert!(screen.contains("expected a number after gap>"), "{screen}");
        let unknown = filtered("colour:red");
        assert!(
            unknown
                .filter_error
                .unwrap()
                .contains("unknown field 'colour'")
        );
    }
}

mod what_changed {
    use super::*;
    use revgap::tui::changes::Change;

    /// Results kept under stricter thresholds, then the sample under the defaults: the marks,
    /// the header, the `changed:` filter and the `W` popup agree with `snapshot::changes`.
    #[test]
    fn marks_filter_and_popup_follow_the_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let mut strict = Config::default();
        strict.gaps.declining_revenue_pct = -40.0;
        strict.gaps.below_baseline_pct = -60.0;
        let earlier = sample_loaded(&strict);
        let mut state = ready(120, 40);
        let loaded = state.loaded.clone().unwrap();
        let (dataset, analysis) = (&*loaded.dataset, &*loaded.analysis);
        let run =
            revgap::snapshot::write(dir.path(), &dataset.source, dataset, &earlier.analysis, &[])
                .unwrap();
        let marks = revgap::tui::changes::load(dir.path(), true, dataset, analysis, 0.10).unwrap();
        assert_eq!(marks.since.as_ref().map(|r| &r.digest), Some(&run.digest));
        assert_eq!(marks.runs.len(), 2);
        let expected = revgap::snapshot::changes(&marks.baseline, dataset, analysis, 0.10);
        assert!(
            !expected.new.is_empty(),
            "stricter thresholds had fewer gaps"
        );
        assert_eq!(
            (marks.new, marks.worsened, marks.recovered),
            (
                expected.new.len(),
                expected.worsened.len(),
                expected.recovered.len()
            )
        );
        // A second read of the same results still compares with the earlier ones.
        let again = revgap::tui::changes::load(dir.path(), true, dataset, analysis, 0.10).unwrap();
        assert_eq!(again.new, marks.new);
        assert_eq!(again.runs.len(), 3);
        update(
            &mut state,
            Msg::Changes {
                generation: 0,
                result: Ok(marks.clone()),
            },
        );
        let screen = screen_text(&draw(&state, 120, 40));
        assert!(
            screen.contains(&format!("since last: +{}", expected.new.len())),
            "{screen}"
        );
        assert!(screen.contains('+'), "{screen}");
        key(&mut state, KeyCode::Char('/'));
        chars(&mut state, "changed:new");
        key(&mut state, KeyCode::Enter);
        assert!(state.filter_error.is_none(), "{:?}", state.filter_error);
        let listed: Vec<String> = state
            .view
            .iter()
            .map(|c| dataset.customer_ids[*c as usize].to_string())
            .collect();
        let mut new_ids: Vec<String> = expected.new.iter().map(|e| e.customer_id.clone()).collect();
        new_ids.sort();
        let mut sorted = listed.clone();
        sorted.sort();
        assert_eq!(sorted, new_ids);
        assert!(
            state
                .view
                .iter()
                .all(|c| marks.of(*c as usize) == Change::New)
        );
        key(&mut state, KeyCode::Char('x'));
        key(&mut state, KeyCode::Char('W'));
        let screen = screen_text(&draw(&state, 120, 40));
        assert!(
            screen.contains(&format!("+ new gaps      {:>9}", expected.new.len())),
            "{screen}"
        );
        assert!(screen.contains("customers with gaps, 2 runs: "), "{screen}");
    }

    #[test]
    fn changed_without_snapshots_says_why() {
        let mut state = ready(120, 40);
        key(&mut state, KeyCode::Char('/'));
        chars(&mut state, "changed:new");
        assert!(
            state
                .filter_error
                .clone()
                .unwrap()
                .contains("needs the snapshots")
        );
        assert!(state.view.is_empty());
    }
}

mod detail_pane {
    use super::*;

    #[test]
    fn focused_detail_scrolls_toggles_the_weekly_table_and_esc_goes_back() {
        let mut state = ready(80, 24);
        let screen = screen_text(&draw(&state, 80, 24));
        for must in ["Primary: Zero Spend", "Opportunity: Win Back", "Next step:"] {
            assert!(screen.contains(must), "{must} at 80×24\n{screen}");
        }
        assert!(!screen.contains("Usual $"), "{screen}");
        let selected = state.selected;
        key(&mut state, KeyCode::Enter);
        assert_eq!(state.focus, Pane::Detail);
        key(&mut state, KeyCode::PageDown);
        assert!(state.detail_scroll > 0);
        assert_eq!(
            state.selected, selected,
            "j/k/PgDn scroll the pane, not the list"
        );
        let screen = screen_text(&draw(&state, 80, 24));
        assert!(screen.contains("Usual $156.01 · recent $0.00"), "{screen}");
        // Scrolling stops at the end.
        for _ in 0..30 {
            key(&mut state, KeyCode::Char('j'));
        }
        let (room, _) = revgap::tui::view::detail::scroll_room(&state);
        assert!(room > 0);
        assert_eq!(
            state.measured.detail_room, room,
            "what the last frame measured"
        );
        assert_eq!(state.detail_scroll, room);
        key(&mut state, KeyCode::Char('g'));
        assert_eq!(state.detail_scroll, 0);
        // v: the weekly values with their year; the last weeks carry the recent average.
        key(&mut state, KeyCode::Char('v'));
        assert!(state.weekly_table);
        let screen = screen_text(&draw(&state, 80, 24));
        assert!(screen.contains("week of     spend"), "{screen}");
        assert!(screen.contains("2024-12-07  $289.51"), "{screen}");
        key(&mut state, KeyCode::Char('G'));
        let screen = screen_text(&draw(&state, 80, 24));
        assert!(screen.contains("2026-11-28  $0.00"), "{screen}");
        key(&mut state, KeyCode::Esc);
        assert_eq!(state.focus, Pane::List);
        assert!(!state.quit, "Esc from a pane goes back to the list");
        assert_eq!(state.detail_scroll, 0);
        key(&mut state, KeyCode::Char('j'));
        assert_eq!(state.selected, selected + 1);
        key(&mut state, KeyCode::Esc);
        assert!(!state.quit, "Esc with nothing open never quits");
        assert_eq!(state.mode, Mode::Normal);
    }

    #[test]
    fn the_chart_axis_shows_the_year_when_the_weeks_cross_one() {
        let config = Config::default();
        let dataset = revgap::data::generate::in_memory(&revgap::data::generate::GenerateOptions {
            customers: 50,
            weeks: 16,
            start: chrono::NaiveDate::from_ymd_opt(2025, 11, 1).unwrap(),
            ..Default::default()
        });
        let analysis = engine::analyze(&dataset, &config);
        let mut state = AppState::new("crossing".into(), config, Keymap::default(), false);
        update(&mut state, Msg::Resize(120, 40));
        update(
            &mut state,
            Msg::Analysed {
                generation: 0,
                result: Ok(Loaded {
                    dataset: Arc::new(dataset),
                    analysis: Arc::new(analysis),
                }),
            },
        );
        let screen = screen_text(&draw(&state, 120, 40));
        assert!(
            screen.contains("2025-11-01") && screen.contains("2026-02-14"),
            "{screen}"
        );
    }
}

mod find_and_large_lists {
    use super::*;
    use revgap::tui::list_index;
    use revgap::tui::update::Command;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn tab_finds_instead_of_narrowing_and_n_jumps_between_matches() {
        let mut state = ready(120, 40);
        let all = state.view.clone();
        key(&mut state, KeyCode::Char('/'));
        key(&mut state, KeyCode::Tab);
        chars(&mut state, "type:declining");
        key(&mut state, KeyCode::Enter);
        assert!(!state.narrow);
        assert_eq!(state.view, all, "finding keeps every row");
        let loaded = state.loaded.clone().unwrap();
        let zero: Vec<usize> = all
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                loaded.analysis.scores[**c as usize].primary == Some(GapType::DecliningRevenue)
            })
            .map(|(p, _)| p)
            .collect();
        let found: Vec<usize> = state.found.iter().map(|p| *p as usize).collect();
        assert_eq!(found, zero);
        assert!(zero.len() >= 3 && zero[0] > 0, "{zero:?}");
        key(&mut state, KeyCode::Char('n'));
        assert_eq!(state.selected, zero[0]);
        assert_eq!(
            state.status.as_deref(),
            Some(&*format!("match 1 of {}", zero.len()))
        );
        key(&mut state, KeyCode::Char('n'));
        assert_eq!(state.selected, zero[1]);
        key(&mut state, KeyCode::Char('N'));
        key(&mut state, KeyCode::Char('N'));
        assert_eq!(state.selected, *zero.last().unwrap(), "N wraps around");
        let screen = screen_text(&draw(&state, 120, 40));
        assert!(
            screen.contains(&format!(
                "find \"type:declining\": {} matches (n/N)",
                zero.len()
            )),
            "{screen}"
        );
        assert!(screen.contains('▸'), "found rows are marked\n{screen}");
    }

    /// Above the in-place size, a filter keystroke leaves the list to the app: the screen says
    /// it is busy, a first part arrives, then the whole, equal to what the small path builds;
    /// a superseded request's results never land.
    #[test]
    fn large_lists_are_built_off_the_ui_thread_first_part_first() {
        let config = Config::default();
        let dataset = revgap::data::generate::in_memory(&revgap::data::generate::GenerateOptions {
            customers: list_index::BUILD_IN_PLACE_UP_TO + 30_000,
            weeks: 16,
            ..Default::default()
        });
        let analysis = engine::analyze(&dataset, &config);
        let loaded = Loaded {
            dataset: Arc::new(dataset),
            analysis: Arc::new(analysis),
        };
        let mut state = AppState::new("big".into(), config, Keymap::default(), false);
        update(&mut state, Msg::Resize(120, 40));
        let commands = update(
            &mut state,
            Msg::Analysed {
                generation: 0,
                result: Ok(loaded.clone()),
            },
        );
        let latest = AtomicU64::new(0);
        // Runs the app's list commands as the app does, feeding results back in order.
        let run = |state: &mut AppState, commands: Vec<Command>, parts: &mut Vec<usize>| {
            for command in commands {
                if let Command::BuildList(request) = command {
                    latest.store(request.generation, std::sync::atomic::Ordering::Relaxed);
                    let mut results = Vec::new();
                    list_index::serve(
                        request.generation,
                        &request.spec,
                        &loaded,
                        &state.orders.clone(),
                        &latest,
                        &mut |list, complete| results.push((list, complete)),
                    );
                    for (list, complete) in results {
                        parts.push(list.rows.len());
                        update(
                            state,
                            Msg::ListBuilt {
                                generation: request.generation,
                                list,
                                complete,
                            },
                        );
                    }
                }
            }
        };
        assert!(commands.iter().any(|c| matches!(c, Command::PrepareOrders)));
        let mut parts = Vec::new();
        run(&mut state, commands, &mut parts);
        let ranked: Vec<u32> = loaded.analysis.ranking.iter().map(|c| *c as u32).collect();
        assert_eq!(state.view, ranked);
        key(&mut state, KeyCode::Char('/'));
        let superseded = update(
            &mut state,
            Msg::Key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::NONE)),
        );
        assert!(state.list_building);
        assert!(screen_text(&draw(&state, 120, 40)).contains("⟳ listing"));
        let commands = update(
            &mut state,
            Msg::Key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE)),
        );
        // The older request, run now, is stale: it stops and nothing of it lands.
        let before = state.view.clone();
        let mut stale_parts = Vec::new();
        latest.store(u64::MAX, std::sync::atomic::Ordering::Relaxed);
        for command in superseded {
            if let Command::BuildList(request) = command {
                list_index::serve(
                    request.generation,
                    &request.spec,
                    &loaded,
                    &state.orders.clone(),
                    &latest,
                    &mut |list, complete| stale_parts.push((list, complete)),
                );
                for (list, complete) in stale_parts.drain(..) {
                    update(
                        &mut state,
                        Msg::ListBuilt {
                            generation: request.generation,
                            list,
                            complete,
                        },
                    );
                }
            }
        }
        assert_eq!(state.view, before);
        let mut parts = Vec::new();
        run(&mut state, commands, &mut parts);
        assert!(!state.list_building);
        assert_eq!(parts.len(), 2, "a first part, then the whole: {parts:?}");
        assert!(parts[0] <= parts[1]);
        let (dataset, analysis) = (&*loaded.dataset, &*loaded.analysis);
        let filter = revgap::engine::filter::Filter::parse("ze", dataset, analysis).unwrap();
        let expected: Vec<u32> = analysis
            .ranking
            .iter()
            .filter(|c| filter.matches(dataset, analysis, **c))
            .map(|c| *c as u32)
            .collect();
        assert_eq!(state.view, expected);
        assert!(!screen_text(&draw(&state, 120, 40)).contains("⟳"));
    }
}

mod go_to {
    use super::*;

    fn go(state: &mut AppState, id: &str) {
        key(state, KeyCode::Char(':'));
        chars(state, id);
        key(state, KeyCode::Enter);
    }

    #[test]
    fn colon_jumps_to_any_customer_with_or_without_a_gap() {
        let mut state = ready(120, 40);
        let loaded = state.loaded.clone().unwrap();
        let ranked = loaded.analysis.ranking[20];
        let ranked_id = loaded.dataset.customer_ids[ranked].to_string();
        go(&mut state, &ranked_id);
        assert_eq!(selected_id(&state), ranked_id);
        assert!(!state.show_all);
        // A customer without a gap: the list shows everyone and selects them.
        let calm = (0..loaded.analysis.scores.len())
            .find(|c| loaded.analysis.scores[*c].rank == 0)
            .unwrap();
        let calm_id = loaded.dataset.customer_ids[calm].to_string();
        go(&mut state, &calm_id);
        assert!(state.show_all, "{:?}", state.status);
        assert_eq!(
            selected_id(&state),
            calm_id,
            "{:?} {} {}",
            state.status,
            state.view.len(),
            state.selected
        );
        assert_eq!(state.view.len(), 1000);
        assert!(state.status.clone().unwrap().contains("has no gap"));
        // A hidden customer clears the filter; an unknown id says so.
        key(&mut state, KeyCode::Char('/'));
        chars(&mut state, "type:zero");
        key(&mut state, KeyCode::Enter);
        go(&mut state, &calm_id);
        assert_eq!(selected_id(&state), calm_id);
        assert!(state.filter.is_empty());
        go(&mut state, "no-such-id");
        assert_eq!(state.status.as_deref(), Some("no customer 'no-such-id'"));
        // a toggles back to customers with a gap.
        key(&mut state, KeyCode::Char('a'));
        assert!(!state.show_all);
        assert_eq!(state.view.len(), 198);
    }
}

#[test]
fn y_copies_the_id_and_capital_y_the_rationale() {
    let mut state = ready(120, 40);
    let id = selected_id(&state);
    let commands = key(&mut state, KeyCode::Char('y'));
    assert_eq!(commands, vec![Command::Copy(id.clone())]);
    assert_eq!(state.status, Some(format!("copied id {id}")));
    let commands = key(&mut state, KeyCode::Char('Y'));
    let [Command::Copy(text)] = commands.as_slice() else {
        panic!("{commands:?}")
    };
    assert!(text.contains("Usual spend $156.01 per week"), "{text}");
}

mod campaigns_from_the_explorer {
    use super::*;
    use revgap::tui::campaigns::History;

    #[test]
    fn space_marks_and_a_named_campaign_takes_the_marked_in_list_order() {
        let mut state = ready(120, 40);
        let first_three: Vec<u32> = state.view[..3].to_vec();
        // Space marks the selected customer and moves on; the selection change asks for the
        // next customer's campaigns.
        let commands = key(&mut state, KeyCode::Char(' '));
        assert_eq!(
            commands,
            vec![Command::LoadHistory(first_three[1] as usize)]
        );
        key(&mut state, KeyCode::Char(' '));
        key(&mut state, KeyCode::Char(' '));
        assert_eq!(state.marked.iter().copied().collect::<Vec<_>>(), {
            let mut sorted = first_three.clone();
            sorted.sort();
            sorted
        });
        assert!(state.status.as_deref() == Some("3 marked"));
        key(&mut state, KeyCode::Char('A'));
        assert_eq!(state.mode, Mode::NewCampaign(String::new()));
        chars(&mut state, "Spring");
        let commands = key(&mut state, KeyCode::Enter);
        assert_eq!(
            commands,
            vec![Command::CreateCampaign {
                name: "Spring".into(),
                customers: first_three,
            }]
        );
        assert!(state.creating_campaign);
        // While one is being made, another is refused.
        key(&mut state, KeyCode::Char('A'));
        assert_eq!(state.mode, Mode::Normal);
        update(
            &mut state,
            Msg::CampaignCreated(Ok("campaign 1 \"Spring\"".into())),
        );
        assert!(state.marked.is_empty() && !state.creating_campaign);
        assert_eq!(state.status.as_deref(), Some("campaign 1 \"Spring\""));
    }

    #[test]
    fn with_nothing_marked_the_listed_customers_are_taken_and_esc_cancels() {
        let mut state = ready(120, 40);
        key(&mut state, KeyCode::Char('/'));
        chars(&mut state, "type:zero");
        key(&mut state, KeyCode::Enter);
        let listed = state.view.clone();
        key(&mut state, KeyCode::Char('A'));
        key(&mut state, KeyCode::Enter);
        assert_eq!(state.status.as_deref(), Some("the campaign needs a name"));
        key(&mut state, KeyCode::Esc);
        assert_eq!(state.mode, Mode::Normal);
        key(&mut state, KeyCode::Char('*'));
        assert_eq!(state.marked.len(), listed.len());
        key(&mut state, KeyCode::Char('*'));
        assert!(state.marked.is_empty(), "* again unmarks");
        key(&mut state, KeyCode::Char('A'));
        chars(&mut state, "Zero");
        let commands = key(&mut state, KeyCode::Enter);
        assert_eq!(
            commands,
            vec![Command::CreateCampaign {
                name: "Zero".into(),
                customers: listed,
            }]
        );
        update(&mut state, Msg::CampaignCreated(Err("no contacts".into())));
        assert_eq!(
            state.status.as_deref(),
            Some("no campaign made: no contacts")
        );
    }

    #[test]
    fn the_detail_pane_and_draft_preview_show_the_ledger_history() {
        let mut state = ready(120, 40);
        let customer = state.selected_customer().unwrap();
        let draft = revgap::ledger::StoredDraft {
            channel: "email".into(),
            subject: Some("15% off your next order".into()),
            text: "Hi there,\n\nCome back.".into(),
            source: "template".into(),
            passed: true,
            failures: vec![],
        };
        update(
            &mut state,
            Msg::History(History {
                customer,
                memberships: Ok(vec![revgap::ledger::Membership {
                    campaign_id: 4,
                    campaign: "Spring".into(),
                    follow_up: "2026-12-09".into(),
                    arm: revgap::ledger::Arm::Treated,
                    channel: Some("email".into()),
                    offer: Some("WINBACK15".into()),
                    delivered: 1,
                    drafts: vec![draft],
                }]),
            }),
        );
        let screen = screen_text(&draw(&state, 120, 40));
        assert!(
            screen.contains("Campaign #4 \"Spring\" treated · email · WINBACK15 · draft"),
            "{screen}"
        );
        key(&mut state, KeyCode::Char('D'));
        assert_eq!(state.mode, Mode::DraftPreview);
        let screen = screen_text(&draw(&state, 120, 40));
        assert!(
            screen.contains("email draft (template): passed the checker"),
            "{screen}"
        );
        assert!(
            screen.contains("Subject: 15% off your next order"),
            "{screen}"
        );
        key(&mut state, KeyCode::Char('x'));
        assert_eq!(state.mode, Mode::Normal);
        // A history read for a customer no longer selected is dropped.
        key(&mut state, KeyCode::Char('j'));
        assert!(revgap::tui::campaigns::selected_history(&state).is_none());
        update(
            &mut state,
            Msg::History(History {
                customer,
                memberships: Ok(vec![]),
            }),
        );
        assert!(revgap::tui::campaigns::selected_history(&state).is_none());
        let kept = state.history.as_ref().unwrap();
        assert_eq!(
            kept.memberships.as_ref().unwrap().len(),
            1,
            "the stale read was dropped"
        );
    }

    #[test]
    fn the_campaigns_view_lists_what_the_ledger_holds() {
        let mut state = ready(120, 40);
        let commands = key(&mut state, KeyCode::Char('L'));
        assert_eq!(commands, vec![Command::LoadCampaigns]);
        let campaign = revgap::ledger::Campaign {
            campaign_id: 2,
            name: "Winter".into(),
            created_at: "t".into(),
            status: "created".into(),
            salt: "s".into(),
            control_bp: 1000,
            follow_up: "2026-12-09".into(),
            analysis: "{}".into(),
            treated: 90,
            control: 10,
            window_ends: "2027-01-20".into(),
        };
        update(&mut state, Msg::Campaigns(Ok(vec![campaign])));
        let screen = screen_text(&draw(&state, 120, 40));
        assert!(screen.contains("Winter"), "{screen}");
        assert!(screen.contains("2026-12-09"), "{screen}");
        key(&mut state, KeyCode::Esc);
        assert_eq!(state.mode, Mode::Normal);
    }

    #[test]
    fn m_shows_the_success_metrics_read_from_the_ledger() {
        let mut state = ready(120, 40);
        assert_eq!(
            key(&mut state, KeyCode::Char('M')),
            vec![Command::LoadMetrics]
        );
        let screen = screen_text(&draw(&state, 120, 40));
        assert!(screen.contains("Reading the ledger"), "{screen}");
        update(
            &mut state,
            Msg::Metrics(Ok(revgap::outcome::metrics::Metrics::default())),
        );
        let screen = screen_text(&draw(&state, 120, 40));
        assert!(screen.contains("Success metrics"), "{screen}");
        assert!(screen.contains("Measured campaigns: 0"), "{screen}");
        assert!(screen.contains("No measured campaign yet"), "{screen}");
        key(&mut state, KeyCode::Char('x'));
        assert_eq!(state.mode, Mode::Normal);
    }
}

/// `R` reports what became of each request: grounded, or failed and why; never "3 of 3 done"
/// when none succeeded.
#[test]
fn a_batch_reports_its_outcomes_not_a_done_count() {
    use revgap::narrative::generate::Generated;
    use revgap::tui::state::BatchView;
    let mut state = ready(120, 40);
    state.batch = Some(BatchView {
        request: 7,
        total: 3,
        done: 0,
        refused: 0,
        grounded: 0,
        failures: Default::default(),
        finished: false,
        cancelled: false,
    });
    let fallback = |reason: &str, stalled: bool| {
        Box::new(Generated {
            stalled,
            ..Generated::fallback(reason.into(), None, None)
        })
    };
    for (customer, reason, stalled) in [
        (
            0,
            "the stream ended without a finish reason (truncated)",
            true,
        ),
        (1, "the stream stalled for 30 s", true),
        (2, "token budget of 100 exhausted", false),
    ] {
        update(
            &mut state,
            Msg::BatchItem {
                request: 7,
                customer,
                generated: fallback(reason, stalled),
            },
        );
    }
    update(
        &mut state,
        Msg::BatchFinished {
            request: 7,
            refused: 1,
        },
    );
    let screen = screen_text(&draw(&state, 120, 40));
    assert!(
        screen.contains(
            "LLM batch: 3 requested: 0 grounded, 3 failed (refused by the token budget 1, stalled 2)"
        ),
        "{screen}"
    );
    assert!(!screen.contains("3 of 3 done"), "{screen}");
}

/// The README's screenshot (`assets/explorer.svg`) is the explorer as it draws today: the
/// bundled sample at 120×40 in colour, rendered from the same frame the snapshot tests check.
/// `REVGAP_UPDATE_SCREENSHOT=1 cargo test --test tui readme_screenshot` rewrites it.
#[test]
fn readme_screenshot_is_the_explorer_as_it_draws_today() {
    let config = Config::default();
    let mut state = AppState::new(
        "data/weekly_spend.csv".into(),
        config.clone(),
        Keymap::default(),
        true,
    );
    update(&mut state, Msg::Resize(120, 40));
    update(
        &mut state,
        Msg::Analysed {
            generation: 0,
            result: Ok(sample_loaded(&config)),
        },
    );
    let svg = svg_of(draw(&state, 120, 40).backend().buffer());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/explorer.svg");
    if std::env::var_os("REVGAP_UPDATE_SCREENSHOT").is_some() {
        std::fs::write(&path, &svg).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == svg,
        "assets/explorer.svg is not the explorer as it draws today; rewrite it with REVGAP_UPDATE_SCREENSHOT=1 cargo test --test tui readme_screenshot"
    );
}

/// A terminal buffer as an SVG picture: a dark background, one monospace text line per row,
/// runs of cells with the same colours as spans, backgrounds as rectangles.
fn svg_of(buffer: &ratatui::buffer::Buffer) -> String {
    use ratatui::style::{Color, Modifier};
    const CELL_W: f64 = 8.4;
    const CELL_H: f64 = 17.0;
    const BACKGROUND: &str = "#1e1e2e";
    const FOREGROUND: &str = "#d9d9d9";
    let hex = |color: Color, default: &str| -> String {
        match color {
            Color::Reset => default.into(),
            Color::Black => "#000000".into(),
            Color::Red => "#e06c75".into(),
            Color::Green => "#98c379".into(),
            Color::Yellow => "#e5c07b".into(),
            Color::Blue => "#61afef".into(),
            Color::Magenta => "#c678dd".into(),
            Color::Cyan => "#56b6c2".into(),
            Color::Gray => "#abb2bf".into(),
            Color::DarkGray => "#7f848e".into(),
            Color::LightRed => "#ff7b86".into(),
            Color::LightGreen => "#b5e890".into(),
            Color::LightYellow => "#ffd68a".into(),
            Color::LightBlue => "#8cc8ff".into(),
            Color::LightMagenta => "#e3a5f0".into(),
            Color::LightCyan => "#8be0ea".into(),
            Color::White => "#ffffff".into(),
            Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
            Color::Indexed(i) => format!("#{i:02x}{i:02x}{i:02x}"),
        }
    };
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let area = buffer.area;
    let (width, height) = (
        f64::from(area.width) * CELL_W,
        f64::from(area.height) * CELL_H,
    );
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\">\n<rect width=\"100%\" height=\"100%\" fill=\"{BACKGROUND}\"/>\n"
    );
    for y in 0..area.height {
        let row: Vec<&ratatui::buffer::Cell> = (0..area.width).map(|x| &buffer[(x, y)]).collect();
        for (x, cell) in row.iter().enumerate() {
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let bg = if reversed { cell.fg } else { cell.bg };
            if bg != Color::Reset || reversed {
                svg.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{CELL_W}\" height=\"{CELL_H}\" fill=\"{}\"/>\n",
                    x as f64 * CELL_W,
                    f64::from(y) * CELL_H,
                    hex(bg, FOREGROUND)
                ));
            }
        }
        svg.push_str(&format!(
            "<text y=\"{:.1}\" xml:space=\"preserve\">",
            f64::from(y) * CELL_H + CELL_H * 0.78
        ));
        let mut x = 0;
        while x < row.len() {
            let style_of = |cell: &ratatui::buffer::Cell| {
                let reversed = cell.modifier.contains(Modifier::REVERSED);
                let fg = if reversed {
                    hex(cell.bg, BACKGROUND)
                } else {
                    hex(cell.fg, FOREGROUND)
                };
                (fg, cell.modifier.contains(Modifier::BOLD))
            };
            let style = style_of(row[x]);
            let start = x;
            let mut text = String::new();
            while x < row.len() && style_of(row[x]) == style {
                text.push_str(row[x].symbol());
                x += 1;
            }
            if text.trim().is_empty() {
                continue;
            }
            // The span's width is fixed to its cells, whatever the font's glyph widths.
            svg.push_str(&format!(
                "<tspan x=\"{:.1}\" textLength=\"{:.1}\" lengthAdjust=\"spacingAndGlyphs\" fill=\"{}\"{}>{}</tspan>",
                start as f64 * CELL_W,
                (x - start) as f64 * CELL_W,
                style.0,
                if style.1 { " font-weight=\"bold\"" } else { "" },
                escape(&text)
            ));
        }
        svg.push_str("</text>\n");
    }
    svg.push_str("</svg>\n");
    svg
}

mod pointer {
    use super::*;
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    use revgap::tui::mouse::{Pointer, pointer_action};

    fn at(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
        MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }
    }

    fn click(column: u16, row: u16) -> MouseEvent {
        at(MouseEventKind::Down(MouseButton::Left), column, row)
    }

    #[test]
    fn clicks_become_actions_that_update_applies() {
        let mut state = ready(120, 40);
        let areas = revgap::tui::layout::areas(120, 40, state.focus, state.list_share);
        let list = areas.list;
        // The third customer row (inside the border, below the header).
        let row = click(list.x + 3, list.y + 4);
        assert_eq!(
            pointer_action(&state, row),
            Some(Pointer::SelectRow(state.offset + 2))
        );
        step(&mut state, Msg::Mouse(row));
        assert_eq!(state.selected, state.offset + 2);
        // A header cell the last frame measured sorts by its column; again reverses.
        let (sort, start, _) = *state
            .measured
            .sort_cells
            .iter()
            .find(|(sort, _, _)| *sort != state.sort)
            .expect("a sortable column besides the current sort");
        let header = click(list.x + 1 + start, list.y + 1);
        assert_eq!(pointer_action(&state, header), Some(Pointer::SortBy(sort)));
        step(&mut state, Msg::Mouse(header));
        assert_eq!((state.sort, state.reversed), (sort, false));
        step(&mut state, Msg::Mouse(header));
        assert_eq!((state.sort, state.reversed), (sort, true));
        // The wheel over the gap detail scrolls it, within the room the frame measured.
        let (_, detail) = *areas
            .panes
            .iter()
            .find(|(pane, _)| *pane == Pane::Detail)
            .unwrap();
        let wheel = at(MouseEventKind::ScrollDown, detail.x + 2, detail.y + 2);
        assert_eq!(
            pointer_action(&state, wheel),
            Some(Pointer::ScrollDetail(3))
        );
        step(&mut state, Msg::Mouse(wheel));
        assert_eq!(state.detail_scroll, 3.min(state.measured.detail_room));
        // A click on a pane focuses it; nothing is asked outside normal mode.
        let focus = click(detail.x + 2, detail.y + 2);
        assert_eq!(
            pointer_action(&state, focus),
            Some(Pointer::Focus(Pane::Detail))
        );
        key(&mut state, KeyCode::Char('h'));
        assert_eq!(pointer_action(&state, focus), None);
    }
}

/// The churn field's help says, in plain words, whether the probabilities held up on the
/// data's own earlier weeks (the recalibration check).
#[test]
fn churn_help_says_how_the_probability_held_up_on_this_data() {
    let config = Config::default();
    let loaded = sample_loaded(&config);
    let text = revgap::report::definitions::churn(&config, &loaded.analysis);
    assert!(
        text.contains("This data's own check (the same model one horizon before the end, against what followed): not recalibrated: calibration error"),
        "{text}"
    );
    let mut rules = config.clone();
    rules.model.churn_model = revgap::config::ChurnModel::Rules;
    let text = revgap::report::definitions::churn(&rules, &sample_loaded(&rules).analysis);
    assert!(!text.contains("own check"), "{text}");
}
