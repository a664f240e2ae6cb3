//! Calling addresses a user gave us: only public ones. A URL is checked before each use and
//! the connection pinned to the address that was checked (so a DNS answer cannot change
//! between the check and the call), redirects are not followed, and hosts an operator
//! allow-listed skip the check (internal Jira, a receiver on the same network).

use std::net::{IpAddr, SocketAddr};

/// Addresses a server must never be sent to on a user's say-so: loopback, private,
/// link-local (cloud metadata), carrier-grade NAT, documentation, multicast and reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// A URL we may call: parsed, and the checked address to pin the connection to (None for an
/// allow-listed host). `what` names it in the refusal ("the Jira site", "the endpoint").
pub async fn check_public_url(
    raw: &str,
    what: &str,
    allowed_hosts: &[String],
) -> Result<(url::Url, Option<SocketAddr>), String> {
    let url = url::Url::parse(raw.trim().trim_end_matches('/'))
        .map_err(|e| format!("{what} URL is not a URL: {e}"))?;
    let host = url
        .host_str()
        .ok_or_else(|| format!("{what} URL has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{what} URL must not carry credentials"));
    }
    if allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(&host)) {
        return Ok((url, None));
    }
    if url.scheme() != "https" {
        return Err(format!("{what} URL must be https"));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("{what} host {host} does not resolve: {e}"))?
        .collect();
    if addrs.is_empty() || addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(format!(
            "{what} host {host} resolves to a private, loopback or link-local address; only public \
             addresses are allowed"
        ));
    }
    Ok((url, addrs.first().copied()))
}

/// An HTTP client for one checked URL: pinned to the checked address, never following a
/// redirect (a redirect could point anywhere).
pub fn pinned_client(
    url: &url::Url,
    pinned: Option<SocketAddr>,
    timeout: std::time::Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    crate::ai::init_crypto();
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none());
    if let (Some(addr), Some(host)) = (pinned, url.host_str()) {
        builder = builder.resolve(host, addr);
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["104.192.141.1", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn private_hosts_http_and_credentials_are_refused_unless_allow_listed() {
        let none: Vec<String> = Vec::new();
        for (url, needle) in [
            ("https://127.0.0.1/hook", "private, loopback"),
            ("https://[::1]:8443/hook", "private, loopback"),
            (
                "https://169.254.169.254/latest/meta-data",
                "private, loopback",
            ),
            ("https://localhost/hook", "private, loopback"),
            ("http://example.com/hook", "must be https"),
            ("https://user:pw@example.com/hook", "credentials"),
            ("not a url", "not a URL"),
        ] {
            let err = check_public_url(url, "the endpoint", &none)
                .await
                .unwrap_err();
            assert!(err.contains(needle), "{url}: {err}");
        }
        let allowed = vec!["127.0.0.1".to_owned()];
        let (url, pinned) = check_public_url("http://127.0.0.1:9/hook", "the endpoint", &allowed)
            .await
            .unwrap();
        assert_eq!(url.port(), Some(9));
        assert!(pinned.is_none());
    }
}
