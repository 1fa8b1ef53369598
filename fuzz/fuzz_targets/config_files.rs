//! Any bytes as a config file (TOML, YAML and JSON) through the core's config-file reader:
//! never a panic, nothing beyond its caps, and no error that repeats a line of the file.
#![no_main]

use genesys_resolver::settings::read_config_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = std::env::temp_dir().canonicalize() else {
        return;
    };
    for extension in ["toml", "yaml", "json"] {
        let path = dir.join(format!("fuzz-config-{}.{extension}", std::process::id()));
        if std::fs::write(&path, data).is_err() {
            return;
        }
        if let Err(e) = read_config_file(&path) {
            let message = e.to_string();
            assert!(!message.contains('\n'), "one line: {message:?}");
            // No line of the file (of some length, so that words of the message itself do not
            // count) is repeated.
            if let Ok(text) = std::str::from_utf8(data) {
                for line in text.lines().map(str::trim).filter(|l| l.len() >= 24) {
                    assert!(!message.contains(line), "{message:?} repeats {line:?}");
                }
            }
        }
        let _ = std::fs::remove_file(&path);
    }
});
