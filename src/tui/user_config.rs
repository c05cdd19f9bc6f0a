//! The user's explorer configuration file: key bindings (`[keys]`) and display (`[ui]`).
//!
//! Location: `$REVGAP_CONFIG` if set, else `$XDG_CONFIG_HOME/revgap/config.toml`, else
//! `~/.config/revgap/config.toml`. A missing file means defaults; a broken one is reported on
//! screen and defaults are used.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserConfig {
    /// Key overrides: `"ctrl-d" = "page_down"`, `"q" = "none"`.
    pub keys: BTreeMap<String, String>,
    pub ui: UiConfig,
    /// The data files `revgap` opens when the command line names none.
    pub data: DataFiles,
}

/// Default data files (paths relative to the working directory, or absolute).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataFiles {
    pub weekly: Option<PathBuf>,
    pub transactions: Option<PathBuf>,
    pub customers: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// Use colour (NO_COLOR in the environment always wins).
    pub color: bool,
    /// Frames per second at most while something changes.
    pub max_fps: u32,
    /// Clicks and the wheel work in the explorer (false leaves the mouse to the terminal, for
    /// selecting text with it).
    pub mouse: bool,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            color: true,
            max_fps: 60,
            mouse: true,
        }
    }
}

/// Where the file is looked for.
pub fn config_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("REVGAP_CONFIG") {
        return Some(PathBuf::from(path));
    }
    if let Some(base) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(base).join("revgap/config.toml"));
    }
    directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".config/revgap/config.toml"))
}

/// Loads the user configuration; problems come back as one-line messages.
pub fn load() -> (UserConfig, Vec<String>) {
    let Some(path) = config_path() else {
        return (UserConfig::default(), Vec::new());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return (UserConfig::default(), Vec::new());
        }
        Err(error) => {
            return (
                UserConfig::default(),
                vec![format!(
                    "{}: cannot read: {error}; using defaults",
                    path.display()
                )],
            );
        }
    };
    parse(&text, &path.display().to_string())
}

/// Parses the file's text (`shown` names it in messages).
pub fn parse(text: &str, shown: &str) -> (UserConfig, Vec<String>) {
    match toml::from_str::<UserConfig>(text) {
        Ok(config) => (config, Vec::new()),
        Err(error) => {
            let message = error.to_string().lines().collect::<Vec<_>>().join(" ");
            (
                UserConfig::default(),
                vec![format!(
                    "{shown}: invalid config ({message}); using defaults"
                )],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_file_gives_defaults_and_a_message() {
        let (config, problems) = parse("[keys\nq = 1", "cfg.toml");
        assert_eq!(config, UserConfig::default());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("cfg.toml: invalid config"));
    }

    #[test]
    fn keys_and_ui_are_read() {
        let (config, problems) = parse("[keys]\nx = \"quit\"\n[ui]\ncolor = false\n", "c");
        assert!(problems.is_empty());
        assert_eq!(config.keys["x"], "quit");
        assert!(!config.ui.color);
    }
}
