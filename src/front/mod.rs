//! What every front end shares, below them all: the command-line arguments (clap; the
//! explorer is started with the same data flags), loading the configuration they name, and
//! the failure with its exit code that both report. Imports only the library crates: `cli`
//! and `tui` import this, never each other's internals.

pub mod args;
pub mod load;

pub use load::{LoadError, check_config_fits, load_config};

use crate::data;

/// A failure with the exit code it maps to; `message` is one line.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn new(code: i32, message: impl std::fmt::Display) -> Self {
        Self {
            code,
            message: message.to_string(),
        }
    }
}

impl From<data::DataError> for Failure {
    fn from(error: data::DataError) -> Self {
        Self::new(error.exit_code(), error.to_string())
    }
}

pub const EXIT_CONFIG: i32 = 78;
pub const EXIT_OUTPUT: i32 = 73;
