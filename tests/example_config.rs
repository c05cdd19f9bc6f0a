//! `assets/config.example.toml` documents every setting with its default; it must stay
//! loadable and equal to the built-in defaults.

use revgap::config::Config;

#[test]
fn example_config_is_the_defaults() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/config.example.toml");
    let loaded = Config::from_toml_file(std::path::Path::new(path)).unwrap();
    assert_eq!(loaded, Config::default());
}

#[test]
fn example_config_names_every_setting() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/config.example.toml"
    ))
    .unwrap();
    let defaults = toml::Value::try_from(Config::default()).unwrap();
    for (section, table) in defaults.as_table().unwrap() {
        assert!(
            text.contains(&format!("[{section}]")),
            "[{section}] is missing"
        );
        for key in table.as_table().unwrap().keys() {
            // A key, a sub-table, or an array of tables written out entry by entry.
            let documented = text.lines().any(|line| {
                let line = line.trim_start_matches(['#', ' ']);
                line.starts_with(&format!("{key} ="))
                    || line.starts_with(&format!("[[{section}.{key}]]"))
                    || line.starts_with(&format!("[{section}.{key}]"))
            });
            assert!(documented, "{section}.{key} is not documented");
        }
    }
}
