//! The `POST /api/command` body parser on arbitrary bytes: a `Command` or a reason, never a panic;
//! an accepted message is short and free of control characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podium::engine::Command;
use podium::protocol::{MAX_MESSAGE_CHARS, parse_command};

fuzz_target!(|data: &[u8]| {
    match parse_command(data) {
        Ok(Command::Message(text)) => {
            assert!(text.chars().count() <= MAX_MESSAGE_CHARS);
            assert!(!text.chars().any(char::is_control));
        }
        Ok(_) => {}
        Err(why) => assert!(!why.is_empty()),
    }
});
