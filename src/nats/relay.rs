//! `podium relay`: serves the rooms seen on NATS to viewers, without re-serializing.
