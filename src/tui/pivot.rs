//! The pivot view (VisiData's Shift-F): customers, customers with gaps, revenue gap and churn
//! risk per segment of one dimension; Enter shows that segment's customers in the list (as a
//! `dimension:label` filter), Esc goes back. Its own small state; keys are handled here.

pub use super::basics::PivotState;
use super::keymap::{Key, KeyCodeKey};
use super::state::{AppState, Mode};
use crate::segment::summary::summarize;

impl PivotState {
    /// The dimension's machine name.
    pub fn dimension_key<'a>(&self, state: &'a AppState) -> &'a str {
        state
            .loaded
            .as_ref()
            .and_then(|l| l.analysis.segments.dimensions.get(self.dimension))
            .map_or("", |l| l.dimension.key())
    }
}

/// The pivot of dimension `dimension` (wrapping), or `None` before the analysis is ready.
pub fn open(state: &AppState, dimension: usize) -> Option<PivotState> {
    let loaded = state.loaded.as_ref()?;
    let dimensions = &loaded.analysis.segments.dimensions;
    if dimensions.is_empty() {
        return None;
    }
    let dimension = dimension % dimensions.len();
    let outcomes = loaded.analysis.segment_outcomes();
    Some(PivotState {
        dimension,
        rows: summarize(&[&dimensions[dimension]], &outcomes),
        selected: 0,
        customers: outcomes.len(),
    })
}

/// The filter term that selects segment `label` of `dimension`: spaces become `_`, so the
/// term survives the filter's splitting on spaces.
pub fn filter_term(dimension: &str, label: &str) -> String {
    format!("{dimension}:{}", label.replace(' ', "_"))
}

/// A key while the pivot is open.
pub fn on_key(state: &mut AppState, mut pivot: PivotState, key: Key) {
    let count = state
        .loaded
        .as_ref()
        .map_or(1, |l| l.analysis.segments.dimensions.len().max(1));
    match key.code {
        KeyCodeKey::Esc | KeyCodeKey::Char('q') | KeyCodeKey::Char('F') => return,
        KeyCodeKey::Char('j') | KeyCodeKey::Down => {
            pivot.selected = (pivot.selected + 1).min(pivot.rows.len().saturating_sub(1));
        }
        KeyCodeKey::Char('k') | KeyCodeKey::Up => pivot.selected = pivot.selected.saturating_sub(1),
        KeyCodeKey::Tab | KeyCodeKey::Char('l') | KeyCodeKey::Right => {
            if let Some(next) = open(state, pivot.dimension + 1) {
                pivot = next;
            }
        }
        KeyCodeKey::BackTab | KeyCodeKey::Char('h') | KeyCodeKey::Left => {
            if let Some(previous) = open(state, pivot.dimension + count - 1) {
                pivot = previous;
            }
        }
        KeyCodeKey::Enter => {
            if let Some(row) = pivot.rows.get(pivot.selected) {
                let dimension = pivot.dimension_key(state).to_string();
                state.filter = filter_term(&dimension, &row.key[&dimension]);
                // The pivot's promise is the segment's customers: narrow, even when the last
                // typed filter was finding rows.
                state.narrow = true;
                state.rebuild_view();
                state.status = Some(format!(
                    "{} customers with gaps in {dimension} {} (x clears)",
                    row.customers_with_gaps, row.key[&dimension]
                ));
            }
            return;
        }
        _ => {}
    }
    state.mode = Mode::Pivot(Box::new(pivot));
}
