//! The key table: one list of (key, action) bindings that both dispatches keys and generates
//! the help overlay and footer hints, so they cannot drift apart. Users override bindings in
//! the `[keys]` table of their config file (`"ctrl-d" = "page_down"`, `"x" = "quit"`,
//! `"q" = "none"` to unbind).

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

/// A key with its modifiers, comparable and printable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeKey,
    pub ctrl: bool,
    pub alt: bool,
}

/// The part of `KeyCode` the keymap can bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeKey {
    Char(char),
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Tab,
    BackTab,
    Enter,
    Esc,
    Backspace,
}

impl Key {
    pub fn from_event(event: &KeyEvent) -> Option<Self> {
        let code = match event.code {
            KeyCode::Char(c) => KeyCodeKey::Char(c),
            KeyCode::Up => KeyCodeKey::Up,
            KeyCode::Down => KeyCodeKey::Down,
            KeyCode::Left => KeyCodeKey::Left,
            KeyCode::Right => KeyCodeKey::Right,
            KeyCode::PageUp => KeyCodeKey::PageUp,
            KeyCode::PageDown => KeyCodeKey::PageDown,
            KeyCode::Home => KeyCodeKey::Home,
            KeyCode::End => KeyCodeKey::End,
            KeyCode::Tab => KeyCodeKey::Tab,
            KeyCode::BackTab => KeyCodeKey::BackTab,
            KeyCode::Enter => KeyCodeKey::Enter,
            KeyCode::Esc => KeyCodeKey::Esc,
            KeyCode::Backspace => KeyCodeKey::Backspace,
            _ => return None,
        };
        Some(Self {
            code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
            alt: event.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// Parses `j`, `G`, `ctrl-d`, `alt-x`, `pgdn`, `shift-tab`, `enter`, `esc`, `?`, `space`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text.trim();
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(stripped) = lower.strip_prefix("ctrl-").or(lower.strip_prefix("c-")) {
                ctrl = true;
                rest = &rest[rest.len() - stripped.len()..];
            } else if let Some(stripped) = lower.strip_prefix("alt-").or(lower.strip_prefix("m-")) {
                alt = true;
                rest = &rest[rest.len() - stripped.len()..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "up" => KeyCodeKey::Up,
            "down" => KeyCodeKey::Down,
            "left" => KeyCodeKey::Left,
            "right" => KeyCodeKey::Right,
            "pgup" | "pageup" => KeyCodeKey::PageUp,
            "pgdn" | "pagedown" => KeyCodeKey::PageDown,
            "home" => KeyCodeKey::Home,
            "end" => KeyCodeKey::End,
            "tab" => KeyCodeKey::Tab,
            "shift-tab" | "backtab" => KeyCodeKey::BackTab,
            "enter" | "return" => KeyCodeKey::Enter,
            "esc" | "escape" => KeyCodeKey::Esc,
            "backspace" => KeyCodeKey::Backspace,
            "space" => KeyCodeKey::Char(' '),
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        KeyCodeKey::Char(if ctrl { c.to_ascii_lowercase() } else { c })
                    }
                    _ => return Err(format!("unknown key '{text}'")),
                }
            }
        };
        Ok(Self { code, ctrl, alt })
    }

    pub fn plain(c: char) -> Self {
        Self {
            code: KeyCodeKey::Char(c),
            ctrl: false,
            alt: false,
        }
    }

    pub fn ctrl(c: char) -> Self {
        Self {
            code: KeyCodeKey::Char(c),
            ctrl: true,
            alt: false,
        }
    }

    pub fn code(code: KeyCodeKey) -> Self {
        Self {
            code,
            ctrl: false,
            alt: false,
        }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCodeKey::Char(' ') => f.write_str("Space"),
            KeyCodeKey::Char(c) => write!(f, "{c}"),
            KeyCodeKey::Up => f.write_str("↑"),
            KeyCodeKey::Down => f.write_str("↓"),
            KeyCodeKey::Left => f.write_str("←"),
            KeyCodeKey::Right => f.write_str("→"),
            KeyCodeKey::PageUp => f.write_str("PgUp"),
            KeyCodeKey::PageDown => f.write_str("PgDn"),
            KeyCodeKey::Home => f.write_str("Home"),
            KeyCodeKey::End => f.write_str("End"),
            KeyCodeKey::Tab => f.write_str("Tab"),
            KeyCodeKey::BackTab => f.write_str("Shift-Tab"),
            KeyCodeKey::Enter => f.write_str("Enter"),
            KeyCodeKey::Esc => f.write_str("Esc"),
            KeyCodeKey::Backspace => f.write_str("Backspace"),
        }
    }
}

/// The ordered binding table.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: Vec<(Key, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        use Action::*;
        use KeyCodeKey as K;
        let bindings = vec![
            (Key::plain('q'), Quit),
            (Key::code(K::Esc), Back),
            (Key::ctrl('c'), Quit),
            (Key::plain('k'), MoveUp),
            (Key::code(K::Up), MoveUp),
            (Key::plain('j'), MoveDown),
            (Key::code(K::Down), MoveDown),
            (Key::code(K::PageUp), PageUp),
            (Key::code(K::PageDown), PageDown),
            (Key::ctrl('u'), HalfPageUp),
            (Key::ctrl('d'), HalfPageDown),
            (Key::plain('g'), Top),
            (Key::code(K::Home), Top),
            (Key::plain('G'), Bottom),
            (Key::code(K::End), Bottom),
            (Key::code(K::Tab), FocusNext),
            (Key::code(K::BackTab), FocusPrevious),
            (Key::code(K::Enter), FocusDetail),
            (Key::plain('/'), Filter),
            (Key::plain('x'), ClearFilter),
            (Key::plain('s'), SortNext),
            (Key::plain('S'), SortReverse),
            (Key::plain('?'), FieldHelp),
            (Key::plain('h'), ToggleHelp),
            (Key::plain('t'), OpenSettings),
            (Key::plain('e'), Export),
            (Key::plain('r'), Generate),
            (Key::plain('R'), GenerateMarked),
            (Key::plain('c'), CancelGeneration),
            (Key::plain(':'), GoTo),
            (Key::plain('v'), ToggleWeeklyTable),
            (Key::plain('W'), WhatChanged),
            (Key::plain('o'), Columns),
            (Key::plain('<'), ShrinkList),
            (Key::plain('>'), GrowList),
            (Key::plain('V'), Views),
            (Key::plain('n'), NextMatch),
            (Key::plain('N'), PreviousMatch),
            (Key::plain('a'), ToggleAll),
            (Key::plain('y'), CopyId),
            (Key::plain('Y'), CopyRationale),
            (Key::plain('F'), Pivot),
            (Key::plain('C'), Cohorts),
            (Key::plain(' '), ToggleMark),
            (Key::plain('*'), MarkAll),
            (Key::plain('A'), NewCampaign),
            (Key::plain('L'), Campaigns),
            (Key::plain('D'), DraftPreview),
            (Key::plain('M'), Metrics),
            (Key::ctrl('z'), Suspend),
        ];
        Self { bindings }
    }
}

impl Keymap {
    /// The action bound to `key`, if any.
    pub fn action(&self, key: Key) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, a)| *a)
    }

    /// Every binding in table order.
    pub fn bindings(&self) -> &[(Key, Action)] {
        &self.bindings
    }

    /// The keys bound to `action`, in table order.
    pub fn keys_for(&self, action: Action) -> Vec<Key> {
        self.bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| *k)
            .collect()
    }

    /// Applies user overrides (`key = "action"` or `key = "none"`). Returns the keymap and one
    /// message per entry that could not be used (those entries are ignored).
    pub fn with_overrides(mut self, overrides: &BTreeMap<String, String>) -> (Self, Vec<String>) {
        let mut problems = Vec::new();
        for (key_text, action_text) in overrides {
            let key = match Key::parse(key_text) {
                Ok(key) => key,
                Err(problem) => {
                    problems.push(format!("[keys] {problem}"));
                    continue;
                }
            };
            // Ctrl-C always quits: the terminal must stay escapable.
            if key == Key::ctrl('c') {
                problems.push("[keys] ctrl-c always quits and cannot be rebound".into());
                continue;
            }
            self.bindings.retain(|(k, _)| *k != key);
            if action_text == "none" {
                continue;
            }
            match serde_json::from_value::<Action>(serde_json::Value::String(action_text.clone())) {
                Ok(action) => self.bindings.push((key, action)),
                Err(_) => problems.push(format!(
                    "[keys] unknown action '{action_text}' for '{key_text}'"
                )),
            }
        }
        (self, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_key_names() {
        assert_eq!(Key::parse("ctrl-d").unwrap(), Key::ctrl('d'));
        assert_eq!(Key::parse("G").unwrap(), Key::plain('G'));
        assert_eq!(Key::parse("pgdn").unwrap(), Key::code(KeyCodeKey::PageDown));
        assert_eq!(
            Key::parse("shift-tab").unwrap(),
            Key::code(KeyCodeKey::BackTab)
        );
        assert!(Key::parse("hyper-q").is_err());
    }

    #[test]
    fn overrides_rebind_unbind_and_report_problems() {
        let overrides: BTreeMap<String, String> = [
            ("x".to_string(), "quit".to_string()),
            ("q".to_string(), "none".to_string()),
            ("z".to_string(), "explode".to_string()),
            ("ctrl-c".to_string(), "move_down".to_string()),
        ]
        .into();
        let (keymap, problems) = Keymap::default().with_overrides(&overrides);
        assert_eq!(keymap.action(Key::plain('x')), Some(Action::Quit));
        assert_eq!(keymap.action(Key::plain('q')), None);
        assert_eq!(keymap.action(Key::ctrl('c')), Some(Action::Quit));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("explode")));
    }
}
