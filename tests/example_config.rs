//! `assets/config.example.toml` documents every setting with its default; it must stay
//! loadable and equal to the built-in defaults.

use revgap::config::Config;

#[test]
fn example_config_is_the_defaults() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/config.example.toml");
    let loaded = Config::from_toml_file(std::path::Path::new(path)).unwrap();
    assert_eq!(loaded, Config::default());
}
