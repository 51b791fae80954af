//! Keeps `openapi.json` true to the router. Axum cannot list its routes, so the canonical list is
//! the router's own source: every `.route(...)` in `src/lib.rs` (the only file that adds
//! routes), with its methods, must be exactly the document's operations. Then, on the real
//! router: every operation the document lists is served (not the fallback) and answers a first,
//! anonymous request with a status the document gives for it; every other method on a listed
//! path is the router's 405; paths next to the listed ones that the document does not list are
//! the router's 404. Also: the document is OpenAPI 3.1 and is served, without login, at
//! `GET /openapi.json` by the `intake` part. (`scripts/test` also validates it against the
//! OpenAPI 3.1 schema with `openapi-spec-validator`.)

mod support;

use axum::body::Body;
use axum::Router;
use http::{header, Method, Request, StatusCode};
use p3_api::openapi::{self, OPENAPI_JSON};
use serde_json::Value;
use support::state;
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    content_type: String,
    body: Vec<u8>,
}

impl Answer {
    fn problem(&self) -> Option<Value> {
        if self.content_type.starts_with("application/problem+json") {
            serde_json::from_slice(&self.body).ok()
        } else {
            None
        }
    }

    /// The router's own 404 for an unknown route (a handler's 404 has another detail).
    fn is_fallback_404(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
            && self
                .problem()
                .is_some_and(|p| p["detail"] == "No such route")
    }

    /// The router's own 405 for a method the path does not serve.
    fn is_fallback_405(&self) -> bool {
        self.status == StatusCode::METHOD_NOT_ALLOWED
            && self.problem().is_some_and(|p| {
                p["type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("/method-not-allowed"))
            })
    }
}

async fn call(app: &Router, method: &Method, uri: &str) -> Answer {
    let req = Request::builder()
        .method(method.clone())
        .uri(uri)
        .body(Body::empty())
        .expect("a request");
    let res = app.clone().oneshot(req).await.expect("an answer");
    let status = res.status();
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .expect("the body")
        .to_vec();
    Answer {
        status,
        content_type,
        body,
    }
}

/// A concrete path for a templated one: an unknown reference or id (so a handler's 404, never
/// the router's), and the first allowed value of an enumerated parameter.
fn concrete(doc: &Value, method: &str, path: &str) -> String {
    let op = &doc["paths"][path][method.to_ascii_lowercase()];
    path.split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                None => seg.to_string(),
                Some(name) => {
                    let enumerated = op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|p| p["name"] == name && p["in"] == "path")
                        .and_then(|p| p["schema"]["enum"].get(0))
                        .and_then(|v| v.as_str());
                    match (enumerated, name) {
                        (Some(v), _) => v.to_string(),
                        (None, "id") => "SR-1999-99999".into(),
                        _ => "CMP-1999-99999".into(),
                    }
                }
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// True when a concrete path matches one of the document's path templates.
fn documented(doc: &Value, concrete: &str) -> bool {
    let segs: Vec<&str> = concrete.split('/').collect();
    doc["paths"].as_object().expect("paths").keys().any(|t| {
        let ts: Vec<&str> = t.split('/').collect();
        ts.len() == segs.len()
            && ts
                .iter()
                .zip(&segs)
                .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
    })
}

/// Every `(METHOD, path)` the router's source registers: each `.route("PATH", get(..).post(..))`.
fn routes_in_source(src: &str) -> Vec<(String, String)> {
    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
    let mut routes = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find(".route(") {
        rest = &rest[i + ".route(".len()..];
        let call = {
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map(|(j, _)| j)
                .expect("a closed .route( call");
            &rest[..end]
        };
        let path = call
            .trim_start()
            .strip_prefix('"')
            .and_then(|p| p.split_once('"'))
            .map(|(p, _)| p)
            .expect("a .route( call whose path is a string literal");
        let bytes = call.as_bytes();
        for m in METHODS {
            let needle = format!("{m}(");
            let found = call.match_indices(&needle).any(|(j, _)| {
                j == 0 || !(bytes[j - 1].is_ascii_alphanumeric() || bytes[j - 1] == b'_')
            });
            if found {
                routes.push((m.to_ascii_uppercase(), path.to_string()));
            }
        }
    }
    routes
}

#[test]
fn the_routes_in_the_source_are_the_documents_operations() {
    let src_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src_dir).expect("src/") {
        let path = entry.expect("an entry").path();
        if path.file_name().is_some_and(|n| n != "lib.rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for call in [".route(", ".nest(", ".route_service(", ".nest_service("] {
                assert!(
                    !text.contains(call),
                    "{} adds routes ({call}); add them in lib.rs, where this test reads them",
                    path.display()
                );
            }
        }
    }
    let lib = std::fs::read_to_string(src_dir.join("lib.rs")).expect("src/lib.rs");
    for call in [".nest(", ".route_service(", ".nest_service("] {
        assert!(
            !lib.contains(call),
            "lib.rs uses {call}: teach this test to read it"
        );
    }
    let mut in_source = routes_in_source(&lib);
    in_source.sort();
    let mut documented = openapi::operations();
    documented.sort();
    let missing: Vec<_> = in_source
        .iter()
        .filter(|r| !documented.contains(r))
        .collect();
    let extra: Vec<_> = documented
        .iter()
        .filter(|r| !in_source.contains(r))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "routes missing from openapi.json: {missing:?}; operations the router does not have: {extra:?}"
    );
    assert!(
        in_source.len() >= 30,
        "only {} routes read",
        in_source.len()
    );
}

#[test]
fn the_document_is_openapi_3_1_and_every_operation_has_responses() {
    let doc: Value = serde_json::from_str(OPENAPI_JSON).expect("openapi.json parses");
    let version = doc["openapi"].as_str().expect("an openapi version");
    assert!(version.starts_with("3.1."), "openapi {version}");
    let ops = openapi::operations();
    assert!(ops.len() >= 30, "only {} operations", ops.len());
    let mut ids = std::collections::HashSet::new();
    for (method, path) in &ops {
        let op = &doc["paths"][path][method.to_ascii_lowercase()];
        let responses = op["responses"].as_object();
        assert!(
            responses.is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
        let id = op["operationId"].as_str();
        assert!(
            id.is_some_and(|id| ids.insert(id.to_string())),
            "{method} {path}: a missing or repeated operationId"
        );
        // Every path parameter in the template is declared, and the other way round.
        let declared: Vec<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| resolve(&doc, p))
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str())
            .collect();
        let in_template: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        assert_eq!(declared, in_template, "{method} {path}: path parameters");
    }
}

/// Follows a local `$ref` (one level is all the document uses).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
        Some(pointer) => doc
            .pointer(&format!("/{pointer}"))
            .unwrap_or_else(|| panic!("dangling $ref {pointer}")),
        None => v,
    }
}

#[tokio::test]
async fn the_document_is_served_without_login_by_intake() {
    let (st, _dir) = state();
    for app in [
        p3_api::router(st.clone()),
        p3_api::serve_part(p3_api::intake_router(), st.clone()),
    ] {
        let a = call(&app, &Method::GET, "/openapi.json").await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.content_type, "application/json");
        assert_eq!(a.body, OPENAPI_JSON.as_bytes());
    }
}

#[tokio::test]
async fn every_documented_operation_is_served_and_nothing_else() {
    let (st, _dir) = state();
    let app = p3_api::router(st);
    let doc = openapi::document();
    let ops = openapi::operations();

    // Each documented operation reaches its handler, which answers an anonymous first request
    // with a status the document gives for it.
    for (method, path) in &ops {
        let uri = concrete(&doc, method, path);
        let m = Method::from_bytes(method.as_bytes()).expect("a method");
        let a = call(&app, &m, &uri).await;
        assert!(
            !a.is_fallback_404() && !a.is_fallback_405(),
            "{method} {path} ({uri}) is documented but the router does not serve it: {} {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        );
        let code = a.status.as_u16().to_string();
        let op = &doc["paths"][path][method.to_ascii_lowercase()];
        assert!(
            op["responses"].get(&code).is_some(),
            "{method} {path} answered {code}, which the document does not give"
        );
    }

    // Every other method on a documented path is the router's 405 (HEAD comes with GET).
    let paths: Vec<&String> = doc["paths"].as_object().expect("paths").keys().collect();
    for path in &paths {
        for m in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ] {
            if ops.iter().any(|(om, op)| om == m.as_str() && op == *path) {
                continue;
            }
            let any = ops
                .iter()
                .find(|(_, op)| op == *path)
                .expect("an operation");
            let uri = concrete(&doc, &any.0, path);
            let a = call(&app, &m, &uri).await;
            assert!(
                a.is_fallback_405(),
                "{m} {path} is not documented but the router answers {} {}",
                a.status,
                String::from_utf8_lossy(&a.body)
            );
        }
    }

    // Around each documented path, the paths the document does not list are the router's 404:
    // its parent, a child, and a sibling of its last segment; plus a few others.
    let mut probes: Vec<String> = vec![
        "/nope".into(),
        "/openapi.yaml".into(),
        "/assets/other.css".into(),
        "/staff/reports/weekly".into(),
        "/staff/complaints/CMP-1999-99999/reopen".into(),
        "/complaints/CMP-1999-99999/stage3".into(),
    ];
    for (method, path) in &ops {
        let uri = concrete(&doc, method, path);
        let (parent, last) = uri.rsplit_once('/').expect("an absolute path");
        probes.push(if parent.is_empty() {
            "/".into()
        } else {
            parent.into()
        });
        probes.push(format!("{uri}/extra"));
        if !last.is_empty() {
            probes.push(format!("{parent}/{last}-extra"));
        }
    }
    probes.sort();
    probes.dedup();
    let mut checked = 0;
    for uri in probes.iter().filter(|u| !documented(&doc, u)) {
        for m in [Method::GET, Method::POST] {
            let a = call(&app, &m, uri).await;
            assert!(
                a.is_fallback_404(),
                "{m} {uri} is not documented but the router answers {} {}",
                a.status,
                String::from_utf8_lossy(&a.body)
            );
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} undocumented paths probed");
}
