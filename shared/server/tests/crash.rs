//! Nothing acknowledged is lost when `p3 serve` dies without warning.
//!
//! Many clients send complaints at once, each with its own `Idempotency-Key`, half through the
//! public form's JSON and half through the staff API. The real binary is killed with SIGKILL at
//! several moments (after about `kill_points` acknowledged complaints, then once more during a
//! burst of staff acknowledgements), restarted on the same data dir each time, and the clients
//! send again, with the same key, every request that got no answer. Then, reading the SQLite
//! file itself:
//! - every complaint that got a 201 is there, with every field it was sent with, under the
//!   reference it was given, and its access code still opens it;
//! - every request exists exactly once (a retried key never makes a second case, and a retry
//!   of an answered request answers with the same reference);
//! - every case has its alert timers, the same plan as every other case in the same state;
//! - every staff action that got a 200 is applied exactly once, and its timers moved with it.
//!
//! The bounded run below is part of the test command; `scripts/reliability` runs the long one
//! by setting `P3_CRASH_REQUESTS`, `P3_CRASH_KILL_POINTS` (acknowledged complaints, e.g.
//! `50,500,2000`), `P3_CRASH_CLIENTS`, `P3_CRASH_STAFF_ACTIONS` and
//! `P3_CRASH_STAFF_KILL_POINTS`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use support::*;

/// How hard to push: read from the environment so the reliability run can push harder.
struct Plan {
    requests: usize,
    clients: usize,
    kill_points: Vec<usize>,
    staff_actions: usize,
    staff_kill_points: Vec<usize>,
}

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|p| {
            p.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{name} is a list of numbers"))
        })
        .collect()
}

/// Kill points rise and stay below the number of requests, so each round has work after it.
fn check_points(points: &[usize], total: usize) {
    assert!(
        points.windows(2).all(|w| w[0] < w[1]) && points.last().is_none_or(|&k| k < total),
        "kill points {points:?} must rise and stay below {total}"
    );
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} must be a number"))
        })
        .unwrap_or(default)
}

impl Plan {
    fn from_env() -> Plan {
        let plan = Plan {
            requests: env_usize("P3_CRASH_REQUESTS", 2500),
            clients: env_usize("P3_CRASH_CLIENTS", 16),
            kill_points: env_list("P3_CRASH_KILL_POINTS", "50,500,2000"),
            staff_actions: env_usize("P3_CRASH_STAFF_ACTIONS", 400),
            staff_kill_points: env_list("P3_CRASH_STAFF_KILL_POINTS", "150"),
        };
        check_points(&plan.kill_points, plan.requests);
        check_points(&plan.staff_kill_points, plan.staff_actions);
        assert!(plan.staff_actions <= plan.requests);
        plan
    }
}

/// The complaint of request `i`: every field distinct, so a stored case names its request.
fn complaint(i: usize) -> Value {
    let mut body = json!({
        "name": format!("Resident Number{i}"),
        "email": format!("resident{i}@example.org"),
        "phone": format!("07700 9{i:05}"),
        "address": format!("{i} Crash Street, Liverpool"),
        "postcode": "L33 7WQ",
        "description": format!("Complaint #{i}#: the boiler failed again."),
        "desired_outcome": format!("Outcome #{i}#"),
        "category": "repairs",
    });
    if !i.is_multiple_of(2) {
        body["channel"] = json!("phone");
    }
    body
}

/// The request index a stored description belongs to.
fn index_of(description: &str) -> Option<usize> {
    description.split('#').nth(1)?.parse().ok()
}

/// What one request came to.
#[derive(Debug, Clone)]
enum Outcome {
    /// Answered 201 with this reference and access code.
    Created(String, String),
    /// Answered 200 (a staff action).
    Done,
}

/// One request over HTTP: `None` when the connection failed (the server died), else the status
/// and body. Any other answer than the expected one fails the test.
async fn send(
    c: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    key: &str,
    body: &Value,
) -> Option<(u16, Value)> {
    let mut r = c
        .post(url)
        .header("idempotency-key", key)
        .json(body)
        .timeout(Duration::from_secs(30));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let res = r.send().await.ok()?;
    let status = res.status().as_u16();
    let text = res.text().await.ok()?;
    Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// A complaint request: even ones from residents, odd ones from staff.
async fn intake(c: &reqwest::Client, base: &str, officer: &str, i: usize) -> Option<Outcome> {
    let (url, token) = if i.is_multiple_of(2) {
        (format!("{base}/complaints"), None)
    } else {
        (format!("{base}/staff/complaints"), Some(officer))
    };
    let (status, v) = send(c, &url, token, &format!("crash-{i}"), &complaint(i)).await?;
    assert_eq!(status, 201, "request {i}: {v}");
    let reference = v["reference"].as_str().expect("a reference").to_string();
    let code = v["access_code"]
        .as_str()
        .expect("an access code")
        .to_string();
    Some(Outcome::Created(reference, code))
}

/// A Stage 1 acknowledgement of the case request `i` made.
async fn acknowledge(
    c: &reqwest::Client,
    base: &str,
    officer: &str,
    i: usize,
    reference: &str,
) -> Option<Outcome> {
    let url = format!("{base}/staff/complaints/{reference}/acknowledgement");
    let body = json!({"investigating_manager": "ian@p3.example", "complaint_points": [format!("Point of {i}")]});
    let (status, v) = send(c, &url, Some(officer), &format!("ack-{i}"), &body).await?;
    assert_eq!(status, 200, "acknowledging {reference}: {v}");
    assert_eq!(v["status"], "acknowledged", "{v}");
    Some(Outcome::Done)
}

/// Shared bookkeeping of one kind of request across the rounds.
#[derive(Default)]
struct Ledger {
    /// Answers, by request index.
    answered: BTreeMap<usize, Outcome>,
    /// Sent without an answer: to send again with the same key after the restart.
    unanswered: BTreeSet<usize>,
    /// Answered requests sent again with their key.
    resent: usize,
    /// Requests left unanswered by a kill and retried after it, with the moment of the kill.
    lost: BTreeMap<usize, DateTime<Utc>>,
}

impl Ledger {
    /// The server is dead: every request without an answer is retried after this moment.
    fn killed(&mut self) {
        let now = Utc::now();
        for i in &self.unanswered {
            self.lost.insert(*i, now);
        }
    }
}

/// Runs `work` over `todo` with `clients` concurrent clients until it is done or the server
/// dies (SIGKILL once `kill_at` answers are in); every request sent without an answer is
/// noted for a retry. Returns the indexes never sent.
async fn round<F, Fut>(
    s: &Server,
    ledger: &Arc<Mutex<Ledger>>,
    todo: Vec<usize>,
    clients: usize,
    kill_at: Option<usize>,
    work: F,
) -> Vec<usize>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Option<Outcome>> + Send,
{
    let todo = Arc::new(todo);
    let next = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pid = s.child.id();
    let work = Arc::new(work);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (todo, next, answers, killed, ledger, work) = (
            todo.clone(),
            next.clone(),
            answers.clone(),
            killed.clone(),
            ledger.clone(),
            work.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                if killed.load(Ordering::SeqCst) {
                    return;
                }
                let n = next.fetch_add(1, Ordering::SeqCst);
                let Some(&i) = todo.get(n) else { return };
                match work(i).await {
                    Some(outcome) => {
                        let mut l = ledger.lock().unwrap();
                        l.unanswered.remove(&i);
                        l.answered.insert(i, outcome);
                        drop(l);
                        let done = answers.fetch_add(1, Ordering::SeqCst) + 1;
                        if kill_at == Some(done) {
                            // SIGKILL: no shutdown hook, no flush; whatever was answered must
                            // already be on disk.
                            killed.store(true, Ordering::SeqCst);
                            let status = std::process::Command::new("kill")
                                .args(["-KILL", &pid.to_string()])
                                .status()
                                .expect("kill runs");
                            assert!(status.success());
                        }
                    }
                    None => {
                        ledger.lock().unwrap().unanswered.insert(i);
                        assert!(
                            killed.load(Ordering::SeqCst),
                            "request {i} got no answer though the server was not killed"
                        );
                        return;
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("a client panicked");
    }
    let sent = next.load(Ordering::SeqCst).min(todo.len());
    todo[sent..].to_vec()
}

/// The stored cases, read from the SQLite file itself (read-only, beside the running server).
struct Stored {
    /// Request index to (reference, snapshot).
    cases: BTreeMap<usize, Vec<(String, Value)>>,
    /// Reference to its events' types and recording instants, in order.
    events: BTreeMap<String, Vec<(String, DateTime<Utc>)>>,
    /// Reference to its timers' alert ids without the reference.
    timers: BTreeMap<String, BTreeSet<String>>,
    total_cases: usize,
}

/// Every row of a query whose columns are all text.
fn text_rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<String>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let columns = stmt.column_count();
    stmt.query_map([], |r| {
        (0..columns).map(|i| r.get::<_, String>(i)).collect()
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn read_store(data_dir: &Path) -> Stored {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("p3.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("the store opens read-only");
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let mut cases: BTreeMap<usize, Vec<(String, Value)>> = BTreeMap::new();
    let mut total_cases = 0;
    for row in text_rows(&conn, "SELECT reference, snapshot FROM cases") {
        let [reference, snapshot] = <[String; 2]>::try_from(row).unwrap();
        let snapshot: Value = serde_json::from_str(&snapshot).expect("a readable snapshot");
        let i = index_of(snapshot["complaint"]["description"].as_str().unwrap_or(""))
            .unwrap_or_else(|| panic!("{reference} belongs to no request: {snapshot}"));
        cases.entry(i).or_default().push((reference, snapshot));
        total_cases += 1;
    }
    let mut events: BTreeMap<String, Vec<(String, DateTime<Utc>)>> = BTreeMap::new();
    let sql = "SELECT reference, type, recorded_at FROM events ORDER BY reference, sequence";
    for row in text_rows(&conn, sql) {
        let [reference, kind, at] = <[String; 3]>::try_from(row).unwrap();
        let at = DateTime::parse_from_rfc3339(&at)
            .unwrap()
            .with_timezone(&Utc);
        events.entry(reference).or_default().push((kind, at));
    }
    let mut timers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in text_rows(&conn, "SELECT reference, alert_id FROM timers") {
        let [reference, id] = <[String; 2]>::try_from(row).unwrap();
        let plan = id
            .strip_prefix(&format!("{reference}."))
            .unwrap_or_else(|| panic!("timer {id} is not of {reference}"))
            .to_string();
        timers.entry(reference).or_default().insert(plan);
    }
    Stored {
        cases,
        events,
        timers,
        total_cases,
    }
}

/// Every string anywhere in a JSON value.
fn strings(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("p3.toml");
    // The load comes from one address: the public form's per-client limit would stop it.
    std::fs::write(&path, "[public_form]\nrate_limit_per_hour = 0\n").unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_several_moments_loses_nothing_acknowledged_and_duplicates_nothing() {
    let plan = Plan::from_env();
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let config = config(tmp.path());
    let officer = token(&data, "Olive Officer", "olive@p3.example", "officer");
    let c = reqwest::Client::builder()
        .pool_max_idle_per_host(plan.clients)
        .build()
        .unwrap();

    let intake_ledger = Arc::new(Mutex::new(Ledger::default()));
    let staff_ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut fresh: Vec<usize> = (0..plan.requests).collect();
    let mut kills = 0;
    let mut restarts = Vec::new();

    // Intake rounds: each ends with a SIGKILL once the total acknowledged reaches a kill point,
    // except the last, which finishes the load.
    let mut kill_points = plan
        .kill_points
        .iter()
        .copied()
        .map(Some)
        .collect::<Vec<_>>();
    kill_points.push(None);
    for kill_point in kill_points {
        let t = Instant::now();
        let s = Server::start_with(&data, Some(&config));
        restarts.push(t.elapsed());
        let base = s.base.clone();
        // First the requests the last crash left unanswered, with the same keys; then the
        // last few answered ones again, which must answer with the same reference.
        #[allow(clippy::type_complexity)]
        let (mut todo, again): (Vec<usize>, Vec<(usize, String)>) = {
            let mut l = intake_ledger.lock().unwrap();
            let retry: Vec<usize> = l.unanswered.iter().copied().collect();
            let again: Vec<(usize, String)> = l
                .answered
                .iter()
                .rev()
                .take(10)
                .map(|(i, o)| match o {
                    Outcome::Created(r, _) => (*i, r.clone()),
                    Outcome::Done => unreachable!(),
                })
                .collect();
            l.resent += again.len();
            (retry, again)
        };
        for (i, reference) in again {
            match intake(&c, &base, &officer, i).await {
                Some(Outcome::Created(r, _)) => {
                    assert_eq!(r, reference, "a retry of request {i} answered another case")
                }
                other => panic!("a retry of request {i} got {other:?}"),
            }
        }
        todo.append(&mut fresh);
        let already = intake_ledger.lock().unwrap().answered.len();
        let kill_at = kill_point.map(|k| k.saturating_sub(already).max(1));
        let (c2, b2, o2) = (c.clone(), base.clone(), officer.clone());
        fresh = round(&s, &intake_ledger, todo, plan.clients, kill_at, move |i| {
            let (c, b, o) = (c2.clone(), b2.clone(), o2.clone());
            async move { intake(&c, &b, &o, i).await }
        })
        .await;
        if kill_point.is_some() {
            kills += 1;
            s.kill9();
            intake_ledger.lock().unwrap().killed();
        } else {
            s.stop();
        }
    }
    {
        let l = intake_ledger.lock().unwrap();
        assert!(fresh.is_empty() && l.unanswered.is_empty());
        assert_eq!(l.answered.len(), plan.requests);
    }

    // A burst of staff acknowledgements, killed part way, then finished with the same keys.
    let references: BTreeMap<usize, String> = intake_ledger
        .lock()
        .unwrap()
        .answered
        .iter()
        .map(|(i, o)| match o {
            Outcome::Created(r, _) => (*i, r.clone()),
            Outcome::Done => unreachable!(),
        })
        .collect();
    let references = Arc::new(references);
    let mut todo: Vec<usize> = (0..plan.staff_actions).collect();
    let mut staff_points = plan
        .staff_kill_points
        .iter()
        .copied()
        .map(Some)
        .collect::<Vec<_>>();
    staff_points.push(None);
    for kill_point in staff_points {
        let s = Server::start_with(&data, Some(&config));
        let mut work: Vec<usize> = {
            let l = staff_ledger.lock().unwrap();
            l.unanswered.iter().copied().collect()
        };
        work.append(&mut todo);
        let already = staff_ledger.lock().unwrap().answered.len();
        let kill_at = kill_point.map(|k| k.saturating_sub(already).max(1));
        let (c2, b2, o2, r2) = (
            c.clone(),
            s.base.clone(),
            officer.clone(),
            references.clone(),
        );
        todo = round(&s, &staff_ledger, work, plan.clients, kill_at, move |i| {
            let (c, b, o, r) = (c2.clone(), b2.clone(), o2.clone(), r2.clone());
            async move { acknowledge(&c, &b, &o, i, &r[&i]).await }
        })
        .await;
        if kill_at.is_some() {
            kills += 1;
            s.kill9();
            staff_ledger.lock().unwrap().killed();
        } else {
            s.stop();
        }
    }
    assert_eq!(
        staff_ledger.lock().unwrap().answered.len(),
        plan.staff_actions
    );

    // The check, on a server started once more, where the access codes given still open cases.
    let s = Server::start_with(&data, Some(&config));
    let answers = intake_ledger.lock().unwrap().answered.clone();
    let acknowledged: BTreeSet<usize> = staff_ledger
        .lock()
        .unwrap()
        .answered
        .keys()
        .copied()
        .collect();
    // Each acknowledgement's letter goes to the resident by email, whichever server ends up
    // sending it: wait for the last of them.
    let letter_file = |i: &usize| {
        let Outcome::Created(reference, _) = &answers[i] else {
            unreachable!()
        };
        format!("{reference}.letter1.copy1.eml")
    };
    eventually("every acknowledgement letter emailed", 60, || {
        let sent: BTreeSet<String> = outbox(&data).into_iter().map(|(n, _)| n).collect();
        acknowledged.iter().all(|i| sent.contains(&letter_file(i)))
    })
    .await;
    let stored = read_store(&data);
    let mails: BTreeMap<String, String> = outbox(&data).into_iter().collect();
    // Exactly once: one case per request, never a second for a retried key.
    let duplicates: usize = stored
        .cases
        .values()
        .map(|found| found.len().saturating_sub(1))
        .sum();
    let missing: Vec<&usize> = answers
        .keys()
        .filter(|i| !stored.cases.contains_key(i))
        .collect();
    assert_eq!(duplicates, 0, "a retried request made a second case");
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    assert_eq!(
        stored.total_cases, plan.requests,
        "no case without a request"
    );

    let mut plans: BTreeMap<(String, bool), BTreeSet<String>> = BTreeMap::new();
    for (i, outcome) in &answers {
        let Outcome::Created(reference, code) = outcome else {
            unreachable!()
        };
        let (stored_reference, snapshot) = &stored.cases[i][0];
        assert_eq!(stored_reference, reference, "request {i}");
        let mut held = BTreeSet::new();
        strings(snapshot, &mut held);
        for (field, sent) in complaint(*i).as_object().unwrap() {
            let sent = sent.as_str().unwrap();
            assert!(
                held.contains(sent),
                "{reference} lost its {field} (request {i})"
            );
        }

        let acked = acknowledged.contains(i);
        let events: Vec<&str> = stored.events[reference]
            .iter()
            .map(|(kind, _)| kind.as_str())
            .collect();
        let expected: &[&str] = if acked {
            &["received", "acknowledged", "letter_issued"]
        } else {
            &["received"]
        };
        assert_eq!(events, expected, "{reference}'s history");
        // One letter, and only for an acknowledged case, to the resident's own address.
        let letters: Vec<&String> = mails
            .keys()
            .filter(|n| n.starts_with(&format!("{reference}.letter")))
            .collect();
        if acked {
            assert_eq!(letters, [&letter_file(i)], "{reference}'s letters");
            assert!(
                mails[&letter_file(i)].contains(&format!("resident{i}@example.org")),
                "{reference}'s letter goes to its resident"
            );
        } else {
            assert!(letters.is_empty(), "{reference} has letters: {letters:?}");
        }

        // The deadline alerts' timers (a letter's timer goes once its email has gone).
        let timers: BTreeSet<String> = stored
            .timers
            .get(reference)
            .unwrap_or_else(|| panic!("{reference} has no alert timers"))
            .iter()
            .filter(|t| !t.starts_with("letter"))
            .cloned()
            .collect();
        let timers = &timers;
        assert!(timers.iter().any(|t| t.starts_with("stage1_response.")));
        assert_eq!(
            timers
                .iter()
                .any(|t| t.starts_with("stage1_acknowledgement.")),
            !acked,
            "{reference}: acknowledgement alerts while {}",
            if acked { "acknowledged" } else { "not" }
        );
        // Alert moments follow the London date of receipt.
        let received_at = DateTime::parse_from_rfc3339(snapshot["received_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc);
        let received_on = p3_domain::london::london_date(received_at).to_string();
        let same = plans
            .entry((received_on, acked))
            .or_insert_with(|| timers.clone());
        assert_eq!(same, timers, "{reference}: a plan unlike its peers'");

        if i.is_multiple_of(25) {
            let (status, view) = get_json(
                &c,
                &s.url(&format!("/complaints/{reference}?code={code}")),
                None,
            )
            .await;
            assert_eq!(status, 200, "{reference}'s access code: {view}");
        }
    }

    // Of the requests a kill left unanswered, how many had in fact been committed (their
    // retry was answered from the idempotency record) and how many were applied by the retry.
    let intake = intake_ledger.lock().unwrap();
    let staff = staff_ledger.lock().unwrap();
    let committed_before = |i: &usize, kind: &str, killed: &DateTime<Utc>| {
        let Outcome::Created(reference, _) = &answers[i] else {
            unreachable!()
        };
        stored.events[reference]
            .iter()
            .any(|(k, at)| k == kind && at < killed)
    };
    let intake_replayed = intake
        .lost
        .iter()
        .filter(|(i, t)| committed_before(i, "received", t))
        .count();
    let staff_replayed = staff
        .lost
        .iter()
        .filter(|(i, t)| committed_before(i, "acknowledged", t))
        .count();
    println!(
        "crash: {kills} SIGKILLs survived ({} during intake, at {:?} complaints acknowledged; {} \
         during a burst of staff acknowledgements, at {:?}); {} complaints acknowledged by {} \
         clients, all present, complete and with their timers; {} staff actions acknowledged, \
         each applied once; {} requests left unanswered by a kill and retried with the same key \
         ({} of them committed before the kill and answered from the idempotency record), {} \
         answered requests sent again (same reference each time); duplicates {duplicates}; \
         restarts took {:?}; {:.1} s in all",
        plan.kill_points.len(),
        plan.kill_points,
        plan.staff_kill_points.len(),
        plan.staff_kill_points,
        intake.answered.len(),
        plan.clients,
        staff.answered.len(),
        intake.lost.len() + staff.lost.len(),
        intake_replayed + staff_replayed,
        intake.resent + staff.resent,
        restarts,
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_while_alerts_go_out_loses_no_alert_and_sends_none_twice() {
    let cases = env_usize("P3_CRASH_ALERT_CASES", 150);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let s = Server::start(&data);
    let officer = s.token("Olive Officer", "olive@p3.example", "officer");
    let c = client();

    // Complaints logged weeks late: each has two breach alerts due at once, which the timer
    // loop starts sending while the rest are still being logged.
    let received_at = (Utc::now() - chrono::Duration::days(40)).to_rfc3339();
    let mut tasks = Vec::new();
    for i in 0..cases {
        let (c, url, officer) = (c.clone(), s.url("/staff/complaints"), officer.clone());
        let mut body = complaint(i);
        body["received_at"] = json!(received_at);
        body["channel"] = json!("letter");
        tasks.push(tokio::spawn(async move {
            let (status, v) = send(&c, &url, Some(&officer), &format!("late-{i}"), &body)
                .await
                .expect("the server is up");
            assert_eq!(status, 201, "{v}");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let expected = 2 * cases;

    // SIGKILL part way through the sending.
    let outbox = |dir: &Path| {
        std::fs::read_dir(dir.join("outbox"))
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .count()
            })
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while outbox(&data) < expected / 4 {
        assert!(
            Instant::now() < deadline,
            "the alerts did not start going out"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    s.kill9();
    let at_kill = outbox(&data);

    // Restarted: every alert goes out, each once, and each is recorded as sent.
    let s = Server::start(&data);
    eventually("every alert sent", 60, || outbox(&data) >= expected).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let conn = rusqlite::Connection::open_with_flags(
        data.join("p3.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let sent: BTreeSet<String> = text_rows(&conn, "SELECT alert_id FROM sent_alerts")
        .into_iter()
        .map(|mut r| r.remove(0))
        .collect();
    let files: BTreeSet<String> = s
        .outbox()
        .into_iter()
        .map(|(name, _)| name.trim_end_matches(".eml").to_string())
        .collect();
    assert_eq!(files.len(), expected, "one email per alert");
    assert_eq!(sent, files, "every email recorded as sent, and only those");
    assert!(files.iter().all(|f| f.ends_with(".breach")));
    let waiting = text_rows(&conn, "SELECT alert_id FROM timers");
    assert!(waiting.is_empty(), "alerts still waiting: {waiting:?}");
    println!(
        "crash: SIGKILL while alerts went out ({at_kill} of {expected} sent at the kill); after \
         the restart all {expected} sent, each once, each recorded"
    );
}
