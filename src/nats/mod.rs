//! NATS, the optional link beyond one machine (issue 13): the moderator's process publishes each
//! room's state to a subject per room (`origin`), relays serve those bytes to viewers elsewhere
//! (`relay`), and a standby follows the journal to take over. Every name is built in `subjects`.
//!
//! Only outbound connections: the origin may sit behind NAT. A connection reconnects forever with
//! bounded buffers; while it is down, publications are dropped, not queued without bound, and the
//! last values are published again once it is back.
//!
//! **Invariant:** without `--nats` nothing here runs.

pub mod journal;
pub mod lease;
pub mod origin;
pub mod relay;
pub mod standby;
pub mod subjects;

use std::time::Duration;

/// Largest message podium accepts from NATS (a state is a few KiB; a show or an agenda tens).
pub const MAX_MESSAGE: usize = 256 * 1024;

/// How long a request over NATS (a forwarded command, a time probe) may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Messages one subscription buffers before the client counts its reader as slow.
const SUBSCRIPTION_CAPACITY: usize = 4096;

/// What can go wrong talking to NATS. Each says which part failed and carries the client's reason.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    #[error("cannot connect to NATS at {url}: {source} (is nats-server running there?)")]
    Connect {
        url: String,
        #[source]
        source: async_nats::ConnectError,
    },
    #[error("cannot subscribe to {subject}: {source}")]
    Subscribe {
        subject: String,
        #[source]
        source: async_nats::SubscribeError,
    },
    #[error("cannot publish to {subject}: {source}")]
    Publish {
        subject: String,
        #[source]
        source: async_nats::PublishError,
    },
    #[error("request on {subject} failed: {source}")]
    Request {
        subject: String,
        #[source]
        source: async_nats::RequestError,
    },
    #[error("JetStream: {0} (is nats-server started with -js?)")]
    JetStream(String),
    #[error("nothing to publish: no room of this event is controlled by this process")]
    NoRooms,
}

/// Connects to `url` as `name` (shown by the server's monitoring): reconnects forever; with
/// `wait` false the first connection is also retried in the background (the show goes on
/// without NATS), with `wait` true a refused first connection is an error.
pub async fn connect(url: &str, name: &str, wait: bool) -> Result<async_nats::Client, NatsError> {
    let mut options = async_nats::ConnectOptions::new()
        .name(name)
        .max_reconnects(None)
        .subscription_capacity(SUBSCRIPTION_CAPACITY)
        .request_timeout(Some(REQUEST_TIMEOUT))
        .ping_interval(Duration::from_secs(5))
        .reconnect_delay_callback(reconnect_delay)
        .event_callback(|event| async move {
            match event {
                async_nats::Event::Connected => tracing::info!("NATS connected"),
                async_nats::Event::Disconnected => tracing::warn!("NATS disconnected; retrying"),
                other => tracing::debug!("NATS: {other}"),
            }
        });
    if !wait {
        options = options.retry_on_initial_connect();
    }
    options
        .connect(url)
        .await
        .map_err(|source| NatsError::Connect {
            url: url.to_owned(),
            source,
        })
}

/// Retry soon, then at most every 500 ms: a restarted server is back within a second or two,
/// and a relay's viewers wait for it.
fn reconnect_delay(attempts: usize) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(10);
    Duration::from_millis(2u64.saturating_pow(exp).saturating_mul(10))
        .min(Duration::from_millis(500))
}
