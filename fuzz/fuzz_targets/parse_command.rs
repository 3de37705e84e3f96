//! The `POST /api/command` body parser on arbitrary bytes: a `Command` or a reason, never a panic;
//! an accepted message is short and free of control characters; and an accepted command survives
//! the journal's round trip (`command_json` then `parse_command` gives it back unchanged).
#![no_main]

use libfuzzer_sys::fuzz_target;
use podium::engine::{Command, Message, Text};
use podium::protocol::{MAX_MESSAGE_CHARS, command_json, parse_command};

fuzz_target!(|data: &[u8]| {
    match parse_command(data) {
        Ok(cmd) => {
            if let Command::Message(Message {
                text: Text::Written(text),
                ..
            }) = &cmd
            {
                assert!(text.chars().count() <= MAX_MESSAGE_CHARS);
                assert!(!text.chars().any(char::is_control));
            }
            let wire = command_json(&cmd).to_string();
            assert_eq!(parse_command(wire.as_bytes()), Ok(cmd), "{wire}");
        }
        Err(why) => assert!(!why.is_empty()),
    }
});
