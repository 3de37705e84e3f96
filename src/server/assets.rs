//! The web pages, embedded in the binary at build time so `podium` runs anywhere without `web/`.

/// `(name, content type, body)` for every file served under `/assets/`.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../web/style.css"),
    ),
    (
        "control.css",
        "text/css; charset=utf-8",
        include_str!("../../web/control.css"),
    ),
    (
        "speaker.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/speaker.js"),
    ),
    (
        "control.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/control.js"),
    ),
    (
        "display.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/display.js"),
    ),
    (
        "i18n.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/i18n.js"),
    ),
    (
        "connection.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/connection.js"),
    ),
    (
        "clocksync.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/clocksync.js"),
    ),
    (
        "agenda.css",
        "text/css; charset=utf-8",
        include_str!("../../web/agenda.css"),
    ),
    (
        "agenda.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/agenda.js"),
    ),
    (
        "views.css",
        "text/css; charset=utf-8",
        include_str!("../../web/views.css"),
    ),
    (
        "cues.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/cues.js"),
    ),
    (
        "overview.css",
        "text/css; charset=utf-8",
        include_str!("../../web/overview.css"),
    ),
    (
        "overview.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/overview.js"),
    ),
    (
        "share.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/share.js"),
    ),
    (
        "context.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/context.js"),
    ),
    (
        "context.css",
        "text/css; charset=utf-8",
        include_str!("../../web/context.css"),
    ),
    (
        "popout.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/popout.js"),
    ),
    (
        "popout.css",
        "text/css; charset=utf-8",
        include_str!("../../web/popout.css"),
    ),
];

pub const SPEAKER_HTML: &str = include_str!("../../web/speaker.html");

/// The speaker page marked as the overlay view (`data-view="overlay"` on its `<body>`).
pub fn overlay_html() -> &'static str {
    static OVERLAY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let marked = SPEAKER_HTML.replacen(
            "<body class=\"speaker\">",
            "<body class=\"speaker\" data-view=\"overlay\">",
            1,
        );
        assert_ne!(
            marked, SPEAKER_HTML,
            "speaker.html has <body class=\"speaker\">"
        );
        marked
    });
    &OVERLAY
}
pub const CONTROL_HTML: &str = include_str!("../../web/control.html");
pub const AGENDA_HTML: &str = include_str!("../../web/agenda.html");
pub const OVERVIEW_HTML: &str = include_str!("../../web/overview.html");

/// The content type and body of an asset, if there is one by that name.
pub fn asset(name: &str) -> Option<(&'static str, &'static str)> {
    ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, kind, body)| (*kind, *body))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file a page links (`/assets/x.css`) and every module a page or a module imports
    /// (`from './x.js'`) is served, so a page never fails on a missing import; and every script
    /// and style sheet in `web/` is served.
    #[test]
    fn every_imported_module_is_served() {
        let pages = [SPEAKER_HTML, CONTROL_HTML, AGENDA_HTML, OVERVIEW_HTML];
        let scripts = ASSETS.iter().filter(|(name, _, _)| name.ends_with(".js"));
        for text in pages.into_iter().chain(scripts.map(|(_, _, body)| *body)) {
            let linked = text.split("\"/assets/").skip(1);
            for link in linked.chain(text.split("from './").skip(1)) {
                let name = link.split(['\'', '"']).next().unwrap_or_default();
                assert!(asset(name).is_some(), "{name} is imported but not served");
            }
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/web");
        for entry in std::fs::read_dir(dir).expect("web/ is readable") {
            let name = entry.expect("a directory entry").file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".js") || name.ends_with(".css") {
                assert!(asset(&name).is_some(), "web/{name} is not served");
            }
        }
    }
}
