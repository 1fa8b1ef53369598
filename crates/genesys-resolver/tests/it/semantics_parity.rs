//! The library's EventBridge semantics (`route::semantics`) against the strict AWS emulator's
//! (`aws_emulator/_patterns.py`, `_transform.py`), case by case: a generated corpus of patterns
//! and events must match alike, and a corpus of input templates must render to the same bytes.
//! The emulator's modules run in the workspace's `.venv` Python (or `MOTO_PYTHON`), loaded by
//! path as the emulator itself is.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use genesys_resolver::route::InputTransformerSpec;
use genesys_resolver::route::semantics::{RuleContext, matches, render};
use serde_json::{Value, json};

use crate::common::moto::python;

/// Reads JSON lines `{"pattern": .., "event": ..}` or `{"template": .., "paths": .., "event": ..}`
/// and answers each with the emulator's verdict (`{"matches": bool | null}`, null: refused) or
/// rendering (`{"body": str}`).
const ORACLE: &str = r#"
import importlib.util, json, sys
from pathlib import Path
here = Path(sys.argv[1]).resolve()
spec = importlib.util.spec_from_file_location(
    "_genesys_aws_emulator", here / "__init__.py", submodule_search_locations=[str(here)])
package = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = package
spec.loader.exec_module(package)
import _genesys_aws_emulator._patterns as patterns
import _genesys_aws_emulator._transform as transform
for line in sys.stdin:
    case = json.loads(line)
    if "pattern" in case:
        try:
            verdict = patterns.matches(patterns.parse(json.dumps(case["pattern"])), case["event"])
        except package.RequestRefused:
            verdict = None
        print(json.dumps({"matches": verdict}))
    else:
        body = transform.render(case["template"], case["paths"], case["event"],
                                "arn:aws:events:eu-west-1:123456789012:rule/r", "r",
                                "2026-01-01T10:00:00Z")
        print(json.dumps({"body": body}))
"#;

/// A small deterministic generator (xorshift), so the corpus is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).unwrap_or(0)
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

fn scalars() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(5),
        json!(5.0),
        json!(300),
        json!(-2.5),
        json!(""),
        json!("x"),
        json!("abc"),
        json!("aBc"),
        json!("10.0.0.7"),
        json!("2001:db8::1"),
        json!("a.b/c"),
    ]
}

fn event_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(8) {
        0 | 1 if depth < 3 => {
            let mut map = serde_json::Map::new();
            for _ in 0..rng.below(4) {
                map.insert(
                    rng.pick(&["a", "b", "c"]).to_owned(),
                    event_value(rng, depth + 1),
                );
            }
            Value::Object(map)
        }
        2 if depth < 3 => Value::Array(
            (0..rng.below(4))
                .map(|_| event_value(rng, depth + 1))
                .collect(),
        ),
        _ => rng.pick(&scalars()),
    }
}

fn matcher(rng: &mut Rng) -> Value {
    if rng.below(10) < 4 {
        return rng.pick(&scalars());
    }
    let arguments: Vec<(&str, Vec<Value>)> = vec![
        (
            "prefix",
            vec![json!("a"), json!(""), json!({"equals-ignore-case": "A"})],
        ),
        (
            "suffix",
            vec![json!("c"), json!({"equals-ignore-case": "C"})],
        ),
        ("equals-ignore-case", vec![json!("ABC"), json!("x")]),
        (
            "wildcard",
            vec![
                json!("a*"),
                json!("*c"),
                json!("*"),
                json!("a*b*c"),
                json!("a**"),
            ],
        ),
        (
            "anything-but",
            vec![
                json!("x"),
                json!(5),
                json!([5, 300]),
                json!(["x", "abc"]),
                json!({"prefix": "a"}),
                json!({"suffix": "c"}),
                json!({"wildcard": "a*"}),
                json!({"equals-ignore-case": ["X"]}),
                json!([5.0]),
                json!([1, "a"]),
            ],
        ),
        (
            "numeric",
            vec![
                json!([">", 0]),
                json!(["<", 5]),
                json!(["=", 5]),
                json!([">=", 0, "<", 10]),
                json!(["=", 5.0]),
                json!(["<", 5, ">", 1]),
                json!([">", 6e9]),
            ],
        ),
        ("exists", vec![json!(true), json!(false)]),
        (
            "cidr",
            vec![
                json!("10.0.0.0/24"),
                json!("2001:db8::/32"),
                json!("10.0.0.7"),
                json!("10.0.0.0/33"),
            ],
        ),
    ];
    let (op, args) = rng.pick(&arguments);
    json!({ op: rng.pick(&args) })
}

fn pattern(rng: &mut Rng, depth: usize) -> Value {
    let mut map = serde_json::Map::new();
    for _ in 0..=rng.below(3) {
        let key = rng.pick(&["a", "b", "c"]).to_owned();
        let value = if depth < 2 && rng.below(10) < 3 {
            pattern(rng, depth + 1)
        } else {
            Value::Array((0..=rng.below(2)).map(|_| matcher(rng)).collect())
        };
        map.insert(key, value);
    }
    if depth < 2 && rng.below(10) == 0 {
        map.insert(
            "$or".into(),
            json!([pattern(rng, depth + 1), pattern(rng, depth + 1)]),
        );
    }
    Value::Object(map)
}

fn template(rng: &mut Rng) -> String {
    const TOKENS: [&str; 21] = [
        "<v>",
        "<w>",
        "<missing>",
        "<aws.events.rule-name>",
        "<aws.events.event>",
        "<aws.events.event.json>",
        "<aws.events.event.ingestion-time>",
        "\"",
        "\\",
        "{",
        "}",
        "[",
        "]",
        " ",
        "a",
        "<",
        ">",
        ":",
        ",",
        "<v",
        "é",
    ];
    let mut out = String::new();
    if rng.below(2) == 0 {
        out.push_str(rng.pick(&["{", "\"", "[", " {", "\u{2003}\"", "\u{1c}{"]));
    }
    for _ in 0..=rng.below(12) {
        out.push_str(rng.pick(&TOKENS));
    }
    out
}

/// Runs the emulator's modules over `cases` (one JSON line each) and returns its answers.
fn oracle(cases: &[Value]) -> Vec<Value> {
    let emulator = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../bindings/python/python/genesys_resolver/aws_emulator");
    let mut child = Command::new(python())
        .arg("-c")
        .arg(ORACLE)
        .arg(&emulator)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run the venv's Python (see tests/common/moto.rs)");
    let mut input = String::new();
    for case in cases {
        input.push_str(&case.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("the oracle's answers");
    writer
        .join()
        .expect("writer thread")
        .expect("write the cases");
    assert!(out.status.success(), "the oracle failed");
    let answers: Vec<Value> = String::from_utf8(out.stdout)
        .expect("UTF-8 answers")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON answer"))
        .collect();
    assert_eq!(answers.len(), cases.len());
    answers
}

#[test]
fn patterns_match_as_the_emulator_matches_them() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let cases: Vec<Value> = (0..4000)
        .map(|_| json!({"pattern": pattern(&mut rng, 0), "event": event_value(&mut rng, 0)}))
        .collect();
    let answers = oracle(&cases);
    let (mut matched, mut refused) = (0, 0);
    for (case, answer) in cases.iter().zip(&answers) {
        let ours = matches(&case["pattern"], &case["event"]).ok();
        assert_eq!(ours, answer["matches"].as_bool(), "{case}");
        matched += usize::from(ours == Some(true));
        refused += usize::from(ours.is_none());
    }
    // The corpus exercises all three answers.
    assert!(
        matched > 50 && refused > 50,
        "matched {matched}, refused {refused}"
    );
}

#[test]
fn templates_render_to_the_emulators_bytes() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let values = [
        Value::Null,
        json!(true),
        json!(0),
        json!(-7),
        json!(1.5e-7),
        json!(1e16),
        json!(123.0),
        json!(""),
        json!("x\"y"),
        json!("é/\\\n\u{1}"),
        json!({"a": [1, {"b": null}]}),
        json!([]),
        json!([1, "2"]),
    ];
    let paths = json!({"v": "$.detail.v", "w": "$.detail.w", "missing": "$.detail.nope"});
    let cases: Vec<Value> = (0..4000)
        .map(|_| {
            let event = json!({"version": "0", "id": "i", "detail-type": "d", "source": "s",
                "account": "1", "time": "t", "region": "r", "resources": [],
                "detail": {"v": rng.pick(&values), "w": rng.pick(&values)}});
            json!({"template": template(&mut rng), "paths": paths, "event": event})
        })
        .collect();
    let answers = oracle(&cases);
    let rule = RuleContext {
        rule_name: "r",
        rule_arn: "arn:aws:events:eu-west-1:123456789012:rule/r",
        ingestion_time: "2026-01-01T10:00:00Z",
    };
    for (case, answer) in cases.iter().zip(&answers) {
        let transformer = InputTransformerSpec {
            paths: serde_json::from_value(case["paths"].clone()).expect("paths"),
            template: case["template"].as_str().expect("template").to_owned(),
        };
        let ours = render(&transformer, &case["event"], &rule).expect("a valid transformer");
        assert_eq!(Some(ours.as_str()), answer["body"].as_str(), "{case}");
    }
}
