//! Where `p3 serve` listens. The command line wins over the config file: `--listen ADDR:PORT`
//! or `--port PORT` (on 127.0.0.1, as before) replace `[server] listen`; giving both flags is
//! refused, as they would name two ports. With none of them: 127.0.0.1:3000.

use std::net::{Ipv4Addr, SocketAddr};

/// The port when nothing says otherwise.
pub const DEFAULT_PORT: u16 = 3000;

/// What decided the address, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `--listen` or `--port`.
    CommandLine,
    /// `[server] listen`.
    Config,
    /// Neither.
    Default,
}

/// The address to listen on.
pub fn resolve(
    port: Option<u16>,
    listen: Option<SocketAddr>,
    configured: Option<SocketAddr>,
) -> (SocketAddr, Source) {
    match (listen, port, configured) {
        (Some(addr), _, _) => (addr, Source::CommandLine),
        (None, Some(port), _) => ((Ipv4Addr::LOCALHOST, port).into(), Source::CommandLine),
        (None, None, Some(addr)) => (addr, Source::Config),
        (None, None, None) => ((Ipv4Addr::LOCALHOST, DEFAULT_PORT).into(), Source::Default),
    }
}

/// The URL a client uses for `addr` (`https://[::1]:8443` when over TLS).
pub fn url(addr: SocketAddr, tls: bool) -> String {
    format!("{}://{addr}", if tls { "https" } else { "http" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_wins_and_port_keeps_loopback() {
        let conf: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let flag: SocketAddr = "[::1]:9000".parse().unwrap();
        assert_eq!(
            resolve(None, Some(flag), Some(conf)),
            (flag, Source::CommandLine)
        );
        assert_eq!(
            resolve(Some(4000), None, Some(conf)).0,
            "127.0.0.1:4000".parse().unwrap()
        );
        assert_eq!(resolve(None, None, Some(conf)), (conf, Source::Config));
        assert_eq!(
            resolve(None, None, None).0,
            "127.0.0.1:3000".parse().unwrap()
        );
        assert_eq!(url(flag, true), "https://[::1]:9000");
    }
}
