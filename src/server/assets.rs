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
        "connection.js",
        "text/javascript; charset=utf-8",
        include_str!("../../web/connection.js"),
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

/// The content type and body of an asset, if there is one by that name.
pub fn asset(name: &str) -> Option<(&'static str, &'static str)> {
    ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, kind, body)| (*kind, *body))
}
