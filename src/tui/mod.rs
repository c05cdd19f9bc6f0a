//! The terminal explorer: state, update and view are kept apart (see `state`, `update`,
//! `view`); `app` owns the terminal, the event loop and the background work.

pub mod action;
pub mod app;
pub mod basics;
pub mod campaigns;
pub mod changes;
pub mod cohorts;
pub mod columns;
mod commands;
pub mod export;
pub mod field_help;
pub mod keymap;
pub mod layout;
pub mod list_index;
pub mod logging;
pub mod mouse;
pub mod msg;
mod narration;
pub mod pivot;
pub mod remember;
mod scrolling;
pub mod state;
mod terminal;
pub mod tuning;
pub mod update;
pub mod user_config;
pub mod view;

pub use app::run;
