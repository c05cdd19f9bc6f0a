//! Semantic styles. Without colour (NO_COLOR or `[ui] color = false`) every meaning is still
//! carried by a modifier (bold, reversed, dim) or a symbol, never by colour alone.

use crate::engine::Severity;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn paint(self, style: Style, color: Color) -> Style {
        if self.color { style.fg(color) } else { style }
    }

    pub fn title(self) -> Style {
        self.paint(Style::new().add_modifier(Modifier::BOLD), Color::Cyan)
    }

    pub fn focused_border(self) -> Style {
        self.paint(Style::new().add_modifier(Modifier::BOLD), Color::Cyan)
    }

    pub fn border(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    pub fn selection(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn key(self) -> Style {
        self.paint(Style::new().add_modifier(Modifier::BOLD), Color::Yellow)
    }

    pub fn error(self) -> Style {
        self.paint(Style::new().add_modifier(Modifier::BOLD), Color::Red)
    }

    pub fn money_lost(self) -> Style {
        self.paint(Style::new(), Color::LightRed)
    }

    pub fn severity(self, severity: Option<Severity>) -> Style {
        match severity {
            Some(Severity::High) => {
                self.paint(Style::new().add_modifier(Modifier::BOLD), Color::Red)
            }
            Some(Severity::Medium) => self.paint(Style::new(), Color::Yellow),
            _ => Style::new(),
        }
    }

    pub fn chart_spend(self) -> Style {
        self.paint(Style::new(), Color::Cyan)
    }

    pub fn chart_baseline(self) -> Style {
        self.paint(Style::new(), Color::Green)
    }

    pub fn chart_recent(self) -> Style {
        self.paint(Style::new(), Color::Magenta)
    }
}
