//! A standby's following: the primary's journals read from JetStream into each room's
//! [`Mirror`], line by line, and the takeover's catch-up and promotion of every room from them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::jetstream::consumer;
use futures_util::StreamExt;
use tokio::time::Instant;

use super::{Link, RoomLink, StandbyError, sender_id};
use crate::controller::Handle;
use crate::journal::{self, Journal, Line, Recorded};
use crate::nats::journal::{Mirror, Mirrored, Replica};
use crate::nats::lease::{self, Holding};
use crate::nats::{NatsError, subjects};
use crate::term;

impl Link {
    /// A standby starts following only once a primary renews the lease: the stream may still
    /// hold an older run (a primary that has just taken the lease purges it before it renews).
    pub(super) async fn await_primary(&mut self) -> Result<(), StandbyError> {
        let event = &self.options.event;
        let first = lease::read(&self.store, event).await?.map(|e| e.revision);
        let since = Instant::now();
        let mut told = false;
        loop {
            tokio::time::sleep(lease::WATCH_EVERY).await;
            let now = lease::read(&self.store, event).await?;
            if let Some(entry) = &now
                && Some(entry.revision) != first
                && !entry.lease.holder.is_empty()
            {
                self.primary = Some((entry.lease.holder.clone(), entry.lease.epoch));
                return Ok(());
            }
            if !told && since.elapsed() >= self.options.lease {
                told = true;
                term::say(format_args!(
                    "podium: standby of {event}: no primary renews the lease; waiting for one"
                ));
            }
        }
    }

    /// Follows every room's journal from the stream's start, into new mirrors, until each has
    /// its header.
    pub(super) async fn start_following(&mut self) -> Result<(), StandbyError> {
        if self.generation > 0 {
            for room in &mut self.rooms {
                let path = after_generation(room.mirror.path(), self.generation);
                room.mirror = Mirror::new(&path);
            }
        }
        self.generation += 1;
        let consumer = self
            .stream
            .create_consumer(consumer::push::OrderedConfig {
                deliver_subject: self.client.new_inbox(),
                filter_subject: subjects::journals_of(&self.options.event),
                deliver_policy: consumer::DeliverPolicy::All,
                ..Default::default()
            })
            .await
            .map_err(|e| NatsError::JetStream(format!("following the journals: {e}")))?;
        let messages = consumer
            .messages()
            .await
            .map_err(|e| NatsError::JetStream(format!("following the journals: {e}")))?;
        self.messages = Some(messages);
        let mut told = false;
        while !self.rooms.iter().all(|r| r.mirror.started()) {
            if !told {
                told = true;
                term::say(format_args!(
                    "podium: standby of {}: waiting for the primary's journal on NATS",
                    self.options.event
                ));
            }
            self.next_line().await?;
        }
        Ok(())
    }

    /// Takes the next journal line from the stream into its room's mirror; says which room
    /// changed in a way a replay shows.
    pub(super) async fn next_line(&mut self) -> Result<Option<usize>, StandbyError> {
        let Some(messages) = self.messages.as_mut() else {
            return Ok(None);
        };
        let message = match messages.next().await {
            Some(Ok(message)) => message,
            Some(Err(e)) => {
                tracing::warn!("following the journals on NATS: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Ok(None);
            }
            None => {
                return Err(NatsError::JetStream("the journal consumer ended".into()).into());
            }
        };
        let message = &message.message;
        let Some((_, room)) = subjects::parse_journal(message.subject.as_str()) else {
            return Ok(None);
        };
        let Some(index) = self.rooms.iter().position(|r| r.id == room) else {
            return Ok(None);
        };
        let Some(number) = message
            .headers
            .as_ref()
            .and_then(crate::nats::journal::line_number)
        else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&message.payload);
        let mirror = &mut self.rooms[index].mirror;
        match mirror.accept(number, text.trim_end()) {
            Ok(Mirrored::Header | Mirrored::Line { command: true }) => Ok(Some(index)),
            Ok(_) => Ok(None),
            Err(source) => Err(StandbyError::Mirror {
                path: mirror.path().to_owned(),
                source,
            }),
        }
    }

    /// Catches up with every room's last line in the stream, then starts each room as the
    /// primary from its mirror, replayed, journaling (and replicating) after it.
    pub(super) async fn promote(
        &mut self,
        holding: &Holding,
        handles: &[Handle],
    ) -> Result<(), StandbyError> {
        let catch_up = Instant::now() + Duration::from_secs(5);
        for index in 0..self.rooms.len() {
            let last = crate::nats::journal::last_line(&self.stream, &self.rooms[index].subject)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!("taking over with the lines received so far: {e}");
                    None
                });
            while last.is_some_and(|last| self.rooms[index].mirror.lines() <= last)
                && Instant::now() < catch_up
            {
                let _ = tokio::time::timeout_at(catch_up, self.next_line()).await;
            }
        }
        self.messages = None;
        for (room, handle) in self.rooms.iter().zip(handles) {
            room.mirror.sync().map_err(|source| StandbyError::Mirror {
                path: room.mirror.path().to_owned(),
                source,
            })?;
            let recorded = room.recorded()?;
            let engine = recorded.replay(&room.show);
            let mut journal =
                Journal::reopen(&recorded).map_err(|source| StandbyError::Journal {
                    room: room.id.clone(),
                    source,
                })?;
            let clock = handle.clock();
            let now = clock.now();
            journal.queue(&[Line::Resume {
                at_ms: now.0,
                wall: journal::wall(clock.unix_ms(now)),
            }]);
            let lines = room.mirror.lines();
            let replica = Replica::start(
                self.client.clone(),
                room.subject.clone(),
                sender_id(
                    &room.subject,
                    recorded.header.unix_at_zero_ms,
                    holding.lease.epoch,
                ),
                lines,
                handle.journal_notice_sender(),
            );
            journal.replicate(replica, lines as usize);
            let _ = handle.promote(engine, journal).await;
        }
        tracing::info!("epoch {}: every room promoted", holding.lease.epoch);
        Ok(())
    }
}

impl RoomLink {
    /// Whether the primary's journal of this room ends with the run's end (asked every watch of
    /// the lease: the mirror knows it from the lines it took, without reading its file).
    pub(super) fn ended(&self) -> bool {
        self.mirror.ended()
    }

    pub(super) fn recorded(&self) -> Result<Recorded, StandbyError> {
        let fail = |source| StandbyError::Journal {
            room: self.id.clone(),
            source,
        };
        let recorded = journal::read(self.mirror.path()).map_err(fail)?;
        recorded
            .header
            .check_same_show(&recorded.path, &self.show, &self.hash)
            .map_err(fail)?;
        Ok(recorded)
    }
}

/// `x.jsonl` → `x-2.jsonl`: the copy of the journal of the primary followed after the first.
pub(super) fn after_generation(path: &Path, generation: u32) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{stem}-{}.jsonl", generation + 1))
}
