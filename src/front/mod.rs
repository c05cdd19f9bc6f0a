//! What every front end shares, below them all: the command-line arguments (clap; the
//! explorer is started with the same data flags), loading the configuration they name, and
//! the failure with its exit code that both report. Imports only the library crates: `cli`
//! and `tui` import this, never each other's internals.

pub mod args;

use crate::config::Config;
use crate::data::{self, Dataset};
use args::DataArgs;

/// A failure with the exit code it maps to; `message` is one line.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
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

/// Loads the configuration named by `--config` (or the defaults), then applies the data
/// flags that override it (`--baseline`, `--churn-model`).
pub fn load_config(args: &DataArgs) -> Result<Config, Failure> {
    let mut config = match &args.config {
        Some(path) => {
            Config::from_toml_file(path).map_err(|e| Failure::new(EXIT_CONFIG, e.to_string()))?
        }
        None => Config::default(),
    };
    if let Some(baseline) = args.baseline {
        config.windows.baseline = baseline;
    }
    if let Some(churn_model) = args.churn_model {
        config.model.churn_model = churn_model;
    }
    Ok(config)
}

/// Checks the configuration's windows against the loaded data (exit 78 when they do not fit).
pub fn check_config_fits(config: &Config, dataset: &Dataset) -> Result<(), Failure> {
    config
        .check_data_weeks(dataset.week_count())
        .map_err(|message| Failure::new(EXIT_CONFIG, format!("invalid config: {message}")))
}
