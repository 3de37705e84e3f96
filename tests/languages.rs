//! The views in French and Spanish (issue 15), in headless Chromium against the real binary: the
//! speaker page's phase words, "Next:", the tab and `<html lang>`, by `?lang=`, by the browser's
//! language (Chromium's `--lang`), and by the session's `language` when the browser's is none of
//! the three; the agenda's labels, kinds and date. Screenshots for a person to look at:
//! `target/screenshots/lang-*.png`. The words themselves are tested in `tests/js/i18n.test.mjs`.

use crate::common;

use common::Process;
use common::browser::{Browser, Driver, Scratch, browser_available};
use serde::Deserialize;

const SHOW: &str = "tests/sessions/short.toml";
const NBSP: char = '\u{a0}';

/// What the speaker page says, read in one script.
#[derive(Debug, Deserialize)]
struct Said {
    lang: String,
    phase: Option<String>,
    label: String,
    next: String,
    ends_at: Option<String>,
    status: String,
    sound: String,
    /// `None` while the button is hidden (a touch screen, the overlay).
    popout: Option<String>,
}

const SAID: &str = r#"
    const $ = (id) => document.getElementById(id);
    const endsAt = $('ends-at');
    return {
        lang: document.documentElement.lang,
        phase: document.body.dataset.phase ?? null,
        label: $('label').hidden ? '' : $('label').textContent,
        next: $('next').hidden ? '' : $('next').textContent,
        ends_at: endsAt && !endsAt.hidden ? endsAt.textContent : null,
        status: $('status').textContent,
        sound: $('sound').textContent,
        popout: $('popout').hidden ? null : $('popout').textContent,
    };
"#;

async fn said(browser: &Browser) -> Said {
    browser.eval(SAID).await
}

/// Waits (10 s at most) until the page says what `pred` wants.
async fn said_until(browser: &Browser, what: &str, pred: impl Fn(&Said) -> bool) -> Said {
    let deadline = std::time::Instant::now() + common::browser::DEADLINE;
    loop {
        let now = said(browser).await;
        if pred(&now) {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}: {now:#?}"
        );
        tokio::time::sleep(common::browser::POLL).await;
    }
}

async fn podium(scratch: &Scratch, show: &str) -> Process {
    let journal = scratch.join("run.jsonl");
    Process::start(&["run", show, "--speed", "1", "--journal", &journal]).await
}

/// The speaker page in `lang` (by `?lang=`): 0:55 left of "Opening" (warning), then over time.
async fn speaker_in(lang: &str, expect: [&str; 3]) {
    let [warning, next, over] = expect;
    let scratch = Scratch::new(&format!("lang-{lang}"));
    let server = podium(&scratch, SHOW).await;
    let browser = Browser::start(&scratch).await;
    browser.goto(&format!("{}/?lang={lang}", server.base)).await;
    server.command(r#"{"cmd":"start"}"#).await;
    server.command(r#"{"cmd":"adjust","seconds":-65}"#).await;
    let seen = said_until(&browser, "the warning's words", |s| s.label == warning).await;
    assert_eq!(seen.lang, lang);
    assert_eq!(seen.next, next, "{seen:#?}");
    let connected = if lang == "fr" {
        "connecté"
    } else {
        "conectado"
    };
    assert_eq!(seen.status, connected, "{seen:#?}");
    let (sound, popout) = if lang == "fr" {
        ("Son coupé", "Détacher")
    } else {
        ("Sonido desactivado", "Ventana flotante")
    };
    assert_eq!(seen.sound, sound, "{seen:#?}");
    assert_eq!(seen.popout.as_deref(), Some(popout), "{seen:#?}");
    if let Some(ends_at) = &seen.ends_at {
        let prefix = match lang {
            "fr" => "fin prévue à ",
            _ => "termina a la",
        };
        assert!(ends_at.starts_with(prefix), "{seen:#?}");
    }
    browser
        .screenshot(&format!("lang-speaker-{lang}-warning.png"))
        .await;
    server.command(r#"{"cmd":"adjust","seconds":-60}"#).await;
    let seen = said_until(&browser, "the overtime words", |s| {
        s.phase.as_deref() == Some("overtime") && s.label.starts_with(over)
    })
    .await;
    assert!(
        !seen.label.contains("Over") && !seen.next.contains("Next"),
        "no English left: {seen:#?}"
    );
    browser
        .screenshot(&format!("lang-speaker-{lang}-overtime.png"))
        .await;
    // The overlay (a video mixer's browser source) speaks it too.
    browser
        .goto(&format!("{}/?view=overlay&lang={lang}", server.base))
        .await;
    said_until(&browser, "the overlay's words", |s| {
        s.label.starts_with(over)
    })
    .await;
    browser
        .screenshot(&format!("lang-overlay-{lang}-overtime.png"))
        .await;
    browser.close().await;
}

#[tokio::test]
async fn the_speaker_page_speaks_french() {
    if !browser_available() {
        return;
    }
    let next = format!("Suivant{NBSP}: Keynote — Neha Misra");
    speaker_in(
        "fr",
        ["Il reste moins d’une minute", &next, "Dépassement de "],
    )
    .await;
}

#[tokio::test]
async fn the_speaker_page_speaks_spanish() {
    if !browser_available() {
        return;
    }
    speaker_in(
        "es",
        [
            "Queda menos de un minuto",
            "Siguiente: Keynote — Neha Misra",
            "Tiempo excedido: ",
        ],
    )
    .await;
}

#[tokio::test]
async fn the_browsers_language_then_the_sessions() {
    if !browser_available() {
        return;
    }
    // A Spanish browser, no ?lang=: Spanish.
    let scratch = Scratch::new("lang-browser");
    let server = podium(&scratch, SHOW).await;
    let browser = Browser::start_with_args(
        &scratch,
        Driver::start(),
        &["--lang=es", "--accept-lang=es"],
    )
    .await;
    browser.goto(&format!("{}/", server.base)).await;
    let seen = said_until(&browser, "Spanish from the browser", |s| s.label == "Listo").await;
    assert_eq!(seen.lang, "es", "{seen:#?}");
    // ?lang= wins over the browser.
    browser.goto(&format!("{}/?lang=fr", server.base)).await;
    said_until(&browser, "?lang=fr over the browser", |s| s.label == "Prêt").await;
    browser.close().await;
    drop(server);

    // A German browser: the pages speak none of its languages, so the session's `language`.
    let scratch = Scratch::new("lang-session");
    let dir = tempfile::tempdir().unwrap();
    let show = dir.path().join("atelier.toml");
    let text = std::fs::read_to_string(SHOW).unwrap();
    std::fs::write(&show, format!("language = \"fr\"\n{text}")).unwrap();
    let server = podium(&scratch, show.to_str().unwrap()).await;
    let browser = Browser::start_with_args(
        &scratch,
        Driver::start(),
        &["--lang=de", "--accept-lang=de"],
    )
    .await;
    browser.goto(&format!("{}/", server.base)).await;
    let seen = said_until(&browser, "French from the session", |s| s.label == "Prêt").await;
    assert_eq!(seen.lang, "fr", "{seen:#?}");
    browser.goto(&format!("{}/agenda", server.base)).await;
    browser
        .wait_true(
            "the agenda in French",
            "return document.documentElement.lang === 'fr' && \
             document.getElementById('end').textContent.startsWith('Fin prévue vers ');",
        )
        .await;
    browser.close().await;
}

/// What the agenda says.
#[derive(Debug, Deserialize)]
struct Agenda {
    lang: String,
    date: String,
    end: String,
    offset: String,
    by: Vec<String>,
    left: Vec<String>,
    title: String,
}

const AGENDA: &str = r#"
    const $ = (id) => document.getElementById(id);
    return {
        lang: document.documentElement.lang,
        date: $('date').textContent,
        end: $('end').textContent,
        offset: $('offset').textContent,
        by: [...document.querySelectorAll('.item-by')].map((n) => n.textContent),
        left: [...document.querySelectorAll('.left')].map((n) => n.textContent),
        title: document.title,
    };
"#;

#[tokio::test]
async fn the_agenda_speaks_french_and_spanish() {
    if !browser_available() {
        return;
    }
    let scratch = Scratch::new("lang-agenda");
    let server = podium(&scratch, SHOW).await;
    server.command(r#"{"cmd":"start"}"#).await;
    server.command(r#"{"cmd":"next"}"#).await;
    let browser = Browser::start(&scratch).await;
    for (lang, kinds, done, ends, offset, page) in [
        (
            "fr",
            [
                "Ouverture · Chair",
                "Intervention · Neha Misra",
                "Questions-réponses",
            ],
            "terminé",
            "Fin prévue vers ",
            [" de retard)", " d’avance)", "(à l’heure)"],
            "Test show — programme",
        ),
        (
            "es",
            [
                "Apertura · Chair",
                "Intervención · Neha Misra",
                "Preguntas y respuestas",
            ],
            "terminado",
            "Fin previsto hacia la",
            [" de retraso)", " de adelanto)", "(a tiempo)"],
            "Test show — programa",
        ),
    ] {
        browser
            .goto(&format!("{}/agenda?lang={lang}&tz=UTC", server.base))
            .await;
        browser
            .wait_true(
                "the agenda's rows",
                "return document.querySelectorAll('.agenda-row').length === 3;",
            )
            .await;
        let seen: Agenda = browser.eval(AGENDA).await;
        assert_eq!(seen.lang, lang);
        assert_eq!(seen.by, kinds, "{seen:#?}");
        assert_eq!(
            seen.left.first().map(String::as_str),
            Some(done),
            "{seen:#?}"
        );
        assert!(seen.end.starts_with(ends), "{seen:#?}");
        assert!(offset.iter().any(|o| seen.offset.ends_with(o)), "{seen:#?}");
        assert_eq!(seen.title, page);
        let months = match lang {
            "fr" => [
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre",
            ],
            _ => [
                "enero",
                "febrero",
                "marzo",
                "abril",
                "mayo",
                "junio",
                "julio",
                "agosto",
                "septiembre",
                "octubre",
                "noviembre",
                "diciembre",
            ],
        };
        assert!(
            months.iter().any(|m| seen.date.contains(m)),
            "the date in the language: {seen:#?}"
        );
        browser.screenshot(&format!("lang-agenda-{lang}.png")).await;
    }
    browser.close().await;
}

// ---- The session's `language` ----------------------------------------------------------------

#[test]
fn a_sessions_language_is_checked_where_it_is_written() {
    use podium::show::Language;
    let text = std::fs::read_to_string(SHOW).unwrap();
    let load = |language: &str| {
        podium::show::load_str(
            std::path::Path::new("atelier.toml"),
            &format!("language = {language}\n{text}"),
        )
    };
    assert_eq!(load("\"fr\"").unwrap().language, Some(Language::French));
    assert_eq!(
        load("\"es-419\"").unwrap().language,
        Some(Language::Spanish)
    );
    assert_eq!(load("\"EN\"").unwrap().language, Some(Language::English));
    let err = load("\"de\"").unwrap_err().to_string();
    assert!(
        err.starts_with("atelier.toml:1:12: language = \"de\" is not one the pages speak"),
        "{err}"
    );
    assert!(err.contains("\"fr\" (French)"), "{err}");
    let err = load("3").unwrap_err().to_string();
    assert!(err.starts_with("atelier.toml:1:"), "{err}");
    let plain = podium::show::load_str(std::path::Path::new("x.toml"), &text).unwrap();
    assert_eq!(plain.language, None);
}

#[tokio::test]
async fn the_api_says_the_sessions_language() {
    let text = std::fs::read_to_string(SHOW).unwrap();
    let show = podium::show::load_str(
        std::path::Path::new("atelier.toml"),
        &format!("language = \"es\"\n{text}"),
    )
    .unwrap();
    let server = common::TestServer::start_show(std::sync::Arc::new(show), 1.0).await;
    let (_, agenda) = server.get("/api/agenda").await;
    assert_eq!(agenda["language"], "es", "{agenda}");
    let (_, show) = server.get_as(Some(common::TOKEN), "/api/show").await;
    assert_eq!(show["language"], "es", "{show}");
    let plain = common::TestServer::start(SHOW, 1.0).await;
    let (_, agenda) = plain.get("/api/agenda").await;
    assert!(agenda["language"].is_null(), "{agenda}");
}
