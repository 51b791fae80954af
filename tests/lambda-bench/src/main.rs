//! `lambda-bench`: cold-start and cost figures of the Lambda functions, on this machine.
//!
//! For each function (the eleven in `functions/*` and two baselines, `bench-hello` and
//! `bench-sdk-floor`), built for this machine's architecture, it starts a local stand-in for the
//! Lambda Runtime API (`GET /2018-06-01/runtime/invocation/next`, `POST …/{id}/response` and
//! `…/{id}/error`), launches the bootstrap against it and the moto emulator, and measures:
//! init = spawn → first `GET …/next`; first answer = spawn → first response POST, with a real
//! event from `events/`; warm = event delivered → answer, for a second event in the same
//! process; init CPU = the process's CPU time (all threads) at that first poll, which leaves out
//! the time spent waiting on moto and on the machine. Each function is started `--reps` times
//! (default 5), in rounds of every function once, and medians are printed; init ÷ SDK floor is
//! the median, over the rounds, of a function's init over the floor's in the same round.
//!
//! Every AWS request the functions make goes through a counting proxy in front of moto, which
//! counts requests by service and operation and computes DynamoDB capacity units from the item
//! sizes it sees (moto reports little consumed capacity). One whole complaint lifecycle is then
//! driven through the bootstraps (intake with a 3,000-character description, both stages, a
//! batch of fired alerts, the monthly job) and priced with the list prices of issue 4.
//!
//! Usage (moto running, x86_64 bins in target/release, arm64 packages in target/lambda):
//! `target/release/lambda-bench --moto http://127.0.0.1:5140`

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SAMPLE_REFERENCE: &str = "CMP-2026-00042";
const SAMPLE_CODE: &str = "K7QM-3XTP-9BWD-4HRF";
const MAIL_DOMAIN: &str = "p3housing.example";

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 framing (just enough for the SDK, lambda_runtime and moto).

struct Message {
    /// The start line and headers, as received (ends with the blank line).
    head: Vec<u8>,
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The peer closes after this message.
    close: bool,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one message; `None` at a clean end of stream.
async fn read_message<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
    is_response: bool,
) -> Result<Option<Message>, BoxError> {
    let mut head = Vec::new();
    let mut start = String::new();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        let n = r.read_line(&mut line).await?;
        if n == 0 {
            if head.is_empty() {
                return Ok(None);
            }
            return Err("connection closed inside a message head".into());
        }
        head.extend_from_slice(line.as_bytes());
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            if start.is_empty() {
                continue;
            }
            break;
        }
        if start.is_empty() {
            start = trimmed.to_string();
        } else if let Some((k, v)) = trimmed.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let http10 = start.contains("HTTP/1.0");
    let mut close = get("connection").is_some_and(|v| v.contains("close"))
        || (http10 && !get("connection").is_some_and(|v| v.contains("keep-alive")));
    let mut body = Vec::new();
    let no_body_status = is_response
        && start
            .split_whitespace()
            .nth(1)
            .is_some_and(|c| c.starts_with('1') || c == "204" || c == "304");
    let chunked =
        !no_body_status && get("transfer-encoding").is_some_and(|v| v.contains("chunked"));
    if chunked {
        // Keep the raw chunked bytes in `body` for forwarding: re-encode as one chunk stream.
        let mut raw = Vec::new();
        loop {
            let mut size_line = String::new();
            r.read_line(&mut size_line).await?;
            raw.extend_from_slice(size_line.as_bytes());
            let size = usize::from_str_radix(
                size_line.trim().split(';').next().unwrap_or("0").trim(),
                16,
            )?;
            if size == 0 {
                // Trailers until a blank line.
                loop {
                    let mut t = String::new();
                    r.read_line(&mut t).await?;
                    raw.extend_from_slice(t.as_bytes());
                    if t.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0u8; size + 2];
            r.read_exact(&mut chunk).await?;
            raw.extend_from_slice(&chunk);
            body.extend_from_slice(&chunk[..size]);
        }
        head.extend_from_slice(&raw);
        return Ok(Some(Message {
            head,
            start,
            headers,
            body,
            close,
        }));
    } else if no_body_status {
        // A status that carries no body.
    } else if let Some(len) = get("content-length") {
        let len: usize = len.trim().parse()?;
        body = vec![0u8; len];
        r.read_exact(&mut body).await?;
    } else if is_response {
        r.read_to_end(&mut body).await?;
        close = true;
    }
    // The raw bytes to forward: the head, then the body.
    head.extend_from_slice(&body);
    Ok(Some(Message {
        head,
        start,
        headers,
        body,
        close,
    }))
}

async fn write_response(
    w: &mut (impl AsyncWriteExt + Unpin),
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut out = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    w.write_all(out.as_bytes()).await?;
    w.write_all(body).await?;
    w.flush().await
}

// ---------------------------------------------------------------------------------------------
// The counting proxy in front of moto.

/// What the functions asked of AWS.
#[derive(Debug, Clone, Default)]
struct Counts {
    /// Requests by `service operation`.
    requests: BTreeMap<String, f64>,
    /// DynamoDB write request units, from item sizes (1 per KB; 2x in transactions), including
    /// the writes each global secondary index takes.
    wcu: f64,
    /// DynamoDB read request units, from item sizes (1 per 4 KB strongly consistent, half
    /// eventually consistent; 2x in transactions).
    rcu: f64,
    /// Capacity moto reported (`ConsumedCapacity`), for comparison.
    reported: f64,
}

impl Counts {
    fn minus(&self, before: &Counts) -> Counts {
        let mut requests = BTreeMap::new();
        for (k, v) in &self.requests {
            let d = v - before.requests.get(k).copied().unwrap_or(0.0);
            if d != 0.0 {
                requests.insert(k.clone(), d);
            }
        }
        Counts {
            requests,
            wcu: self.wcu - before.wcu,
            rcu: self.rcu - before.rcu,
            reported: self.reported - before.reported,
        }
    }

    fn add(&mut self, other: &Counts, times: f64) {
        for (k, v) in &other.requests {
            *self.requests.entry(k.clone()).or_default() += v * times;
        }
        self.wcu += other.wcu * times;
        self.rcu += other.rcu * times;
        self.reported += other.reported * times;
    }

    fn service_total(&self, service: &str) -> f64 {
        self.requests
            .iter()
            .filter(|(k, _)| k.split(' ').next() == Some(service))
            .map(|(_, v)| v)
            .sum::<f64>()
            + 0.0
    }
}

#[derive(Default)]
struct ProxyState {
    counts: Counts,
    /// The table as the proxy has seen it written.
    table: TableModel,
}

type Proxy = Arc<Mutex<ProxyState>>;

fn snapshot(proxy: &Proxy) -> Counts {
    proxy.lock().unwrap().counts.clone()
}

async fn start_proxy(upstream: String) -> Result<(String, Proxy), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state: Proxy = Arc::default();
    let definition =
        p3_aws::dynamo::TableDefinition::from_template_file(&repo().join("infra/template.yaml"))?;
    state.lock().unwrap().table.indexes = definition.global_secondary_indexes;
    let st = state.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let st = st.clone();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Err(e) = proxy_connection(client, &upstream, st).await {
                    eprintln!("proxy: {e}");
                }
            });
        }
    });
    Ok((format!("http://{addr}"), state))
}

async fn proxy_connection(client: TcpStream, upstream: &str, state: Proxy) -> Result<(), BoxError> {
    let (cr, mut cw) = client.into_split();
    let mut cr = BufReader::new(cr);
    let server = TcpStream::connect(upstream).await?;
    let (sr, mut sw) = server.into_split();
    let mut sr = BufReader::new(sr);
    while let Some(req) = read_message(&mut cr, false).await? {
        sw.write_all(&req.head).await?;
        sw.flush().await?;
        let head_request = req.start.starts_with("HEAD ");
        let resp = if head_request {
            // No body follows a response to HEAD: read the head only.
            read_head_only(&mut sr).await?
        } else {
            read_message(&mut sr, true)
                .await?
                .ok_or("moto closed the connection")?
        };
        count(&state, &req, &resp);
        cw.write_all(&resp.head).await?;
        cw.flush().await?;
        if req.close || resp.close {
            break;
        }
    }
    Ok(())
}

async fn read_head_only<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
) -> Result<Message, BoxError> {
    let mut head = Vec::new();
    let mut start = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Err("closed".into());
        }
        head.extend_from_slice(line.as_bytes());
        if line.trim().is_empty() {
            break;
        }
        if start.is_empty() {
            start = line.trim().to_string();
        }
    }
    Ok(Message {
        head,
        start,
        headers: vec![],
        body: vec![],
        close: false,
    })
}

/// The service from the SigV4 credential scope, the operation from `X-Amz-Target` or the path.
fn operation(req: &Message) -> (String, String) {
    let service = req
        .header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string();
    let op = match req.header("x-amz-target") {
        Some(t) => t.rsplit('.').next().unwrap_or(t).to_string(),
        None => {
            let mut parts = req.start.split_whitespace();
            let method = parts.next().unwrap_or("");
            let path = parts.next().unwrap_or("").split('?').next().unwrap_or("");
            let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            // Keep the resource kind, not its name: `/schedules/{name}` → `schedules`.
            let kind = match service.as_str() {
                "ses" => segments.get(1).copied().unwrap_or(""),
                _ => segments.first().copied().unwrap_or(""),
            };
            format!("{method} /{kind}")
        }
    };
    (service, op)
}

fn count(state: &Proxy, req: &Message, resp: &Message) {
    let (service, op) = operation(req);
    let mut st = state.lock().unwrap();
    *st.counts
        .requests
        .entry(format!("{service} {op}"))
        .or_default() += 1.0;
    if service == "dynamodb" {
        let rq: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let rs: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        let (w, r) = capacity(&mut st.table, &op, &rq, &rs);
        st.counts.wcu += w;
        st.counts.rcu += r;
        let reported = |c: &Value| c["CapacityUnits"].as_f64().unwrap_or(0.0);
        st.counts.reported += match &rs["ConsumedCapacity"] {
            Value::Array(a) => a.iter().map(reported).sum(),
            c @ Value::Object(_) => reported(c),
            _ => 0.0,
        };
    }
}

/// The size DynamoDB bills for an attribute value (name excluded).
fn value_size(v: &Value) -> usize {
    let Some((t, x)) = v.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    match t.as_str() {
        "S" => x.as_str().map_or(0, str::len),
        "N" => x.as_str().map_or(0, |n| {
            let digits = n.chars().filter(char::is_ascii_digit).count();
            digits.div_ceil(2) + 1
        }),
        "B" => x.as_str().map_or(0, |b| b.len() * 3 / 4),
        "BOOL" | "NULL" => 1,
        "SS" | "BS" => x.as_array().map_or(0, |a| {
            a.iter().map(|s| s.as_str().map_or(0, str::len)).sum()
        }),
        "NS" => x.as_array().map_or(0, |a| {
            a.iter()
                .map(|s| s.as_str().map_or(0, str::len) / 2 + 1)
                .sum()
        }),
        "M" => 3 + x.as_object().map_or(0, item_size),
        "L" => {
            3 + x
                .as_array()
                .map_or(0, |a| a.iter().map(|v| 1 + value_size(v)).sum())
        }
        _ => 0,
    }
}

fn item_size(item: &serde_json::Map<String, Value>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn key_of(table: &str, item: &Value) -> String {
    let s = |k: &str| item[k]["S"].as_str().unwrap_or("").to_string();
    format!("{table}|{}|{}", s("PK"), s("SK"))
}

fn write_units(size: usize) -> f64 {
    size.div_ceil(1024).max(1) as f64
}

fn read_units(size: usize) -> f64 {
    size.div_ceil(4096).max(1) as f64
}

type Attrs = serde_json::Map<String, Value>;

/// What the proxy knows of the table: its items as last written or read (to price a write by
/// the larger of the old and new item, and to see which index entries it changes) and its global
/// secondary indexes, read from `infra/template.yaml`.
#[derive(Default)]
struct TableModel {
    items: HashMap<String, Attrs>,
    indexes: Vec<p3_aws::dynamo::IndexDef>,
}

impl TableModel {
    /// The entry `item` has in `index` (the attributes it projects), or none when the item lacks
    /// the index's key attributes (sparse).
    fn index_entry(index: &p3_aws::dynamo::IndexDef, item: &Attrs) -> Option<Attrs> {
        let keys: Vec<&str> = index
            .key_schema
            .iter()
            .map(|k| k.attribute_name.as_str())
            .collect();
        if keys.iter().any(|k| !item.contains_key(*k)) {
            return None;
        }
        let keep = |name: &str| match index.projection.projection_type.as_str() {
            "ALL" => true,
            projection => {
                ["PK", "SK"].contains(&name)
                    || keys.contains(&name)
                    || (projection == "INCLUDE"
                        && index
                            .projection
                            .non_key_attributes
                            .iter()
                            .any(|a| a == name))
            }
        };
        Some(
            item.iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// Write units of replacing `old` with `new` (either may be absent): the table write (2x in a
    /// transaction) plus each index's writes, which are never transactional: an entry added or
    /// removed is one write of its size, a changed index key is a delete and a put, a changed
    /// projected attribute one put, and an untouched entry nothing.
    fn write(&mut self, key: String, new: Option<Attrs>, transactional: bool) -> f64 {
        let key_label = key
            .split_once('|')
            .map_or(key.clone(), |(_, k)| k.to_string());
        let old = match &new {
            Some(item) => self.items.insert(key, item.clone()),
            None => self.items.remove(&key),
        };
        let size = |a: &Option<Attrs>| a.as_ref().map_or(0, item_size);
        let table = write_units(size(&old).max(size(&new)));
        let mut units = if transactional { 2.0 * table } else { table };
        for index in &self.indexes {
            let before = old.as_ref().and_then(|i| Self::index_entry(index, i));
            let after = new.as_ref().and_then(|i| Self::index_entry(index, i));
            let same_key = |a: &Attrs, b: &Attrs| {
                index
                    .key_schema
                    .iter()
                    .all(|k| a.get(&k.attribute_name) == b.get(&k.attribute_name))
            };
            units += match (&before, &after) {
                (None, None) => 0.0,
                (Some(b), None) => write_units(item_size(b)),
                (None, Some(a)) => write_units(item_size(a)),
                (Some(b), Some(a)) if !same_key(a, b) => {
                    write_units(item_size(b)) + write_units(item_size(a))
                }
                (Some(b), Some(a)) if a != b => write_units(item_size(a)),
                _ => 0.0,
            };
        }
        if std::env::var_os("P3_BENCH_ITEMS").is_some() {
            // The write, item by item: which items a step writes and what each costs.
            eprintln!(
                "write {key_label}: {} -> {} bytes, {units} WRU{}",
                size(&old),
                size(&new),
                if transactional { " (transaction)" } else { "" }
            );
        }
        units
    }

    fn remember(&mut self, table: &str, item: &Value) {
        if let Some(attrs) = item.as_object() {
            self.items.insert(key_of(table, item), attrs.clone());
        }
    }

    /// The item an update leaves: its new image when the response returns one, else the item
    /// as known (an update the proxy cannot see into is priced by the old size, no index change).
    fn updated(&self, key: &str, rs: &Value) -> Option<Attrs> {
        rs["Attributes"]
            .as_object()
            .cloned()
            .or_else(|| self.items.get(key).cloned())
            .or_else(|| Some(Attrs::new()))
    }
}

/// Write and read units of one DynamoDB request, from the items it writes and returns
/// (on-demand pricing rules, index writes included).
fn capacity(model: &mut TableModel, op: &str, rq: &Value, rs: &Value) -> (f64, f64) {
    let table = rq["TableName"].as_str().unwrap_or("");
    let consistent = |v: &Value| v["ConsistentRead"].as_bool().unwrap_or(false);
    let size_of = |v: &Value| v.as_object().map_or(0, item_size);
    match op {
        "PutItem" => {
            let k = key_of(table, &rq["Item"]);
            (model.write(k, rq["Item"].as_object().cloned(), false), 0.0)
        }
        "UpdateItem" => {
            let k = key_of(table, &rq["Key"]);
            let new = model.updated(&k, rs);
            (model.write(k, new, false), 0.0)
        }
        "DeleteItem" => {
            let k = key_of(table, &rq["Key"]);
            (model.write(k, None, false), 0.0)
        }
        "GetItem" => {
            let size = size_of(&rs["Item"]);
            if size > 0 && rq["ProjectionExpression"].is_null() {
                model.remember(table, &rs["Item"]);
            }
            let units = read_units(size);
            (0.0, if consistent(rq) { units } else { units / 2.0 })
        }
        "Query" | "Scan" => {
            let total: usize = rs["Items"]
                .as_array()
                .map_or(0, |a| a.iter().map(size_of).sum());
            let units = read_units(total);
            (0.0, if consistent(rq) { units } else { units / 2.0 })
        }
        "BatchGetItem" => {
            // Each key is priced as a GetItem of its own: a key with no item still costs the
            // smallest read (a unit, or half of one eventually consistent).
            let mut r = 0.0;
            if let Some(tables) = rq["RequestItems"].as_object() {
                for (t, asked) in tables {
                    let strong = consistent(asked);
                    let count = |v: &Value| v.as_array().map_or(0, Vec::len);
                    let items = &rs["Responses"][t];
                    let absent = count(&asked["Keys"])
                        .saturating_sub(count(items))
                        .saturating_sub(count(&rs["UnprocessedKeys"][t]["Keys"]));
                    let sizes = items.as_array().into_iter().flatten().map(size_of);
                    for size in sizes.chain(std::iter::repeat_n(0, absent)) {
                        let units = read_units(size);
                        r += if strong { units } else { units / 2.0 };
                    }
                }
            }
            (0.0, r)
        }
        "TransactGetItems" => {
            let r = rs["Responses"].as_array().map_or(0.0, |a| {
                a.iter()
                    .map(|x| 2.0 * read_units(size_of(&x["Item"])))
                    .sum()
            });
            (0.0, r)
        }
        "TransactWriteItems" => {
            let mut w = 0.0;
            for it in rq["TransactItems"].as_array().into_iter().flatten() {
                let Some((kind, inner)) = it.as_object().and_then(|o| o.iter().next()) else {
                    continue;
                };
                let t = inner["TableName"].as_str().unwrap_or("");
                w += match kind.as_str() {
                    "Put" => {
                        let k = key_of(t, &inner["Item"]);
                        model.write(k, inner["Item"].as_object().cloned(), true)
                    }
                    "Delete" => model.write(key_of(t, &inner["Key"]), None, true),
                    "Update" => {
                        let k = key_of(t, &inner["Key"]);
                        let known = model.items.get(&k).cloned();
                        model.write(k, known.or_else(|| Some(Attrs::new())), true)
                    }
                    // ConditionCheck: a read, billed as a write unit of the item's size.
                    _ => {
                        let size = model
                            .items
                            .get(&key_of(t, &inner["Key"]))
                            .map_or(0, item_size);
                        2.0 * write_units(size)
                    }
                };
            }
            (w, 0.0)
        }
        _ => (0.0, 0.0),
    }
}

// ---------------------------------------------------------------------------------------------
// The Lambda Runtime API stand-in.

enum Report {
    /// A poll for the next event: when, and the process's CPU time by then (the first poll's
    /// is the init's).
    Next(Instant, Option<Duration>),
    Delivered(Instant, Counts),
    Answered {
        at: Instant,
        body: Value,
        error: bool,
        counts: Counts,
    },
}

/// What one process did.
struct Run {
    init: Duration,
    /// CPU time (every thread, user and system) from spawn to the first poll: init's own work,
    /// without the time spent waiting on moto or for the machine.
    init_cpu: Option<Duration>,
    /// Per event: spawn → answer, delivery → answer, the answer, whether it was an error, and
    /// the AWS requests made between delivery and answer.
    answers: Vec<Answered>,
}

struct Answered {
    since_spawn: Duration,
    duration: Duration,
    body: Value,
    error: bool,
    counts: Counts,
}

async fn runtime_connection(
    stream: TcpStream,
    events: Arc<Mutex<std::collections::VecDeque<Value>>>,
    tx: mpsc::UnboundedSender<Report>,
    proxy: Proxy,
    pid: Arc<std::sync::atomic::AtomicU32>,
) -> Result<(), BoxError> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    while let Some(req) = read_message(&mut r, false).await? {
        let mut parts = req.start.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        if method == "GET" && path.ends_with("/runtime/invocation/next") {
            // Read before the event is handed over: the process waits on this poll meanwhile.
            let cpu = cpu_time(pid.load(std::sync::atomic::Ordering::SeqCst));
            let _ = tx.send(Report::Next(Instant::now(), cpu));
            let next = events.lock().unwrap().pop_front();
            let Some(event) = next else {
                // Nothing more: hold the poll, as Lambda freezes an idle environment.
                std::future::pending::<()>().await;
                return Ok(());
            };
            let id = format!("bench-{}", std::process::id() as u64 * 1000 + rand_small());
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_millis()
                + 30_000;
            let body = serde_json::to_vec(&event)?;
            let _ = tx.send(Report::Delivered(Instant::now(), snapshot(&proxy)));
            write_response(
                &mut w,
                "200 OK",
                &[
                    ("content-type", "application/json".into()),
                    ("lambda-runtime-aws-request-id", id),
                    ("lambda-runtime-deadline-ms", deadline.to_string()),
                    (
                        "lambda-runtime-invoked-function-arn",
                        "arn:aws:lambda:eu-west-2:123456789012:function:bench".into(),
                    ),
                    (
                        "lambda-runtime-trace-id",
                        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
                            .into(),
                    ),
                ],
                &body,
            )
            .await?;
        } else if method == "POST" && (path.ends_with("/response") || path.ends_with("/error")) {
            let at = Instant::now();
            let counts = snapshot(&proxy);
            let body = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let _ = tx.send(Report::Answered {
                at,
                body,
                error: path.ends_with("/error"),
                counts,
            });
            write_response(&mut w, "202 Accepted", &[], b"{\"status\":\"OK\"}").await?;
        } else {
            // Init errors and anything else: accept and note.
            eprintln!(
                "runtime API: {method} {path}: {}",
                String::from_utf8_lossy(&req.body)
            );
            write_response(&mut w, "202 Accepted", &[], b"{}").await?;
        }
        if req.close {
            break;
        }
    }
    Ok(())
}

/// The CPU time a process has used so far, all its threads together (Linux's schedstat: time
/// on a CPU, in nanoseconds); `None` where it cannot be read.
fn cpu_time(pid: u32) -> Option<Duration> {
    if pid == 0 {
        return None;
    }
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

fn rand_small() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Starts `bin` against a fresh Runtime API stand-in, hands it `events` one by one, and stops it
/// once every event is answered.
async fn run_function(
    bin: &Path,
    name: &str,
    env: &[(String, String)],
    events: Vec<Value>,
    proxy: &Proxy,
) -> Result<Run, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let expected = events.len();
    let queue = Arc::new(Mutex::new(events.into_iter().collect()));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let proxy2 = proxy.clone();
    let pid = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let pid2 = pid.clone();
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(runtime_connection(
                stream,
                queue.clone(),
                tx.clone(),
                proxy2.clone(),
                pid2.clone(),
            ));
        }
    });
    let log = std::fs::File::create(std::env::temp_dir().join(format!("lambda-bench-{name}.log")))?;
    let mut cmd = std::process::Command::new(bin);
    cmd.env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_REGION", "eu-west-2")
        .env("AWS_DEFAULT_REGION", "eu-west-2")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_SESSION_TOKEN", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    let spawned = Instant::now();
    let mut child = cmd.spawn()?;
    pid.store(child.id(), std::sync::atomic::Ordering::SeqCst);
    let mut init = None;
    let mut init_cpu = None;
    let mut delivered: Option<(Instant, Counts)> = None;
    let mut answers = Vec::new();
    let result = tokio::time::timeout(Duration::from_secs(120), async {
        while answers.len() < expected {
            match rx.recv().await {
                Some(Report::Next(at, cpu)) => {
                    if init.is_none() {
                        init = Some(at - spawned);
                        init_cpu = cpu;
                    }
                }
                Some(Report::Delivered(at, counts)) => delivered = Some((at, counts)),
                Some(Report::Answered {
                    at,
                    body,
                    error,
                    counts,
                }) => {
                    let (from, before) = delivered.take().unwrap_or_else(|| (at, counts.clone()));
                    answers.push(Answered {
                        since_spawn: at - spawned,
                        duration: at - from,
                        body,
                        error,
                        counts: counts.minus(&before),
                    });
                }
                None => break,
            }
        }
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    server.abort();
    if result.is_err() {
        return Err(format!(
            "{name}: timed out ({} of {expected} answered)",
            answers.len()
        )
        .into());
    }
    Ok(Run {
        init: init.ok_or("never polled")?,
        init_cpu,
        answers,
    })
}

// ---------------------------------------------------------------------------------------------
// Set-up, events, the runs, the lifecycle and the cost.

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn event(path: &str, subs: &[(&str, &str)]) -> Result<Value, BoxError> {
    let mut text = std::fs::read_to_string(repo().join("events").join(path))?;
    for (from, to) in subs {
        text = text.replace(from, to);
    }
    Ok(serde_json::from_str(&text)?)
}

/// The description of the priced lifecycle's complaint: long, as issue 17 asks the cost to
/// include, where the sample event's is one line.
const LIFECYCLE_DESCRIPTION_CHARS: usize = 3_000;

/// `chars` characters of words made of pseudo-random letters (a fixed seed, so every run
/// stores the same text). They deflate no better than prose does, so the case items' sizes,
/// and the write units they cost, are not flattered by a repeated sentence.
fn prose(chars: usize) -> String {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let mut text = String::with_capacity(chars);
    while text.len() < chars {
        if !text.is_empty() {
            text.push(if next(12) == 0 { '.' } else { ' ' });
            text.push(' ');
        }
        for _ in 0..2 + next(8) {
            text.push(char::from(b'a' + next(26) as u8));
        }
    }
    text.truncate(chars - 1);
    text.push('.');
    text
}

/// An API Gateway event whose JSON body's `description` is `description`.
fn with_description(mut event: Value, description: &str) -> Result<Value, BoxError> {
    let mut body: Value = serde_json::from_str(event["body"].as_str().ok_or("no body")?)?;
    body["description"] = json!(description);
    event["body"] = json!(body.to_string());
    Ok(event)
}

/// The API Gateway v2 answer's status and JSON body.
fn http_answer(a: &Answered) -> (i64, Value) {
    let status = a.body["statusCode"].as_i64().unwrap_or(0);
    let body = a.body["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, body)
}

async fn setup(moto: &str, unique: &str) -> Result<Vec<(String, String)>, BoxError> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto)
        .region(aws_config::Region::new("eu-west-2"))
        .http_client(p3_aws::sdk::https_client())
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await;
    let definition =
        p3_aws::dynamo::TableDefinition::from_template_file(&repo().join("infra/template.yaml"))?;
    p3_aws::dynamo::create_table(&aws_sdk_dynamodb::Client::new(&sdk), unique, &definition).await?;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let mut arns = Vec::new();
    let mut urls = Vec::new();
    for name in [format!("{unique}-dlq"), unique.to_string()] {
        let url = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await?
            .queue_url()
            .ok_or("no queue url")?
            .to_string();
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await?;
        let arn = attrs
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .ok_or("no queue arn")?
            .clone();
        urls.push(url);
        arns.push(arn);
    }
    aws_sdk_scheduler::Client::new(&sdk)
        .create_schedule_group()
        .name(unique)
        .send()
        .await?;
    let _ = aws_sdk_sesv2::Client::new(&sdk)
        .create_email_identity()
        .email_identity(MAIL_DOMAIN)
        .send()
        .await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("{unique}-exports");
    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
                .build(),
        )
        .send()
        .await?;
    let config = std::env::temp_dir().join(format!("{unique}-p3.toml"));
    std::fs::write(&config, "[public_form]\nrate_limit_per_hour = 0\n")?;
    Ok(vec![
        ("TABLE_NAME".into(), unique.into()),
        ("QUEUE_URL".into(), urls[1].clone()),
        ("QUEUE_ARN".into(), arns[1].clone()),
        ("DLQ_ARN".into(), arns[0].clone()),
        ("SCHEDULE_GROUP".into(), unique.into()),
        (
            "SCHEDULER_ROLE_ARN".into(),
            "arn:aws:iam::123456789012:role/p3-scheduler".into(),
        ),
        (
            "MAIL_FROM".into(),
            format!("complaints-service@{MAIL_DOMAIN}"),
        ),
        ("EXPORT_BUCKET".into(), bucket),
        (
            "BASE_URL".into(),
            "https://complaints.p3housing.example".into(),
        ),
        ("LANDLORD".into(), "P3 Bench".into()),
        (
            "COMPLAINTS_TEAM".into(),
            format!("complaints@{MAIL_DOMAIN}"),
        ),
        (
            "HEAD_OF_TENANT_SERVICES".into(),
            format!("head.tenant.services@{MAIL_DOMAIN}"),
        ),
        // One source address posts every sample: lift the per-instance form limit (0: none),
        // in the landlord's configuration file, as on AWS.
        ("P3_CONFIG".into(), config.display().to_string()),
        // The pages function's sign-in (the others do not read it): the provider's endpoints
        // given, so none is fetched, and the cookie key given directly instead of through
        // Secrets Manager (`OIDC_COOKIE_KEY_SECRET_ID` unset).
        ("OIDC_ISSUER".into(), format!("https://idp.{MAIL_DOMAIN}")),
        ("OIDC_CLIENT_ID".into(), "p3-staff-pages".into()),
        ("OIDC_COOKIE_KEY".into(), "b".repeat(40)),
        (
            "OIDC_AUTHORIZE_URL".into(),
            format!("https://idp.{MAIL_DOMAIN}/authorize"),
        ),
        (
            "OIDC_TOKEN_URL".into(),
            format!("https://idp.{MAIL_DOMAIN}/token"),
        ),
        (
            "OIDC_JWKS_URL".into(),
            format!("https://idp.{MAIL_DOMAIN}/jwks"),
        ),
    ])
}

struct Bench {
    bin_dir: PathBuf,
    env: Vec<(String, String)>,
    proxy: Proxy,
}

impl Bench {
    fn bin(&self, function: &str) -> PathBuf {
        self.bin_dir.join(function)
    }

    async fn run(&self, function: &str, events: Vec<Value>) -> Result<Run, BoxError> {
        self.run_warming(function, events, 0).await
    }

    /// [`Bench::run`], the first `warm_ups` events only warming the process: a failure among
    /// them is not reported.
    async fn run_warming(
        &self,
        function: &str,
        events: Vec<Value>,
        warm_ups: usize,
    ) -> Result<Run, BoxError> {
        let run = run_function(
            &self.bin(function),
            function,
            &self.env,
            events,
            &self.proxy,
        )
        .await?;
        for a in run.answers.iter().skip(warm_ups) {
            let (status, _) = http_answer(a);
            if a.error || (status >= 400 && Some(status) != expected_status(function)) {
                eprintln!(
                    "warning: {function} answered {}: {}",
                    if a.error { "an error" } else { "a failure" },
                    a.body
                );
            }
        }
        Ok(run)
    }

    /// New complaints through the intake function: (reference, access code) of each.
    async fn complaints(&self, n: usize) -> Result<Vec<(String, String)>, BoxError> {
        let events = (0..n)
            .map(|_| event("intake/post-complaint.json", &[]))
            .collect::<Result<Vec<_>, _>>()?;
        let run = self.run("intake", events).await?;
        run.answers
            .iter()
            .map(|a| {
                let (_, body) = http_answer(a);
                Ok((
                    body["reference"]
                        .as_str()
                        .ok_or("no reference")?
                        .to_string(),
                    body["access_code"].as_str().unwrap_or("").to_string(),
                ))
            })
            .collect()
    }

    async fn each(
        &self,
        function: &str,
        path: &str,
        cases: &[(String, String)],
    ) -> Result<(), BoxError> {
        let events = cases
            .iter()
            .map(|(r, c)| event(path, &[(SAMPLE_REFERENCE, r), (SAMPLE_CODE, c)]))
            .collect::<Result<Vec<_>, _>>()?;
        self.run(function, events).await?;
        Ok(())
    }
}

/// The cases the measured events act on, made before the rounds start: two per round for
/// each function that changes a case (the measured first event and a warm second one).
struct Prepared {
    for_ack: Vec<(String, String)>,
    for_s1: Vec<(String, String)>,
    for_s2: Vec<(String, String)>,
    for_alerts: Vec<(String, String)>,
    for_read: (String, String),
}

/// A refusal a function's measured event is meant to get, so it is not reported as a failure:
/// case-files' confirm page for a file that never reached the inbox (there is no bucket here)
/// says so with 422.
fn expected_status(function: &str) -> Option<i64> {
    (function == "case-files").then_some(422)
}

/// The two events `function` gets in round `rep`.
fn events_for(function: &str, rep: usize, prepared: &Prepared) -> Result<Vec<Value>, BoxError> {
    let Prepared {
        for_ack,
        for_s1,
        for_s2,
        for_alerts,
        for_read,
    } = prepared;
    let pair = |cases: &[(String, String)]| cases[2 * rep..2 * rep + 2].to_vec();
    let on = |path: &str, cases: Vec<(String, String)>| -> Result<Vec<Value>, BoxError> {
        cases
            .iter()
            .map(|(r, c)| event(path, &[(SAMPLE_REFERENCE, r), (SAMPLE_CODE, c)]))
            .collect()
    };
    Ok(match function {
        "bench-hello" | "bench-sdk-floor" => vec![json!({"hello": "world"}); 2],
        "intake" => on("intake/post-complaint.json", vec![Default::default(); 2])?,
        "acknowledgement" => on(
            "acknowledgement/post-acknowledgement-stage1.json",
            pair(for_ack),
        )?,
        "stage1-response" => on("stage1-response/post-stage1-response.json", pair(for_s1))?,
        "stage2" => on("stage2/post-resident-stage2.json", pair(for_s2))?,
        "cases" => on("cases/get-case.json", vec![for_read.clone(); 2])?,
        // The start of a staff sign-in: a redirect to the provider's authorize
        // endpoint (set below, so no discovery document is fetched).
        "pages" => on("pages/get-sign-in.json", vec![Default::default(); 2])?,
        // A case's evidence pack as PDF, for an auditor whose claims come as an
        // authorizer passes them on (read as the pages' session would be), so no
        // identity provider is needed.
        "documents" => {
            let claims = event("cases/get-case.json", &[])?["requestContext"]["authorizer"].clone();
            on("documents/get-evidence.json", vec![for_read.clone(); 2])?
                .into_iter()
                .map(|mut e| {
                    e["requestContext"]["authorizer"] = claims.clone();
                    e["rawQueryString"] = json!("format=pdf");
                    e["queryStringParameters"] = json!({"format": "pdf"});
                    e
                })
                .collect()
        }
        // The printable monthly report, for staff whose claims come as an authorizer
        // passes them on (read as the pages' session would be).
        "report-pages" => {
            let claims = event("cases/get-case.json", &[])?["requestContext"]["authorizer"].clone();
            on(
                "report-pages/get-monthly-report-page.json",
                vec![Default::default(); 2],
            )?
            .into_iter()
            .map(|mut e| {
                e["requestContext"]["authorizer"] = claims.clone();
                e
            })
            .collect()
        }
        // The confirm page of the case page's "Add a file", for an officer whose claims
        // come as an authorizer passes them on (read as the pages' session would be; the
        // sample claims are an auditor's, whom the page refuses); no bucket here, so it
        // says the file has not arrived.
        "case-files" => {
            let mut claims =
                event("cases/get-case.json", &[])?["requestContext"]["authorizer"].clone();
            claims["jwt"]["claims"]["cognito:groups"] = json!("[officer]");
            on(
                "case-files/get-attachment-confirm.json",
                vec![for_read.clone(); 2],
            )?
            .into_iter()
            .map(|mut e| {
                e["requestContext"]["authorizer"] = claims.clone();
                e
            })
            .collect()
        }
        "reporting" => on(
            "reporting/monthly-schedule.json",
            vec![Default::default(); 2],
        )?,
        "deadlines" => on("deadlines/sqs-batch.json", pair(for_alerts))?,
        _ => unreachable!(),
    })
}

fn median_f64(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    if v.is_empty() {
        return Duration::ZERO;
    }
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn zipped_size(bootstrap: &Path) -> Option<u64> {
    // The baselines have no package (they are not Lambda functions).
    if !bootstrap.is_file() {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("lambda-bench-zip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let zip = dir.join("package.zip");
    let _ = std::fs::remove_file(&zip);
    let ok = std::process::Command::new("zip")
        .arg("-q")
        .arg("-j")
        .arg("-9")
        .arg(&zip)
        .arg(bootstrap)
        .status()
        .ok()?
        .success();
    let size = std::fs::metadata(&zip).ok().map(|m| m.len());
    let _ = std::fs::remove_file(&zip);
    if ok {
        size
    } else {
        None
    }
}

const FUNCTIONS: [&str; 13] = [
    "bench-hello",
    "bench-sdk-floor",
    "intake",
    "acknowledgement",
    "stage1-response",
    "stage2",
    "cases",
    "pages",
    "report-pages",
    "case-files",
    "documents",
    "reporting",
    "deadlines",
];

struct Args {
    moto: String,
    reps: usize,
    bin_dir: PathBuf,
    lambda_dir: PathBuf,
    complaints_per_month: f64,
}

fn args() -> Result<Args, BoxError> {
    let mut a = Args {
        moto: std::env::var("P3_MOTO_ENDPOINT").unwrap_or_default(),
        reps: 5,
        bin_dir: repo().join("target/release"),
        lambda_dir: repo().join("target/lambda"),
        complaints_per_month: 100.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--moto" => a.moto = value()?,
            "--reps" => a.reps = value()?.parse()?,
            "--bin-dir" => a.bin_dir = value()?.into(),
            "--lambda-dir" => a.lambda_dir = value()?.into(),
            "--complaints-per-month" => a.complaints_per_month = value()?.parse()?,
            "-h" | "--help" => {
                println!("lambda-bench [--moto URL] [--reps 5] [--bin-dir target/release] [--lambda-dir target/lambda] [--complaints-per-month 100]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if a.moto.is_empty() {
        return Err("give --moto URL or set P3_MOTO_ENDPOINT".into());
    }
    Ok(a)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let args = args()?;
    let upstream = args
        .moto
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let (proxy_url, proxy) = start_proxy(upstream).await?;
    let unique = format!(
        "p3bench-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs()
            % 100_000
    );
    let mut env = setup(&args.moto, &unique).await?;
    env.push(("AWS_ENDPOINT_URL".into(), proxy_url));
    let bench = Bench {
        bin_dir: args.bin_dir.clone(),
        env,
        proxy: proxy.clone(),
    };
    let reps = args.reps;

    // Cases for the events that need one, prepared through the functions themselves: two per
    // run (the measured first event and a second, warm one).
    let per = 2 * reps;
    eprintln!("preparing cases…");
    let fresh = bench.complaints(per * 4 + 1).await?;
    let (for_ack, rest) = fresh.split_at(per);
    let (for_s1, rest) = rest.split_at(per);
    let (for_s2, rest) = rest.split_at(per);
    let (for_alerts, rest) = rest.split_at(per);
    let for_read = rest[0].clone();
    let mut acked: Vec<(String, String)> = for_s1.to_vec();
    acked.extend_from_slice(for_s2);
    bench
        .each(
            "acknowledgement",
            "acknowledgement/post-acknowledgement-stage1.json",
            &acked,
        )
        .await?;
    bench
        .each(
            "stage1-response",
            "stage1-response/post-stage1-response.json",
            for_s2,
        )
        .await?;

    let prepared = Prepared {
        for_ack: for_ack.to_vec(),
        for_s1: for_s1.to_vec(),
        for_s2: for_s2.to_vec(),
        for_alerts: for_alerts.to_vec(),
        for_read,
    };

    // Round by round, every function once per round (the SDK floor among them), so a change
    // in the machine's load or in moto's speed over the run reaches every function alike, and
    // each function's init is set against the floor's of the same round.
    let mut runs: HashMap<&str, Vec<Run>> = HashMap::new();
    for rep in 0..reps {
        for function in FUNCTIONS {
            let run = bench
                .run(function, events_for(function, rep, &prepared)?)
                .await?;
            runs.entry(function).or_default().push(run);
        }
        eprintln!("round {} of {reps}: done", rep + 1);
    }

    let floor = &runs["bench-sdk-floor"];
    println!(
        "\n| function | zipped arm64 package | init (median of {reps}) | init CPU (median) | first answer (median) | warm answer (median) | init ÷ SDK floor (median of the rounds) | init CPU ÷ floor's |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut warm_of: HashMap<&str, Duration> = HashMap::new();
    for function in FUNCTIONS {
        let mine = &runs[function];
        let warm = median(mine.iter().map(|r| r.answers[1].duration).collect());
        warm_of.insert(function, warm);
        let cpus: Vec<Duration> = mine.iter().filter_map(|r| r.init_cpu).collect();
        let per_round = |f: &dyn Fn(&Run) -> Option<f64>| {
            median_f64(
                mine.iter()
                    .zip(floor)
                    .filter_map(|(m, fl)| Some(f(m)? / f(fl)?))
                    .collect(),
            )
        };
        let ratio = per_round(&|r| Some(r.init.as_secs_f64()));
        let cpu_ratio = per_round(&|r| r.init_cpu.map(|c| c.as_secs_f64()));
        let zipped = zipped_size(&args.lambda_dir.join(function).join("bootstrap"));
        println!(
            "| {function} | {} | {} | {} | {} | {} | {} | {} |",
            zipped.map_or("not built".to_string(), |z| format!(
                "{:.2} MB",
                z as f64 / 1e6
            )),
            ms(median(mine.iter().map(|r| r.init).collect())),
            if cpus.is_empty() {
                "-".to_string()
            } else {
                ms(median(cpus))
            },
            ms(median(
                mine.iter().map(|r| r.answers[0].since_spawn).collect()
            )),
            ms(warm),
            ratio.map_or("-".into(), |r| format!("{r:.2}")),
            cpu_ratio.map_or("-".into(), |r| format!("{r:.2}")),
        );
    }

    lifecycle(&bench, &warm_of, args.complaints_per_month).await
}

/// One complaint through both stages, its alerts and its share of the monthly report, through
/// the bootstraps; every AWS request counted at the proxy.
async fn lifecycle(
    bench: &Bench,
    _warm_of: &HashMap<&str, Duration>,
    per_month: f64,
) -> Result<(), BoxError> {
    let mut total = Counts::default();
    let mut invocations = 0.0;
    let mut gb_seconds = 0.0;
    let mut http_requests = 0.0;
    let mut lines = Vec::new();
    let mut step = |label: &str, function: &str, a: &Answered, share: f64, http: bool| {
        total.add(&a.counts, share);
        invocations += share;
        // Billed duration: rounded up to the millisecond; 256 MB.
        let billed = (a.duration.as_secs_f64() * 1000.0).ceil() / 1000.0;
        gb_seconds += share * billed * 0.25;
        if http {
            http_requests += share;
        }
        let (status, _) = http_answer(a);
        lines.push(format!(
            "| {label} | {function} | {} | {} | {:.1} | {:.1} |",
            if http { status.to_string() } else { "-".into() },
            ms(a.duration),
            a.counts.wcu,
            a.counts.rcu,
        ));
        for (k, v) in &a.counts.requests {
            lines.push(format!("|  | | | {k} × {v} | | |"));
        }
    };

    // Each step runs in a process that has already answered one read (warm), as most do.
    let intake = bench
        .run(
            "intake",
            vec![
                event("intake/get-form.json", &[])?,
                with_description(
                    event("intake/post-complaint.json", &[])?,
                    &prose(LIFECYCLE_DESCRIPTION_CHARS),
                )?,
            ],
        )
        .await?;
    let created = &intake.answers[1];
    let (_, body) = http_answer(created);
    let r = body["reference"]
        .as_str()
        .ok_or("no reference")?
        .to_string();
    let c = body["access_code"].as_str().unwrap_or("").to_string();
    step("complaint received", "intake", created, 1.0, true);
    let subs = |path: &str| event(path, &[(SAMPLE_REFERENCE, &r), (SAMPLE_CODE, &c)]);
    let warm_first = |function: &str| -> Result<Value, BoxError> {
        // A read that changes nothing, so the measured step runs warm (a function without
        // the case's page answers it 404, having run as far as its router just the same).
        Ok(match function {
            "deadlines" => json!({"Records": []}),
            "reporting" => subs("reporting/get-report.json")?,
            _ => subs("cases/get-case.json")?,
        })
    };
    let steps: [(&str, &str, &str, bool, f64); 7] = [
        (
            "alerts fired (one batch of 3)",
            "deadlines",
            "deadlines/sqs-batch.json",
            false,
            1.0,
        ),
        (
            "stage 1 acknowledged",
            "acknowledgement",
            "acknowledgement/post-acknowledgement-stage1.json",
            true,
            1.0,
        ),
        (
            "stage 1 response",
            "stage1-response",
            "stage1-response/post-stage1-response.json",
            true,
            1.0,
        ),
        (
            "stage 2 requested (resident)",
            "stage2",
            "stage2/post-resident-stage2.json",
            true,
            1.0,
        ),
        (
            "stage 2 acknowledged",
            "acknowledgement",
            "acknowledgement/post-acknowledgement-stage2.json",
            true,
            1.0,
        ),
        (
            "stage 2 response",
            "stage2",
            "stage2/post-stage2-response.json",
            true,
            1.0,
        ),
        (
            "monthly report (share)",
            "reporting",
            "reporting/monthly-schedule.json",
            false,
            1.0 / per_month,
        ),
    ];
    for (label, function, path, http, share) in steps {
        let run = bench
            .run_warming(function, vec![warm_first(function)?, subs(path)?], 1)
            .await?;
        step(label, function, &run.answers[1], share, http);
    }

    println!("\nOne lifecycle, step by step (warm invocations; requests counted at the proxy; units from item sizes):\n");
    println!("| step | function | HTTP status | duration / requests | WCU | RCU |");
    println!("|---|---|---|---|---|---|");
    for l in &lines {
        println!("{l}");
    }

    let dynamo_requests = total.service_total("dynamodb");
    let sqs_requests = total.service_total("sqs");
    let scheduler_requests = total.service_total("scheduler");
    let schedules_created = total
        .requests
        .iter()
        .filter(|(k, _)| k.starts_with("scheduler POST"))
        .map(|(_, v)| v)
        .sum::<f64>()
        + 0.0;
    let s3_puts = total
        .requests
        .iter()
        .filter(|(k, _)| k.starts_with("s3 PUT") || k.starts_with("s3 POST"))
        .map(|(_, v)| v)
        .sum::<f64>()
        + 0.0;
    let emails = total
        .requests
        .iter()
        .filter(|(k, _)| k.starts_with("ses POST /outbound-emails"))
        .map(|(_, v)| v)
        .sum::<f64>()
        + 0.0;
    // Each fired alert: one Scheduler invocation, and its message sent to, received from and
    // deleted from the queue (by the scheduler and the event source mapping).
    let alerts_fired = 3.0;
    let sqs_delivery = alerts_fired * 3.0;

    let cents = |usd: f64| usd * 100.0 * 1000.0; // per 1,000 complaints
    let items = [
        (
            "DynamoDB writes",
            format!("{:.1} WRU", total.wcu),
            total.wcu * 0.625e-6,
        ),
        (
            "DynamoDB reads",
            format!("{:.1} RRU", total.rcu),
            total.rcu * 0.125e-6,
        ),
        (
            "Lambda requests",
            format!("{invocations:.2}"),
            invocations * 0.20e-6,
        ),
        (
            "Lambda duration (256 MB arm64)",
            format!("{gb_seconds:.4} GB-s"),
            gb_seconds * 0.0000133334,
        ),
        (
            "HTTP API requests",
            format!("{http_requests:.0}"),
            http_requests * 1.00e-6,
        ),
        (
            "SQS requests",
            format!(
                "{:.0} (functions) + {sqs_delivery:.0} (delivery)",
                sqs_requests
            ),
            (sqs_requests + sqs_delivery) * 0.40e-6,
        ),
        (
            "Scheduler invocations",
            format!("{alerts_fired:.0} fired ({schedules_created:.0} schedules created)"),
            alerts_fired * 1.00e-6,
        ),
        ("S3 PUTs", format!("{s3_puts:.2}"), s3_puts * 0.005e-3),
    ];
    println!("\nCost of one lifecycle, per 1,000 complaints (issue 4 list prices; {per_month} complaints a month share the monthly report; a {LIFECYCLE_DESCRIPTION_CHARS}-character description):\n");
    println!("| item | per complaint | US cents per 1,000 complaints |");
    println!("|---|---|---|");
    let mut sum = 0.0;
    for (what, qty, usd) in &items {
        sum += usd;
        println!("| {what} | {qty} | {:.3} |", cents(*usd));
    }
    println!("| **total, excluding email** | | **{:.2}** |", cents(sum));
    println!(
        "| SES emails (separately) | {emails:.0} | {:.2} |",
        cents(emails * 0.10e-3)
    );
    println!(
        "\nAWS requests per complaint by service: DynamoDB {dynamo_requests:.1}, SQS {sqs_requests:.1} (+{sqs_delivery:.0} delivery), Scheduler API {scheduler_requests:.1}, SES {emails:.0}, S3 PUT {s3_puts:.2}; DynamoDB capacity reported by moto: {:.1}",
        total.reported
    );
    println!("\nAll requests per complaint:");
    for (k, v) in &total.requests {
        println!("  {k}: {v:.2}");
    }
    Ok(())
}
