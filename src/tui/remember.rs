//! What the explorer remembers between runs, in the XDG state directory: per data source the
//! last view (sort, filter, columns, pane size, chart or table) and the thresholds tuned in the
//! explorer; and, across sources, named views saved by the user. `--no-remember` neither reads
//! nor writes them.
//!
//! Location: `$REVGAP_STATE_DIR/views`, else the platform's state directory
//! (`~/.local/state/revgap/views`): `<key>.toml` per data source (the key a hash of its path,
//! as for snapshots) and `named.toml`. Files are written atomically and owner-only.

use super::basics::SortColumn;
pub use super::basics::{NamedViews, ViewSettings, ViewsPopup, ViewsRequest};
use super::keymap::{Key, KeyCodeKey};
use super::state::{AppState, Mode};
use crate::config::Config;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where remembered views live: `views/` in the state directory.
pub fn directory() -> Option<PathBuf> {
    crate::snapshot::state_directory().map(|(base, _)| base.join("views"))
}

impl ViewSettings {
    pub fn of(state: &AppState) -> Self {
        Self {
            sort: state.sort.key().to_string(),
            reversed: state.reversed,
            filter: state.filter.clone(),
            narrow: state.narrow,
            show_all: state.show_all,
            columns: state.columns.clone(),
            list_share: state.list_share,
            weekly_table: state.weekly_table,
        }
    }

    /// Puts these settings on `state` (the list is rebuilt when data is loaded).
    pub fn apply(&self, state: &mut AppState) {
        state.sort = SortColumn::from_key(&self.sort).unwrap_or(SortColumn::Rank);
        state.reversed = self.reversed;
        state.filter = self.filter.clone();
        state.narrow = self.narrow;
        state.show_all = self.show_all;
        state.columns = self.columns.clone();
        let (low, high) = super::basics::LIST_SHARE_RANGE;
        state.list_share = self.list_share.clamp(low, high);
        state.weekly_table = self.weekly_table;
        if state.loaded.is_some() {
            state.rebuild_view();
        }
    }

    /// One line for the views popup.
    pub fn summary(&self) -> String {
        let filter = if self.filter.is_empty() {
            "no filter".to_string()
        } else {
            format!("\"{}\"", self.filter)
        };
        format!(
            "{filter} · sort {}{} · {} columns",
            self.sort,
            if self.reversed { " (reversed)" } else { "" },
            self.columns.len()
        )
    }
}

/// What one data source remembers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Remembered {
    pub view: ViewSettings,
    /// Thresholds and weights tuned in the explorer, by config key (`gaps.zero_spend_weeks`).
    pub tuned: BTreeMap<String, f64>,
}

impl Remembered {
    /// The state's view, and the tuning fields whose values differ from `base`.
    pub fn of(state: &AppState, base: &Config) -> Self {
        Self {
            view: ViewSettings::of(state),
            tuned: super::tuning::tuned_fields(&state.config, base),
        }
    }

    /// `base` with the remembered tuning, if it is still a valid configuration.
    pub fn tuned_config(&self, base: &Config) -> Result<Option<Config>, String> {
        if self.tuned.is_empty() {
            return Ok(None);
        }
        let mut config = base.clone();
        for (key, value) in &self.tuned {
            if !super::tuning::TuningForm::set(&mut config, key, *value) {
                return Err(format!("unknown tuned setting '{key}'"));
            }
        }
        config.validated().map(Some).map_err(|e| e.to_string())
    }
}

fn source_file(dir: &Path, source: &str) -> PathBuf {
    dir.join(format!("{}.toml", crate::snapshot::key_of(source)))
}

fn read_toml<T: Default + for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| {
            format!(
                "{}: {}",
                path.display(),
                crate::text::one_line(&e.to_string())
            )
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(error) => Err(format!("{}: {error}", path.display())),
    }
}

fn write_toml<T: Serialize>(path: &Path, value: &T) -> Result<(), String> {
    let text = toml::to_string(value).map_err(|e| e.to_string())?;
    if let Some(parent) = path.parent() {
        crate::atomic::private_dir(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    crate::atomic::write(path, crate::atomic::Access::Private, text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// What `source` remembers (the defaults when nothing is).
pub fn load(dir: &Path, source: &str) -> Result<Remembered, String> {
    read_toml(&source_file(dir, source))
}

pub fn save(dir: &Path, source: &str, remembered: &Remembered) -> Result<(), String> {
    write_toml(&source_file(dir, source), remembered)
}

pub fn load_named(dir: &Path) -> Result<NamedViews, String> {
    read_toml(&dir.join("named.toml"))
}

pub fn save_named(dir: &Path, named: &NamedViews) -> Result<(), String> {
    write_toml(&dir.join("named.toml"), named)
}

/// Keys in the views popup: s names and saves the current view, Enter recalls, d deletes.
pub fn on_views_key(state: &mut AppState, mut popup: ViewsPopup, key: Key) {
    if let Some(mut name) = popup.typing.take() {
        match key.code {
            KeyCodeKey::Enter if !name.trim().is_empty() => {
                let name = name.trim().to_string();
                state.status = Some(format!("view \"{name}\" saved"));
                state.pending_views = Some(ViewsRequest::Save(name, ViewSettings::of(state)));
                state.mode = Mode::Views(Box::new(popup));
                return;
            }
            KeyCodeKey::Esc => {}
            KeyCodeKey::Backspace => {
                name.pop();
                popup.typing = Some(name);
            }
            KeyCodeKey::Char(c) if !key.ctrl && !key.alt && !c.is_control() => {
                name.push(c);
                popup.typing = Some(name);
            }
            _ => popup.typing = Some(name),
        }
        state.mode = Mode::Views(Box::new(popup));
        return;
    }
    match key.code {
        KeyCodeKey::Char('s') => popup.typing = Some(String::new()),
        KeyCodeKey::Down | KeyCodeKey::Char('j') => {
            popup.cursor = (popup.cursor + 1).min(popup.names.len().saturating_sub(1));
        }
        KeyCodeKey::Up | KeyCodeKey::Char('k') => popup.cursor = popup.cursor.saturating_sub(1),
        KeyCodeKey::Enter => {
            if let Some((name, _)) = popup.names.get(popup.cursor)
                && let Some(view) = popup.views.get(name)
            {
                state.status = Some(format!("view \"{name}\" recalled"));
                view.clone().apply(state);
            }
            return;
        }
        KeyCodeKey::Char('d') => {
            if let Some((name, _)) = popup.names.get(popup.cursor) {
                state.status = Some(format!("view \"{name}\" deleted"));
                state.pending_views = Some(ViewsRequest::Delete(name.clone()));
            }
        }
        _ => return,
    }
    state.mode = Mode::Views(Box::new(popup));
}

/// Runs a views request against the named views file; what the popup shows next.
pub fn run(dir: Option<&Path>, request: ViewsRequest) -> Result<NamedViews, String> {
    let dir = dir.ok_or("no state directory for named views (set REVGAP_STATE_DIR)")?;
    let mut named = load_named(dir)?;
    match request {
        ViewsRequest::Read => return Ok(named),
        ViewsRequest::Save(name, view) => {
            named.views.insert(name, view);
        }
        ViewsRequest::Delete(name) => {
            named.views.remove(&name);
        }
    }
    save_named(dir, &named)?;
    Ok(named)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::columns::ListColumn;

    #[test]
    fn remembered_views_round_trip_and_tuning_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let mut remembered = Remembered::default();
        remembered.view.filter = "sev:high".into();
        remembered.view.columns = vec![ListColumn::Revenue, ListColumn::Score];
        remembered.tuned.insert("gaps.zero_spend_weeks".into(), 3.0);
        save(dir.path(), "data/x.csv", &remembered).unwrap();
        let read = load(dir.path(), "data/x.csv").unwrap();
        assert_eq!(read, remembered);
        assert_eq!(
            load(dir.path(), "other.csv").unwrap(),
            Remembered::default()
        );
        let config = read.tuned_config(&Config::default()).unwrap().unwrap();
        assert_eq!(config.gaps.zero_spend_weeks, 3);
        let mut broken = Remembered::default();
        broken.tuned.insert("gaps.nonsense".into(), 1.0);
        assert!(
            broken
                .tuned_config(&Config::default())
                .unwrap_err()
                .contains("nonsense")
        );
        std::fs::write(source_file(dir.path(), "bad.csv"), "view = 3").unwrap();
        assert!(load(dir.path(), "bad.csv").unwrap_err().contains(".toml"));
    }
}
