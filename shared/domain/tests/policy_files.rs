//! The policy file parser against hostile files: random text, TOML of the right shape with
//! values of the wrong type or size (huge numbers, negatives, floats, dates, unicode, control
//! characters), the built-in procedure with one field spoiled, and deep nesting. It never
//! panics; a refusal names the field at fault; and a file it accepts is a procedure the rules
//! can use (every timescale within a year, so no deadline is computed centuries away).

use p3_domain::policy::{Anchor, Policy, PolicyError, Timescale};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Every name a policy file knows, and some it does not.
const NAMES: &[&str] = &[
    "id",
    "name",
    "stages",
    "acknowledgement",
    "response",
    "response_code",
    "working_days",
    "from",
    "max_extension_working_days",
    "next_stage_window_working_days",
    "stage_start",
    "colour",
];

fn toml_value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(toml::Value::Integer),
        prop::sample::select(vec![
            0i64,
            1,
            5,
            260,
            261,
            -1,
            u32::MAX as i64,
            u32::MAX as i64 + 1
        ])
        .prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        any::<bool>().prop_map(toml::Value::Boolean),
        any::<String>().prop_map(toml::Value::String),
        prop::sample::select(vec![
            "stage_start",
            "acknowledgement",
            "housing",
            "",
            "\u{0}\u{1b}[2J",
            "\u{202e}stage_start",
        ])
        .prop_map(|s| toml::Value::String(s.into())),
        Just(toml::Value::Datetime(
            "2026-12-29".parse().expect("a TOML date")
        )),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(toml::Value::Array),
            prop::collection::vec((prop::sample::select(NAMES), inner), 0..6).prop_map(|kv| {
                toml::Value::Table(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

/// The built-in housing procedure as TOML.
fn housing() -> toml::Value {
    toml::Value::try_from(Policy::housing()).expect("the built-in policy serialises")
}

/// Replaces the value at a random path of `doc` (descending into tables and arrays as far as
/// `steps` says) by `v`.
fn spoil(mut doc: toml::Value, steps: &[prop::sample::Index], v: toml::Value) -> toml::Value {
    let Some((step, rest)) = steps.split_first() else {
        return v;
    };
    match &mut doc {
        toml::Value::Table(t) if !t.is_empty() => {
            let key = t.keys().nth(step.index(t.len())).cloned().expect("a key");
            let inner = t.remove(&key).expect("the key's value");
            t.insert(key, spoil(inner, rest, v));
            doc
        }
        toml::Value::Array(a) if !a.is_empty() => {
            let i = step.index(a.len());
            let inner = std::mem::replace(&mut a[i], toml::Value::Boolean(false));
            a[i] = spoil(inner, rest, v);
            doc
        }
        _ => v,
    }
}

fn policy_text() -> impl Strategy<Value = String> {
    let spoiled = (
        prop::collection::vec(any::<prop::sample::Index>(), 1..5),
        toml_value(),
    )
        .prop_map(|(steps, v)| toml::to_string(&spoil(housing(), &steps, v)).unwrap_or_default());
    let shaped =
        prop::collection::vec((prop::sample::select(NAMES), toml_value()), 0..6).prop_map(|kv| {
            let t: toml::Table = kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            toml::to_string(&t).unwrap_or_default()
        });
    let deep = (1usize..5000, any::<bool>()).prop_map(|(depth, arrays)| {
        if arrays {
            format!("id = {}1{}", "[".repeat(depth), "]".repeat(depth))
        } else {
            format!("id = {}1{}", "{a = ".repeat(depth), "}".repeat(depth))
        }
    });
    // The same, with a number where a number belongs more often than not: files the parser
    // accepts, so the limits on what it accepts are tried too.
    let renumbered = (
        prop::collection::vec(any::<prop::sample::Index>(), 1..5),
        prop_oneof![0i64..400, 0i64..=u32::MAX as i64],
    )
        .prop_map(|(steps, n)| {
            toml::to_string(&spoil(housing(), &steps, toml::Value::Integer(n))).unwrap_or_default()
        });
    prop_oneof![
        4 => spoiled,
        3 => renumbered,
        2 => shaped,
        1 => deep,
        1 => any::<String>(),
        1 => "[\\[\\]{}=\", .a-z0-9_\n]{0,200}",
    ]
}

fn names_a_field(e: &PolicyError) -> bool {
    !e.message.is_empty()
        && (e.field == "(file)"
            || NAMES.iter().any(|n| {
                e.field == *n
                    || e.field.starts_with(&format!("{n}["))
                    || e.field.starts_with(&format!("{n}."))
            }))
}

#[test]
fn no_policy_file_makes_the_parser_panic_and_every_refusal_names_a_field() {
    let mut runner = TestRunner::new(Config {
        cases: 4096,
        failure_persistence: None,
        ..Config::default()
    });
    let accepted = std::cell::Cell::new(0usize);
    let refused = std::cell::Cell::new(0usize);
    runner
        .run(&policy_text(), |text| {
            match Policy::from_toml(&text) {
                Ok(p) => {
                    accepted.set(accepted.get() + 1);
                    prop_assert!(p.validate().is_ok());
                    for s in &p.stages {
                        let days = [
                            Some(s.acknowledgement.working_days),
                            Some(s.response.working_days),
                            s.response_code.map(|c| c.working_days),
                            Some(s.max_extension_working_days),
                            s.next_stage_window_working_days,
                        ];
                        prop_assert!(
                            days.into_iter().flatten().all(|d| d <= 260),
                            "accepted a timescale over a year: {p:?}"
                        );
                    }
                }
                Err(e) => {
                    refused.set(refused.get() + 1);
                    prop_assert!(names_a_field(&e), "{e:?} for:\n{text}");
                }
            }
            Ok(())
        })
        .unwrap();
    println!(
        "policy files: {} generated, {} accepted, {} refused naming the field, no panic",
        accepted.get() + refused.get(),
        accepted.get(),
        refused.get()
    );
}

#[test]
fn a_timescale_of_more_than_a_year_is_refused_wherever_it_is() {
    let mut p = Policy::housing();
    p.stages[0].response_code = Some(Timescale {
        working_days: 4_000_000_000,
        from: Anchor::Acknowledgement,
    });
    let e = Policy::from_toml(&toml::to_string(&p).expect("TOML")).expect_err("refused");
    assert_eq!(e.field, "stages[0].response_code.working_days");

    let mut p = Policy::housing();
    p.stages[0].next_stage_window_working_days = Some(100_000);
    let e = Policy::from_toml(&toml::to_string(&p).expect("TOML")).expect_err("refused");
    assert_eq!(e.field, "stages[0].next_stage_window_working_days");
}

/// Found by the property test above: a key with an empty name (`""=""`) is unknown, and the
/// refusal still names where it is (the file), never an empty field.
#[test]
fn an_empty_key_is_refused_naming_the_file() {
    let e = p3_domain::policy::Policy::from_toml("\"\"=\"\"").unwrap_err();
    assert_eq!(e.field, "(file)", "{e:?}");
}
