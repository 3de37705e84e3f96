//! The written contract against the code: every JSON example in `docs/protocol.md` must parse
//! into the wire types, and carry exactly the fields the real server sends (same keys, nested, and
//! the same JSON kinds; `null` on either side stands for an optional value). An example this test
//! cannot place is a failure too, so a new example needs a rule here. Also the `state` message's
//! round trip: what the server serializes, the client's read model (`podium follow`) reads back.

use std::collections::BTreeSet;

use podium::protocol::{self, ClientMsg, ServerMsg, StateIn};
use serde_json::Value;

use crate::common::{self, Client, TestServer};

const DOC: &str = include_str!("../docs/protocol.md");

/// A show too long for its slot, so `fit` re-plans and `last_fit` is filled in.
const SESSION: &str = "tests/sessions/slot.toml";

/// Every ```json block of the document, with the line it starts on.
fn json_blocks(doc: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (n, line) in doc.lines().enumerate() {
        match (&mut current, line.trim_start()) {
            (None, "```json") => current = Some((n + 2, String::new())),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// The examples in a block: the block as one JSON value (a fragment `"key": {…}` is wrapped in
/// braces), or else one value at the start of each line that opens one (the rest of such a line
/// is commentary).
fn examples(line: usize, block: &str) -> Vec<(usize, Value)> {
    if let Ok(whole) = serde_json::from_str::<Value>(block) {
        return vec![(line, whole)];
    }
    if let Ok(fragment) = serde_json::from_str::<Value>(&format!("{{{block}}}")) {
        return vec![(line, fragment)];
    }
    block
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with('{'))
        .map(|(i, l)| {
            let first = serde_json::Deserializer::from_str(l)
                .into_iter::<Value>()
                .next()
                .unwrap_or_else(|| panic!("docs/protocol.md:{}: no JSON", line + i))
                .unwrap_or_else(|e| panic!("docs/protocol.md:{}: not JSON: {e}", line + i));
            (line + i, first)
        })
        .collect()
}

/// Where `doc` and `real` differ in shape: keys present in one object only, or a different JSON
/// kind. Arrays compare their first elements; `null` on either side matches anything.
fn shape_diff(doc: &Value, real: &Value, at: &str, out: &mut Vec<String>) {
    match (doc, real) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(d), Value::Object(r)) => {
            let dk: BTreeSet<&String> = d.keys().collect();
            let rk: BTreeSet<&String> = r.keys().collect();
            for k in dk.difference(&rk) {
                out.push(format!("{at}.{k}: in the document, not sent by the server"));
            }
            for k in rk.difference(&dk) {
                out.push(format!(
                    "{at}.{k}: sent by the server, missing from the document"
                ));
            }
            for k in dk.intersection(&rk) {
                shape_diff(&d[*k], &r[*k], &format!("{at}.{k}"), out);
            }
        }
        (Value::Array(d), Value::Array(r)) => {
            if let (Some(d), Some(r)) = (d.first(), r.first()) {
                shape_diff(d, r, &format!("{at}[0]"), out);
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        (d, r) => out.push(format!("{at}: the document has {d}, the server sends {r}")),
    }
}

fn assert_same_shape(line: usize, what: &str, doc: &Value, real: &Value) {
    let mut diff = Vec::new();
    shape_diff(doc, real, what, &mut diff);
    assert!(
        diff.is_empty(),
        "docs/protocol.md:{line}: the {what} example drifted from the code:\n  {}\nthe server \
         sends: {real}",
        diff.join("\n  ")
    );
}

/// What the real server sends for each kind of document, gathered once.
struct Real {
    state: Value,
    show: Value,
    agenda: Value,
    presence: Value,
}

async fn gather() -> (TestServer, Client, Real) {
    let server = TestServer::start(SESSION, 1.0).await;
    let mut viewer = Client::connect(&format!("ws://{}/ws?name=Neha&kind=page", server.addr)).await;
    let state = viewer.next_of("state").await;
    // A screen with a clock estimate, a wrong token on record, a started segment and a fit.
    viewer
        .send_text(r#"{"type":"sync","rtt_ms":151.5,"offset_ms":-2.25}"#)
        .await;
    let (status, _) = server
        .command_as(Some("not-the-moderator-token"), r#"{"cmd":"next"}"#)
        .await;
    assert_eq!(status, 401);
    server.command(r#"{"cmd":"start"}"#).await;
    server.command(r#"{"cmd":"fit"}"#).await;
    let (_, show) = server.get_as(Some(common::TOKEN), "/api/show").await;
    let (_, agenda) = server.get("/api/agenda").await;
    // The sync report is read by the server's socket task: wait until presence shows it.
    let mut presence = Value::Null;
    for _ in 0..100 {
        let (_, p) = server.get_as(Some(common::TOKEN), "/api/presence").await;
        presence = p;
        if presence["screens"][0]["rtt_ms"].is_number() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(show["last_fit"].is_object(), "a fit was recorded: {show}");
    (
        server,
        viewer,
        Real {
            state,
            show,
            agenda,
            presence,
        },
    )
}

/// The server → client message of `type` `kind` as the server writes it, if it is one of the
/// small per-client replies.
fn reply_of(kind: &str) -> Option<String> {
    Some(match kind {
        "pong" => protocol::pong_json(7, 1.5, 2.5),
        "applied" => protocol::applied_json(18),
        "error" => protocol::error_json("bad"),
        "bye" => protocol::bye_json("server shutting down"),
        "alive" => protocol::ALIVE.to_owned(),
        _ => return None,
    })
}

#[tokio::test]
async fn every_json_example_in_the_protocol_document_is_what_the_code_sends_and_reads() {
    let (server, _viewer, real) = gather().await;
    let blocks = json_blocks(DOC);
    assert!(blocks.len() >= 7, "the document's examples were found");
    let mut checked = 0;
    for (line, block) in &blocks {
        for (line, example) in examples(*line, block) {
            checked += 1;
            let kind = example.get("type").and_then(Value::as_str);
            match kind {
                Some("state") => {
                    assert_same_shape(line, "state", &example, &real.state);
                    serde_json::from_value::<StateIn>(example.clone()).unwrap_or_else(|e| {
                        panic!("docs/protocol.md:{line}: the read model refuses it: {e}")
                    });
                }
                Some("ping" | "sync" | "command" | "auth") => {
                    let parsed = protocol::parse_client_msg(&example.to_string());
                    assert!(
                        parsed.is_ok(),
                        "docs/protocol.md:{line}: the server refuses {example}: {parsed:?}"
                    );
                }
                Some(other) => {
                    let sent = reply_of(other).unwrap_or_else(|| {
                        panic!("docs/protocol.md:{line}: no rule for a {other:?} example")
                    });
                    let sent: Value = serde_json::from_str(&sent).expect("the server's JSON");
                    assert_same_shape(line, other, &example, &sent);
                    let read: ServerMsg =
                        serde_json::from_value(example.clone()).expect("the read model reads it");
                    assert!(
                        !matches!(read, ServerMsg::Other),
                        "docs/protocol.md:{line}: the read model does not know {other:?}"
                    );
                }
                None if example.get("cmd").is_some() => {
                    let parsed = protocol::parse_command(example.to_string().as_bytes());
                    assert!(
                        parsed.is_ok(),
                        "docs/protocol.md:{line}: the server refuses {example}: {parsed:?}"
                    );
                }
                None if example.get("screens").is_some() => {
                    assert_same_shape(line, "presence", &example, &real.presence)
                }
                None if example.get("journal").is_some() => {
                    let journal = serde_json::json!({"journal": real.presence["journal"]});
                    assert_same_shape(line, "presence journal", &example, &journal)
                }
                None if example.get("last_fit").is_some() => {
                    assert_same_shape(line, "/api/show", &example, &real.show)
                }
                None if example.get("segments").is_some() => {
                    assert_same_shape(line, "/api/agenda", &example, &real.agenda)
                }
                None => panic!("docs/protocol.md:{line}: no rule for the example {example}"),
            }
        }
    }
    assert!(checked >= 20, "only {checked} examples found");
    server.stop();
}

#[tokio::test]
async fn the_state_the_server_sends_reads_back_into_the_clients_model() {
    let server = TestServer::start(SESSION, 1.0).await;
    let mut viewer = server.ws().await;
    server.command(r#"{"cmd":"start"}"#).await;
    let sent = viewer.state_where(|s| s["phase"] != "idle").await;
    let read: StateIn = serde_json::from_value(sent.clone()).expect("the read model reads it");
    assert_eq!(read.seq, sent["seq"].as_u64().expect("seq"));
    assert_eq!(read.title, sent["title"].as_str().expect("title"));
    assert_eq!(read.phase, sent["phase"].as_str().expect("phase"));
    assert_eq!(read.index, 0);
    assert_eq!(
        read.segments,
        sent["segments"].as_u64().expect("segments") as usize
    );
    assert_eq!(Some(read.remaining_ms), sent["remaining_ms"].as_f64());
    assert_eq!(read.ends_at_ms, sent["ends_at_ms"].as_f64());
    assert_eq!(Some(read.server_time_ms), sent["server_time_ms"].as_f64());
    assert_eq!(Some(read.speed), sent["speed"].as_f64());
    assert_eq!(
        Some(read.segment.duration_ms),
        sent["segment"]["duration_ms"].as_f64()
    );
    assert_eq!(
        read.segment.title,
        sent["segment"]["title"].as_str().expect("t")
    );
    assert_eq!(
        read.next.map(|n| n.title),
        sent["next"]["title"].as_str().map(str::to_owned)
    );
    // A client message the server reads, written by the client's own writers.
    assert_eq!(
        protocol::parse_client_msg(&protocol::ping_json(7, 1.5)),
        Ok(ClientMsg::Ping {
            id: 7,
            client_ms: 1.5
        })
    );
    server.stop();
}
