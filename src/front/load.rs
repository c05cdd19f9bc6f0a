//! The one way both front ends load what an analysis needs: the configuration the flags name,
//! the data (the flags' load options, the load, the configuration's windows checked against
//! the data), and the lines that tell what a lenient load skipped. Errors are typed
//! ([`LoadError`], [`ConfigLoadError`]) and map to the documented exit codes. Imports only
//! the library crates and `front::args`.

use super::args::DataArgs;
use super::{EXIT_CONFIG, Failure};
use crate::config::{Config, ConfigError, WindowsTooLong};
use crate::data::{self, DataError, Dataset, LoadOptions};

/// Why the data cannot be loaded for an analysis.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The data flags contradict each other or name no data (a usage error).
    #[error("{0}")]
    Flags(String),
    #[error(transparent)]
    Data(#[from] DataError),
    /// The configuration's windows are longer than the data.
    #[error("invalid config: {0}")]
    Windows(#[from] WindowsTooLong),
}

impl LoadError {
    /// The process exit code (README): 2 usage, 65/66 data, 78 configuration.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Flags(_) => 2,
            Self::Data(error) => error.exit_code(),
            Self::Windows(_) => EXIT_CONFIG,
        }
    }
}

impl From<LoadError> for Failure {
    fn from(error: LoadError) -> Self {
        Self::new(error.exit_code(), &error)
    }
}

/// The configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ConfigLoadError(#[from] ConfigError);

impl From<ConfigLoadError> for Failure {
    fn from(error: ConfigLoadError) -> Self {
        Self::new(EXIT_CONFIG, &error)
    }
}

/// Loads the configuration named by `--config` (or the defaults), then applies the data
/// flags that override it (`--baseline`, `--churn-model`).
pub fn load_config(args: &DataArgs) -> Result<Config, ConfigLoadError> {
    let mut config = match &args.config {
        Some(path) => Config::from_toml_file(path)?,
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

/// What the data flags ask to load.
pub fn options(args: &DataArgs) -> Result<LoadOptions, LoadError> {
    args.load_options().map_err(LoadError::Flags)
}

/// Loads the data of `options`; with `config`, checks its windows against them.
pub fn load(options: &LoadOptions, config: Option<&Config>) -> Result<Dataset, LoadError> {
    let dataset = data::load(options)?;
    if let Some(config) = config {
        check_windows(config, &dataset)?;
    }
    Ok(dataset)
}

/// Checks the configuration's windows against the loaded data.
pub fn check_windows(config: &Config, dataset: &Dataset) -> Result<(), LoadError> {
    Ok(config.check_data_weeks(dataset.week_count())?)
}

/// Checks the configuration's windows against the loaded data (exit 78 when they do not fit).
pub fn check_config_fits(config: &Config, dataset: &Dataset) -> Result<(), Failure> {
    Ok(check_windows(config, dataset)?)
}

/// What a lenient load skipped, one line each: the count with its reasons, then the first
/// problems (file, line, column). None when nothing was skipped.
pub fn skipped_lines(dataset: &Dataset) -> Vec<String> {
    let load = &dataset.load;
    let skipped = load.skipped_rows + load.skipped_customer_rows;
    if skipped == 0 {
        return Vec::new();
    }
    let reasons = load.reasons();
    std::iter::once(format!(
        "skipped {skipped} bad row(s) ({reasons}); use --strict to stop at the first"
    ))
    .chain(load.first_problems.iter().map(ToString::to_string))
    .collect()
}
