//! Who a request to a function comes from, for the rate limits: straight from the client
//! through the HTTP API, or through the optional CloudFront distribution in front of it (with
//! the optional WAF web ACL; `infra/template.yaml`, `docs/aws.md`).

use lambda_http::request::RequestContext;
use p3_api::ClientAddr;

/// The header CloudFront adds to every request it passes to the API when the stack puts a
/// distribution in front of it (`infra/template.yaml`, `EdgeDistribution`), with the value
/// the functions get in `EDGE_ORIGIN_TOKEN`. A request without it did not come through the
/// distribution (it was sent to the API's own address), so its viewer headers are not trusted.
pub const EDGE_TOKEN_HEADER: &str = "x-p3-edge";

/// The client's address for the rate limits. Straight to the API, the source IP API Gateway
/// saw. Through the distribution, that is CloudFront's address, shared by everyone behind the
/// same edge, so the client's own is taken from `CloudFront-Viewer-Address` (`ip:port`, which
/// CloudFront sets and overwrites), only when the request carries the edge's token:
/// `X-Forwarded-For` is never read, as a client can start it with any address it likes.
pub fn client_ip(
    source_ip: Option<&str>,
    headers: &http::HeaderMap,
    edge_token: Option<&str>,
) -> Option<String> {
    let from_edge = edge_token.filter(|t| !t.is_empty()).is_some_and(|token| {
        headers
            .get(EDGE_TOKEN_HEADER)
            .is_some_and(|v| v.as_bytes() == token.as_bytes())
    });
    let viewer = from_edge
        .then(|| headers.get("cloudfront-viewer-address")?.to_str().ok())
        .flatten()
        .and_then(|v| v.rsplit_once(':'))
        .and_then(|(ip, _port)| ip.parse::<std::net::IpAddr>().ok())
        .map(|ip| ip.to_string());
    viewer.or_else(|| source_ip.map(str::to_string))
}

/// Puts the client's address ([`client_ip`]) in the request's extensions.
pub(crate) async fn client_addr(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    static EDGE_TOKEN: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let edge_token = EDGE_TOKEN.get_or_init(|| std::env::var("EDGE_ORIGIN_TOKEN").ok());
    let source_ip = match req.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    };
    if let Some(ip) = client_ip(source_ip.as_deref(), req.headers(), edge_token.as_deref()) {
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    http::HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn through_the_distribution_the_client_is_the_viewer() {
        let h = headers(&[
            ("x-p3-edge", "token-1"),
            ("cloudfront-viewer-address", "203.0.113.7:51234"),
            ("x-forwarded-for", "198.51.100.1, 203.0.113.7"),
        ]);
        assert_eq!(
            client_ip(Some("130.176.0.1"), &h, Some("token-1")).as_deref(),
            Some("203.0.113.7")
        );
        let v6 = headers(&[
            ("x-p3-edge", "token-1"),
            ("cloudfront-viewer-address", "2001:db8:1:2::9:443"),
        ]);
        assert_eq!(
            client_ip(Some("130.176.0.1"), &v6, Some("token-1")).as_deref(),
            Some("2001:db8:1:2::9")
        );
    }

    #[test]
    fn viewer_headers_without_the_edge_token_are_not_trusted() {
        let forged = headers(&[
            ("cloudfront-viewer-address", "192.0.2.99:1"),
            ("x-forwarded-for", "192.0.2.99"),
        ]);
        // Straight to the API: the source IP, whatever the headers claim.
        assert_eq!(
            client_ip(Some("198.51.100.5"), &forged, Some("token-1")).as_deref(),
            Some("198.51.100.5")
        );
        let wrong = headers(&[
            ("x-p3-edge", "guess"),
            ("cloudfront-viewer-address", "192.0.2.99:1"),
        ]);
        assert_eq!(
            client_ip(Some("198.51.100.5"), &wrong, Some("token-1")).as_deref(),
            Some("198.51.100.5")
        );
        // No distribution deployed (an empty token): an empty header does not match.
        let empty = headers(&[
            ("x-p3-edge", ""),
            ("cloudfront-viewer-address", "192.0.2.99:1"),
        ]);
        assert_eq!(
            client_ip(Some("198.51.100.5"), &empty, Some("")).as_deref(),
            Some("198.51.100.5")
        );
        assert_eq!(
            client_ip(Some("198.51.100.5"), &empty, None).as_deref(),
            Some("198.51.100.5")
        );
    }
}
