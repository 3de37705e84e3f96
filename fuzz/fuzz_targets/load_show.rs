//! The session loader on arbitrary text: it returns a `Show` or a `LoadError`, never panics, and
//! every `Show` it returns keeps the loader's promises and runs through the engine.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use podium::engine::{Command, Engine, ShowTime};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let show = match podium::show::load_str(Path::new("fuzz.toml"), text) {
        Ok(show) => show,
        Err(e) => {
            // Every refusal can be displayed (FILE:LINE:COL and a remedy).
            let _ = e.to_string();
            return;
        }
    };
    assert!(!show.segments.is_empty());
    for seg in &show.segments {
        assert!(!seg.duration.is_zero());
        assert!(
            seg.warn < seg.duration,
            "warn {:?} >= duration {:?}",
            seg.warn,
            seg.duration
        );
        if let Some(max) = seg.max {
            assert!(max >= seg.duration);
        }
    }
    let _ = show.total();
    let _ = show.planned_offset(show.segments.len() - 1);
    let mut engine = Engine::new(&show);
    let _ = engine.apply(Command::Start, ShowTime(0));
    let _ = engine.tick(ShowTime(i64::from(u32::MAX)));
    let _ = engine.snapshot(ShowTime(i64::from(u32::MAX)));
});
