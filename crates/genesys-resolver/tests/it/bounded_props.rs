//! Generated hostile text through the bounded readers, as a repository's files could hold it:
//! JSON and YAML nested deeper than the cap, YAML anchors whose aliases multiply, duplicate
//! keys, and the same through the config-file reader. Whatever the text, a reader answers
//! (never a panic, never an abort on memory), and the answer is the one the bounds promise.

use std::fmt::Write as _;

use genesys_resolver::document::{
    DocumentError, DocumentKind, DocumentReader, Format, MAX_DEPTH, ReadLimits,
};
use proptest::prelude::*;

/// Nesting as a list of levels: `true` an object (`{"k": ...}`), `false` a list (`[...]`).
fn nested_json(levels: &[bool]) -> String {
    let mut text = String::new();
    for &object in levels {
        text.push_str(if object { "{\"k\": " } else { "[" });
    }
    text.push('1');
    for &object in levels.iter().rev() {
        text.push(if object { '}' } else { ']' });
    }
    text
}

/// The same nesting in YAML's block style (indented maps, `- ` items), as the value of `name`.
fn nested_yaml_block(levels: &[bool]) -> String {
    let mut text = String::from("name:\n");
    for (depth, &object) in levels.iter().enumerate() {
        let indent = " ".repeat(depth * 2 + 2);
        let _ = writeln!(text, "{indent}{}", if object { "k:" } else { "-" });
    }
    let _ = writeln!(text, "{}1", " ".repeat(levels.len() * 2 + 2));
    text
}

/// `levels` anchors, each a list of `width` aliases of the one below, over a leaf of `leaf`
/// bytes: the last expands to `width^levels` leaves.
fn alias_ladder(levels: u32, width: usize, leaf: usize) -> String {
    let mut text = format!("l0: &a0 \"{}\"\n", "x".repeat(leaf));
    for i in 1..=levels {
        let aliases = vec![format!("*a{}", i - 1); width].join(", ");
        let _ = writeln!(text, "l{i}: &a{i} [{aliases}]");
    }
    text
}

/// A lower bound of the JSON the ladder expands to: every leaf string of the last entry,
/// quoted.
fn ladder_size(levels: u32, width: usize, leaf: usize) -> u128 {
    (width as u128).pow(levels) * (leaf as u128 + 2)
}

/// An upper bound of the JSON the whole ladder expands to (every entry: its leaves with their
/// quotes and commas, its lists' brackets and commas, its key), and how many aliases the YAML
/// parser follows to build it (every alias node of every entry's tree).
fn ladder_cost(levels: u32, width: usize, leaf: usize) -> (u128, u128) {
    let w = width as u128;
    let (mut bytes, mut jumps) = (0, 0);
    for entry in 0..=levels {
        let lists: u128 = (0..entry).map(|j| w.pow(j)).sum();
        bytes += w.pow(entry) * (leaf as u128 + 3) + lists * 3 + 8;
        jumps += (1..=entry).map(|j| w.pow(j)).sum::<u128>();
    }
    (bytes, jumps)
}

fn reader() -> DocumentReader {
    DocumentReader::new().kind(DocumentKind::Payload)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn nesting_past_the_cap_is_refused_in_json_and_yaml(
        levels in prop::collection::vec(any::<bool>(), 0..(2 * MAX_DEPTH + 8)),
    ) {
        // The document is the value of one key, one level down.
        let json = format!("{{\"name\": {}}}", nested_json(&levels));
        let yaml = nested_yaml_block(&levels);
        for (text, format) in [(json, Format::Json), (yaml, Format::Yaml)] {
            let result = reader().read_text(text.as_bytes(), format);
            let too_deep = matches!(result, Err(DocumentError::TooDeep { .. }));
            prop_assert_eq!(
                too_deep,
                levels.len() + 1 > MAX_DEPTH,
                "{} levels as {:?}: {:?}", levels.len(), format, result.err()
            );
            if let Err(DocumentError::TooDeep { line, .. }) = result {
                prop_assert!(line > 0, "the refusal is positioned");
            }
        }
    }

    #[test]
    fn aliases_are_refused_once_they_expand_past_the_cap(
        levels in 1_u32..12,
        width in 1_usize..24,
        leaf in 1_usize..64,
    ) {
        let cap = 64 << 10;
        let text = alias_ladder(levels, width, leaf);
        let limits = ReadLimits::default().with_max_expanded_bytes(cap);
        let result = reader().read_limits(limits).read_text(text.as_bytes(), Format::Yaml);
        let expanded = matches!(result, Err(DocumentError::Expanded { .. }));
        let size = ladder_size(levels, width, leaf);
        if size > cap as u128 {
            prop_assert!(expanded, "{size} bytes read: {:?}", result.err());
        }
        // Within the cap, the aliases read as what they name, unless the YAML parser's own
        // guard stops them first (more alias jumps than 100 per event of the text, which it
        // reports as the same refusal).
        let (bytes, jumps) = ladder_cost(levels, width, leaf);
        let events = u128::from(levels) * (width as u128 + 3) + 2;
        if bytes < cap as u128 && jumps <= 100 * events {
            prop_assert!(!expanded, "{bytes} bytes, {jumps} jumps refused");
        }
    }

    #[test]
    fn duplicate_keys_at_any_depth_are_found_in_json_and_yaml(
        depth in 0_usize..(MAX_DEPTH - 2),
        keys in prop::collection::vec("[a-c]", 1..8),
    ) {
        let pairs: Vec<String> = keys.iter().map(|k| format!("\"{k}\": 1")).collect();
        let inner = format!("{{{}}}", pairs.join(", "));
        let text = format!(
            "{{\"name\": {}{inner}{}}}",
            "{\"n\": ".repeat(depth),
            "}".repeat(depth)
        );
        let expected = keys.len() - keys.iter().collect::<std::collections::BTreeSet<_>>().len();
        // JSON's flow syntax is YAML too: the one text read both ways.
        for format in [Format::Json, Format::Yaml] {
            let result = reader().read_text(text.as_bytes(), format);
            let dups = result
                .as_ref()
                .err()
                .map_or(0, |e| e.violations().iter()
                    .filter(|v| v.code == genesys_resolver::validate::ViolationCode::DuplicateKey)
                    .count());
            prop_assert_eq!(dups, expected, "{:?}", format);
        }
    }
}

#[cfg(feature = "config-file")]
mod config_files {
    use super::*;
    use genesys_resolver::settings::read_config_file;

    const SECRET: &str = "tok-c0ffee15bad";

    /// One line of a config file, hostile or not, with the secret as a value here and there.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(format!("RESOLVER_X = \"{SECRET}\"")),
            Just(format!("RESOLVER_X = \"{SECRET}")),
            Just(format!("RESOLVER_Y = {SECRET}")),
            Just(format!("RESOLVER_API_TOKENS = \"{SECRET}\"")),
            Just(format!("RESOLVER_Z: &a [\"{SECRET}\", \"{SECRET}\"]")),
            Just("RESOLVER_W: [*a, *a, *a, *a, *a, *a, *a, *a]".to_owned()),
            Just(format!("\"{SECRET}\": 1")),
            Just(format!("[{SECRET}]")),
            Just(format!("- {SECRET}")),
            Just(format!("{{\"RESOLVER_X\": \"{SECRET}\"")),
            Just("\t{[".to_owned()),
            "[A-Z_]{1,12} = [0-9]{1,4}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn a_config_file_never_repeats_a_value(
            lines in prop::collection::vec(line(), 1..12),
            extension in prop_oneof![Just("toml"), Just("yaml"), Just("json")],
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(format!("c.{extension}"));
            std::fs::write(&path, lines.join("\n")).unwrap();
            if let Err(e) = read_config_file(&path) {
                prop_assert!(!e.to_string().contains(SECRET), "{e}");
                prop_assert!(!e.to_string().contains('\n'), "{e}");
            }
        }
    }
}
