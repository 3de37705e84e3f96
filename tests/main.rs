//! podium's integration tests: one test binary (one link), one module per area. Each module
//! starts what it needs itself: servers on loopback port 0, the real binary, Chromium, D-Bus, tmux.
//! Shared support (servers, WebSocket clients, the browser driver) lives in [`common`].

mod common;

mod browser;
mod cli;
mod companion_doc;
mod dbus;
mod disk_full;
mod edits;
mod engine_props;
mod event;
mod follow;
mod import;
mod journal;
mod js;
mod languages;
mod limits;
mod loader;
mod nats_relay;
mod nats_standby;
mod osc;
mod overview;
mod phone_control;
mod plan;
mod presence;
mod presets;
mod presets_browser;
mod protocol_doc;
mod readme;
mod rooms;
mod security;
mod server;
mod share;
mod signals;
mod speaker_extras;
mod start_on_time;
mod sync_harness;
mod terminal;
mod time_base;
mod tls;
