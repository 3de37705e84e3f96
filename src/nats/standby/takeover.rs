//! `podium takeover`: releases an event's lease so that a standby becomes the primary.

use async_nats::jetstream;
use futures_util::StreamExt;

use super::{StandbyError, now_ms};
use crate::nats::lease::{self, Entry, LeaseError};
use crate::term;

/// `podium takeover`: releases the lease of `event` (or of the only event with one), so that a
/// standby takes over; the primary steps down at its next renewal. Returns what to tell.
pub async fn release(url: &str, event: Option<&str>) -> Result<String, StandbyError> {
    let client = crate::nats::connect(url, "podium takeover", true).await?;
    let js = jetstream::new(client);
    let store = lease::bucket(&js).await?;
    let event = match event {
        Some(event) => event.to_owned(),
        None => {
            let mut keys = store
                .keys()
                .await
                .map_err(|e| LeaseError::Read {
                    event: "(any)".into(),
                    why: e.to_string(),
                })?
                .filter_map(|k| async move { k.ok() })
                .collect::<Vec<String>>()
                .await;
            match keys.len() {
                1 => keys.remove(0),
                0 => {
                    return Err(StandbyError::Takeover(
                        "no event holds a lease on this NATS server: nothing to take over".into(),
                    ));
                }
                _ => {
                    keys.sort();
                    return Err(StandbyError::Takeover(format!(
                        "several events hold leases here ({}): name one with --event",
                        keys.join(", ")
                    )));
                }
            }
        }
    };
    let Some(Entry { lease, revision }) = lease::read(&store, &event).await? else {
        return Err(StandbyError::Takeover(format!(
            "nobody holds the lease of {event}: a standby takes it by itself"
        )));
    };
    let released = lease::Lease {
        holder: String::new(),
        epoch: lease.epoch,
        renewed_ms: now_ms(),
        lease_ms: lease.lease_ms,
    };
    match lease::take(&store, &event, Some(revision), released).await? {
        Some(_) => Ok(format!(
            "released the lease of {event} held by {} (epoch {}): the primary stops at its next \
             renewal, a standby takes over within {:?}",
            term::printable(if lease.holder.is_empty() {
                "nobody"
            } else {
                &lease.holder
            }),
            lease.epoch,
            lease::DEFAULT_LEASE
        )),
        None => Err(StandbyError::Takeover(format!(
            "the lease of {event} changed meanwhile; try again"
        ))),
    }
}
