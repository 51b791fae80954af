//! Who the client is and whether it came over HTTPS, when `p3 serve` may sit behind a reverse
//! proxy. The socket peer is the client unless it is one of the configured trusted proxies;
//! only then are `X-Forwarded-For` (or `Forwarded: for=`) and `X-Forwarded-Proto` (or
//! `Forwarded: proto=`) believed, and the client is the right-most forwarded address that is not
//! itself a trusted proxy: every address left of it was written by someone we cannot trust.
//!
//! The answer reaches the handlers as [`ClientAddr`] and [`OverHttps`]; the forwarded headers
//! of an untrusted peer are removed and `X-Forwarded-Proto` is set to what was established, so
//! nothing further in can be fooled by them. Answers over HTTPS carry HSTS.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use p3_api::{ClientAddr, OverHttps};

/// Set on each request by the connection it came on: true when that connection is TLS.
#[derive(Debug, Clone, Copy)]
pub struct TlsConnection(pub bool);

/// The proxies whose forwarded headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");

/// HSTS for a year; not `includeSubDomains`, which would bind the landlord's other sites.
const HSTS: &str = "max-age=31536000";

impl TrustedProxies {
    /// Parses CIDRs (`10.0.0.0/8`, `::1/128`) or single addresses; the error names the entry.
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let e = e.trim();
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "server.trusted_proxies[{i}]: `{e}` is not an address range such as 10.0.0.0/8 or ::1/128"
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request from `peer`, and whether a trusted proxy says it came over https.
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> (IpAddr, bool) {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return (peer, false);
        }
        let hops = forwarded_for(headers);
        // Walk from the nearest hop outwards; stop at the first one we do not trust. A hop that
        // is not an address (`unknown`, garbage) ends the walk at the last address we know.
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if self.trusts(*ip) => client = *ip,
                Some(ip) => return (*ip, forwarded_https(headers)),
                None => break,
            }
        }
        (client, forwarded_https(headers))
    }
}

/// IPv4 addresses seen through an IPv6 socket (`::ffff:10.0.0.1`) compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn header_values<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// The forwarded chain, nearest last: `X-Forwarded-For` (what nginx, Caddy and HAProxy set)
/// when present, else the `for=` of each `Forwarded` element. `None` for a hop that is not an
/// address.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff = header_values(headers, &X_FORWARDED_FOR);
    if !xff.is_empty() {
        return xff.into_iter().map(parse_node).collect();
    }
    header_values(headers, &FORWARDED)
        .into_iter()
        .filter_map(|element| forwarded_param(element, "for"))
        .map(|v| parse_node(&v))
        .collect()
}

/// True when the nearest proxy says the client used https (`X-Forwarded-Proto`, else the last
/// `Forwarded` element's `proto=`).
fn forwarded_https(headers: &HeaderMap) -> bool {
    let proto = header_values(headers, &X_FORWARDED_PROTO)
        .last()
        .map(|p| p.to_string())
        .or_else(|| {
            header_values(headers, &FORWARDED)
                .into_iter()
                .filter_map(|element| forwarded_param(element, "proto"))
                .next_back()
        });
    proto.is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// A parameter of one `Forwarded` element (`for=192.0.2.1;proto=https`), unquoted.
fn forwarded_param(element: &str, name: &str) -> Option<String> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sa) = node.parse::<SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    node.strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .and_then(|n| n.parse::<IpAddr>().ok())
        .map(canonical)
}

/// Middleware: establishes the client and the scheme, cleans the forwarded headers, adds HSTS.
pub async fn identify_client(
    axum::extract::State(trusted): axum::extract::State<Arc<TrustedProxies>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let tls = req.extensions().get::<TlsConnection>().is_some_and(|t| t.0);
    let (client, proxied_https) = trusted.client_of(peer.ip(), req.headers());
    let https = tls || proxied_https;
    let headers = req.headers_mut();
    headers.remove(X_FORWARDED_FOR);
    headers.remove(FORWARDED);
    if https {
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("https"));
    } else {
        headers.remove(X_FORWARDED_PROTO);
    }
    req.extensions_mut().insert(ClientAddr(client.to_string()));
    req.extensions_mut().insert(OverHttps(https));
    let mut res = next.run(req).await;
    if https {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let t = proxies(&["10.0.0.0/8"]);
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(t.client_of(ip("192.0.2.9"), &h), (ip("192.0.2.9"), false));
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let t = proxies(&["10.0.0.0/8", "127.0.0.1/32"]);
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 198.51.100.7"),
            ("x-forwarded-for", "10.1.2.3"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(t.client_of(ip("127.0.0.1"), &h), (ip("198.51.100.7"), true));
    }

    #[test]
    fn forwarded_is_read_when_there_is_no_x_forwarded_for() {
        let t = proxies(&["::1/128"]);
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8::17]:4711\";proto=https",
        )]);
        assert_eq!(t.client_of(ip("::1"), &h), (ip("2001:db8::17"), true));
    }

    #[test]
    fn a_hop_that_is_not_an_address_stops_at_the_last_known_one() {
        let t = proxies(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "1.1.1.1, unknown, 10.0.0.5")]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &h), (ip("10.0.0.5"), false));
        let none = headers(&[]);
        assert_eq!(t.client_of(ip("10.0.0.1"), &none), (ip("10.0.0.1"), false));
    }

    #[test]
    fn mapped_ipv4_counts_as_ipv4_and_bad_ranges_are_named() {
        let t = proxies(&["127.0.0.1"]);
        let h = headers(&[("x-forwarded-for", "203.0.113.5")]);
        assert_eq!(
            t.client_of(ip("::ffff:127.0.0.1"), &h),
            (ip("203.0.113.5"), false)
        );
        let e = TrustedProxies::parse(&["10.0.0.0/8".into(), "nope".into()]).unwrap_err();
        assert!(e.starts_with("server.trusted_proxies[1]"), "{e}");
    }
}
