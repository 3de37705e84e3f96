//! The WebSocket client-message parser on arbitrary text: a ping, a clock-sync report, a
//! token-bearing command or a reason, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podium::protocol::{ClientMsg, parse_client_msg};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_client_msg(text) {
        Ok(ClientMsg::Ping { client_ms, .. }) => assert!(client_ms.is_finite()),
        Ok(ClientMsg::Sync { rtt_ms, offset_ms }) => {
            assert!(rtt_ms.is_finite() && offset_ms.is_finite())
        }
        Ok(ClientMsg::Command { .. } | ClientMsg::Auth { .. }) => {}
        Err(why) => assert!(!why.is_empty()),
    }
});
