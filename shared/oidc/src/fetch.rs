//! Talking to the provider: a small HTTPS client for its discovery document, keys and token
//! endpoint, and the failures it reports.

use super::*;

pub(crate) type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// The provider's answer that is not a success: its status and OAuth `error`, if any.
#[derive(Debug)]
pub(crate) struct Failure {
    status: Option<http::StatusCode>,
    error: Option<String>,
    pub(crate) what: String,
}

impl Failure {
    pub(crate) fn into_sign_in(self) -> SignInError {
        match (self.status, self.error) {
            (Some(s), Some(error)) if s.is_client_error() => SignInError::Refused(
                error
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .take(64)
                    .collect(),
            ),
            _ => SignInError::Provider(self.what),
        }
    }
}

pub(crate) fn tls_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// A small HTTPS client for the provider's discovery document, keys and token endpoint; JSON
/// answers of at most 1 MiB. It trusts the Mozilla set of roots compiled in (`webpki-roots`,
/// as the local server's mail client does): nothing is read from the system's certificate
/// store, which would cost every Lambda init that builds the provider a read and parse of the
/// whole store.
pub(crate) struct Fetch {
    client: Client<Https, Full<Bytes>>,
}

impl Fetch {
    pub(crate) fn new() -> Result<Fetch, rustls::Error> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(tls_provider())?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Fetch {
            client: Client::builder(TokioExecutor::new()).build(https),
        })
    }

    pub(crate) async fn json(&self, req: http::Request<Full<Bytes>>) -> Result<Value, Failure> {
        let failure = |what: String| Failure {
            status: None,
            error: None,
            what,
        };
        let work = async {
            let res = self
                .client
                .request(req)
                .await
                .map_err(|e| failure(format!("the request failed: {e}")))?;
            let status = res.status();
            let body = Limited::new(res.into_body(), 1 << 20)
                .collect()
                .await
                .map_err(|_| failure("the answer could not be read".into()))?
                .to_bytes();
            Ok::<_, Failure>((status, body))
        };
        let (status, body) = tokio::time::timeout(PROVIDER_TIMEOUT, work)
            .await
            .map_err(|_| failure("it did not answer in time".into()))??;
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        if !status.is_success() {
            return Err(Failure {
                status: Some(status),
                error: json
                    .as_ref()
                    .and_then(|j| j.get("error"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                what: format!("it answered {status}"),
            });
        }
        json.ok_or_else(|| failure("it did not answer with JSON".into()))
    }

    pub(crate) async fn get(&self, url: &str) -> Result<Value, Failure> {
        let req = http::Request::get(url)
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::new()))
            .map_err(|_| Failure {
                status: None,
                error: None,
                what: "its address is not valid".into(),
            })?;
        self.json(req).await
    }
}
