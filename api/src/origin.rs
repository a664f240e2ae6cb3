//! Who is calling from where: the client address (through a trusted proxy's header only when
//! configured), the TCP peer itself, and the origin an audit entry records.

use aide::OperationInput;
use axum::{extract::FromRequestParts, http::request::Parts};

use crate::state::AppState;

/// The client's address: from `server.client_ip_header` when a trusted proxy sets it (for
/// `X-Forwarded-For` the last entry, the one that proxy appended), else the TCP peer. A
/// forwarded header is never believed unless configured.
pub fn client_ip(parts: &Parts, trusted_header: Option<&str>) -> Option<std::net::IpAddr> {
    let from_proxy = trusted_header.and_then(|name| {
        let value = parts
            .headers
            .get_all(name)
            .iter()
            .next_back()?
            .to_str()
            .ok()?;
        value.rsplit(',').next()?.trim().parse().ok()
    });
    from_proxy.or_else(|| peer_ip(parts))
}

fn peer_ip(parts: &Parts) -> Option<std::net::IpAddr> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
}

/// `client_ip` as configured for this server, as text.
fn caller_ip(parts: &Parts, state: &AppState) -> Option<String> {
    client_ip(parts, state.settings.server.client_ip_header.as_deref()).map(|ip| ip.to_string())
}

/// The client's address as text (`unknown` when the server has no peer, as in tests).
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            caller_ip(parts, state).unwrap_or_else(|| "unknown".to_owned()),
        ))
    }
}

impl OperationInput for ClientIp {}

/// Where an audited change came from: client address and request id.
pub struct AuditOrigin(pub shared::services::audit::Origin);

impl FromRequestParts<AppState> for AuditOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(shared::services::audit::Origin {
            ip: caller_ip(parts, state),
            request_id: crate::request_id::current(),
        }))
    }
}

impl OperationInput for AuditOrigin {}

/// The TCP peer's address itself, whatever a proxy says (access rules for this machine).
pub struct PeerIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(peer_ip(parts)))
    }
}

impl OperationInput for PeerIp {}
