//! The cohort heatmap: acquisition cohorts (rows) by periods since the first purchase
//! (columns), coloured by the share still buying or the revenue per member, with the number in
//! every cell so it reads without colour. The table is computed off the UI thread.

pub use super::basics::CohortView;
use super::keymap::{Key, KeyCodeKey};
use super::msg::Command;
use super::state::{AppState, Mode};
use crate::report::segments::CohortMetric;
use crate::segment::cohort::{CohortTable, Period};

/// Opens the view (monthly, retention) and asks for the table.
pub fn open(state: &mut AppState) -> Vec<Command> {
    if state.loaded.is_none() {
        state.status = Some("no analysis yet".into());
        return Vec::new();
    }
    show(state, Period::Month, CohortMetric::Retention)
}

fn show(state: &mut AppState, period: Period, metric: CohortMetric) -> Vec<Command> {
    state.mode = Mode::Cohorts(Box::new(CohortView {
        period,
        metric,
        table: None,
        first_column: 0,
        first_row: 0,
    }));
    vec![Command::Cohorts(period)]
}

/// A computed table arrives; it is kept only if the view still asks for that period.
pub fn on_table(state: &mut AppState, table: CohortTable) {
    if let Mode::Cohorts(view) = &mut state.mode
        && view.period == table.period
    {
        view.table = Some(table);
    }
}

/// A key while the view is open.
pub fn on_key(state: &mut AppState, mut view: CohortView, key: Key) -> Vec<Command> {
    match key.code {
        KeyCodeKey::Esc | KeyCodeKey::Char('q') | KeyCodeKey::Char('C') => return Vec::new(),
        KeyCodeKey::Tab => {
            let next = match view.period {
                Period::Week => Period::Month,
                Period::Month => Period::Quarter,
                Period::Quarter => Period::Week,
            };
            return show(state, next, view.metric);
        }
        KeyCodeKey::Char('v') => {
            view.metric = match view.metric {
                CohortMetric::Retention => CohortMetric::Revenue,
                CohortMetric::Revenue => CohortMetric::Retention,
            };
        }
        KeyCodeKey::Right | KeyCodeKey::Char('l') => view.first_column += 1,
        KeyCodeKey::Left | KeyCodeKey::Char('h') => {
            view.first_column = view.first_column.saturating_sub(1)
        }
        KeyCodeKey::Down | KeyCodeKey::Char('j') => view.first_row += 1,
        KeyCodeKey::Up | KeyCodeKey::Char('k') => view.first_row = view.first_row.saturating_sub(1),
        _ => {}
    }
    if let Some(table) = &view.table {
        let columns = table.periods().max(1);
        view.first_column = view.first_column.min(columns.saturating_sub(1));
        view.first_row = view.first_row.min(table.cohorts.len().saturating_sub(1));
    }
    state.mode = Mode::Cohorts(Box::new(view));
    Vec::new()
}
