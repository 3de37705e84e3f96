//! Who may talk to the server from a browser: the `Host` a request names (against DNS rebinding)
//! and the `Origin` of a page opening the WebSocket (browsers let any page open a socket to any
//! server, so without this check every site the speaker visits could read the live state).
//!
//! - **Host**, on every route: an IP address (a page at an IP address is that address's own
//!   origin, so no rebinding is possible), `localhost` and `*.localhost`, the machine's own names,
//!   and the hosts of `--allow-origin`. A rebinding page names its own domain: refused with `403`.
//! - **Origin**, on `/ws`: none (not a browser: `podium follow`, OBS, scripts), the server's own
//!   (the origin's `host:port` is the request's `Host`), or one given with `--allow-origin`;
//!   anything else, `null` included unless allowed, is refused with `403`.
//!
//! Also here: the addresses to print for speakers ([`reachable`]), which must be names this
//! policy accepts.
//!
//! **Invariant:** pure string checks, no I/O, except [`machine_names`] and
//! [`machine_addresses`], which the caller runs once at start-up.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The policy, built once from the configuration.
#[derive(Debug, Clone, Default)]
pub(crate) struct Policy {
    /// Normalised origins (`scheme://host[:port]`, or `null`).
    origins: Vec<String>,
    /// Lower-case host names.
    hosts: Vec<String>,
    tls: bool,
}

impl Policy {
    pub(crate) fn new(origins: &[String], hosts: &[String], tls: bool) -> Policy {
        let mut names: Vec<String> = hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
        names.extend(
            origins
                .iter()
                .filter_map(|o| o.split_once("://"))
                .map(|(_, authority)| host_of(authority).to_owned()),
        );
        Policy {
            origins: origins.iter().map(|o| o.to_ascii_lowercase()).collect(),
            hosts: names,
            tls,
        }
    }

    /// Whether a request naming `host` (the `Host` header, port and all) may be answered.
    pub(crate) fn host_allowed(&self, host: &str) -> bool {
        let name = host_of(host);
        name.parse::<std::net::IpAddr>().is_ok()
            || name == "localhost"
            || name.ends_with(".localhost")
            || self.hosts.contains(&name)
    }

    /// Whether a page from `origin` may open the socket of a request naming `host`.
    pub(crate) fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        let Ok(origin) = normalize(origin) else {
            return false;
        };
        if self.origins.contains(&origin) {
            return true;
        }
        // The scheme is not compared: a TLS front (a reverse proxy) may serve the page as https
        // while this server is plain.
        let (Some((_, authority)), Some(host)) = (origin.split_once("://"), host) else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        let own_default = if self.tls { ":443" } else { ":80" };
        let host = host.strip_suffix(own_default).unwrap_or(&host);
        authority == host
    }
}

/// `scheme://host[:port]` in lower case, without a default port, a path or a trailing slash; or
/// `null`. The error says what to write.
pub fn normalize(origin: &str) -> Result<String, String> {
    let origin = origin.trim().to_ascii_lowercase();
    if origin == "null" {
        return Ok(origin);
    }
    let usage = || {
        format!(
            "{origin:?} is not a web origin; write scheme://host[:port], e.g. http://192.168.1.20:8080"
        )
    };
    let (scheme, rest) = origin.split_once("://").ok_or_else(usage)?;
    if !matches!(scheme, "http" | "https") {
        return Err(usage());
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty()
        || authority.contains(['/', '?', '#', '@', ' '])
        || host_of(authority).is_empty()
    {
        return Err(usage());
    }
    let default = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default).unwrap_or(authority);
    Ok(format!("{scheme}://{authority}"))
}

/// The host of `host[:port]` or `[v6]:port`, lower case, without a trailing dot.
fn host_of(authority: &str) -> String {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => authority,
        }
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// The `host:port`s speakers can use to reach a server listening on `addr`: for a wildcard address
/// (`0.0.0.0`, `[::]`), every address of the machine in `interfaces` that another machine can
/// reach (not loopback, not link-local; an IPv6 wildcard takes IPv4 too), IPv4 first, and
/// loopback last; otherwise `addr` itself.
pub fn reachable(addr: SocketAddr, interfaces: &[IpAddr]) -> Vec<String> {
    let ip = addr.ip();
    if !ip.is_unspecified() {
        return vec![addr.to_string()];
    }
    let usable = |candidate: &&IpAddr| match candidate {
        IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_link_local() && !v4.is_unspecified(),
        IpAddr::V6(v6) => {
            ip.is_ipv6()
                && !v6.is_loopback()
                && !v6.is_unspecified()
                && !v6.is_unicast_link_local()
                && v6.to_ipv4_mapped().is_none()
        }
    };
    let mut found: Vec<IpAddr> = interfaces.iter().filter(usable).copied().collect();
    found.sort_by_key(|a| (a.is_ipv6(), *a));
    found.dedup();
    let loopback = if ip.is_ipv6() {
        IpAddr::V6(Ipv6Addr::LOCALHOST)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    };
    found.push(loopback);
    found
        .into_iter()
        .map(|a| SocketAddr::new(a, addr.port()).to_string())
        .collect()
}

/// The machine's interface addresses (empty if they cannot be read).
pub fn machine_addresses() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces.into_iter().map(|i| i.ip()).collect(),
        Err(e) => {
            tracing::warn!("cannot list this machine's addresses: {e}");
            Vec::new()
        }
    }
}

/// The machine's own host names (`name` and `name.local`), for the `Host` check; empty if the
/// name cannot be read.
pub fn machine_names() -> Vec<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let name = name.trim().to_ascii_lowercase();
    if name.is_empty() || name == "localhost" {
        return Vec::new();
    }
    let short = name.split('.').next().unwrap_or(&name).to_owned();
    let mut names = vec![name.clone(), format!("{short}.local")];
    if short != name {
        names.push(short);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_lists_reachable_addresses_with_loopback_last() {
        let ips: Vec<IpAddr> = [
            "127.0.0.1",
            "::1",
            "fe80::1",
            "192.168.1.20",
            "fd00::2",
            "10.0.0.5",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        let any4: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(
            reachable(any4, &ips),
            ["10.0.0.5:8080", "192.168.1.20:8080", "127.0.0.1:8080"]
        );
        let any6: SocketAddr = "[::]:8080".parse().unwrap();
        assert_eq!(
            reachable(any6, &ips),
            [
                "10.0.0.5:8080",
                "192.168.1.20:8080",
                "[fd00::2]:8080",
                "[::1]:8080"
            ]
        );
        assert_eq!(reachable(any4, &[]), ["127.0.0.1:8080"]);
        let one: SocketAddr = "192.168.1.20:9000".parse().unwrap();
        assert_eq!(reachable(one, &ips), ["192.168.1.20:9000"]);
    }

    #[test]
    fn origins_are_normalised_or_refused_with_an_example() {
        assert_eq!(
            normalize("HTTP://OBS.example:80/"),
            Ok("http://obs.example".into())
        );
        assert_eq!(
            normalize("https://a.example:8443"),
            Ok("https://a.example:8443".into())
        );
        assert_eq!(normalize("https://[::1]:443"), Ok("https://[::1]".into()));
        assert_eq!(normalize("null"), Ok("null".into()));
        for bad in [
            "obs.example",
            "ftp://x",
            "http://",
            "http://x/path",
            "http://u@x",
        ] {
            assert!(
                normalize(bad).unwrap_err().contains("scheme://host"),
                "{bad}"
            );
        }
    }

    #[test]
    fn hosts_are_addresses_loopback_names_and_given_names() {
        let policy = Policy::new(
            &["https://podium.example.org".into()],
            &["Studio".into()],
            false,
        );
        for ok in [
            "127.0.0.1:8080",
            "[::1]:8080",
            "192.168.1.20",
            "localhost:8080",
            "localhost.",
            "app.localhost",
            "studio:8080",
            "podium.example.org",
        ] {
            assert!(policy.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "localhost.evil.example",
            "127.0.0.1.evil.example:80",
            "",
        ] {
            assert!(!policy.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn an_origin_is_the_servers_own_or_an_allowed_one() {
        let policy = Policy::new(&["http://obs.example:9000".into()], &[], false);
        let host = Some("127.0.0.1:8080");
        assert!(policy.origin_allowed("http://127.0.0.1:8080", host));
        assert!(policy.origin_allowed("http://obs.example:9000", host));
        assert!(!policy.origin_allowed("http://localhost:8080", host));
        assert!(!policy.origin_allowed("http://evil.example", host));
        assert!(!policy.origin_allowed("null", host));
        assert!(!policy.origin_allowed("http://127.0.0.1:8080", None));
        // Default ports: a page at http://studio.lan is the server at Host studio.lan(:80).
        assert!(policy.origin_allowed("http://studio.lan", Some("studio.lan")));
        assert!(policy.origin_allowed("http://studio.lan", Some("studio.lan:80")));
        // Behind a TLS proxy that keeps the Host: https page, plain server.
        assert!(policy.origin_allowed("https://podium.example.org", Some("podium.example.org")));
    }
}
