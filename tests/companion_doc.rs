//! docs/companion.md against a real server (issue 15): every `companion` block (a Stream Deck
//! button's options in Companion's Generic HTTP module, or the feedback trigger's) becomes the
//! request that module builds from them — Base URL + URL, the header JSON with
//! `$(custom:podium_token)` filled in, `Content-Type: application/json` and the body as JSON for a
//! POST, the headers its HTTP client adds — sent byte for byte over a raw socket; each button must
//! apply, and the state must carry every field the page's expressions read.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{TOKEN, TestServer};

const DOC: &str = include_str!("../docs/companion.md");

/// Every ```companion block: its `key: value` lines, with the line the block starts on.
fn blocks() -> Vec<(usize, BTreeMap<String, String>)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, BTreeMap<String, String>)> = None;
    for (n, line) in DOC.lines().enumerate() {
        match (&mut current, line.trim()) {
            (None, "```companion") => current = Some((n + 2, BTreeMap::new())),
            (Some(_), "```") => out.extend(current.take()),
            (Some((at, fields)), text) => {
                let (key, value) = text
                    .split_once(": ")
                    .unwrap_or_else(|| panic!("docs/companion.md:{}: not `key: value`", *at));
                fields.insert(key.to_owned(), value.to_owned());
            }
            (None, _) => {}
        }
    }
    out
}

/// The Base URL the page tells to configure.
fn base_url() -> String {
    DOC.lines()
        .find_map(|l| l.strip_prefix("| Base URL | `"))
        .and_then(|rest| rest.split('`').next())
        .expect("docs/companion.md gives the connection's Base URL")
        .to_owned()
}

/// What Companion's Generic HTTP module sends for `fields`, against `addr` (the documented Base
/// URL's host replaced by the test server's) with the custom variable `podium_token` = `token`.
fn request(fields: &BTreeMap<String, String>, addr: std::net::SocketAddr, token: &str) -> Vec<u8> {
    let base = base_url();
    let path = fields["url"].trim();
    assert!(
        !path.starts_with("http"),
        "URLs are relative to the Base URL"
    );
    let url = format!("{base}{path}");
    let path = url
        .strip_prefix("http://127.0.0.1:8080")
        .expect("the documented Base URL is podium's default address");
    let method = fields["action"].as_str();
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(header) = fields.get("header") {
        // The module fills in variables, then parses the field as JSON.
        let header = header.replace("$(custom:podium_token)", token);
        let map: serde_json::Map<String, Value> =
            serde_json::from_str(&header).expect("the header field is JSON");
        for (name, value) in map {
            headers.push((name, value.as_str().expect("a header value").to_owned()));
        }
    }
    let body = match method {
        "POST" => {
            let text = &fields["body"];
            let json: Value = serde_json::from_str(text).expect("the body field is JSON");
            // got's `json` option sends JSON.stringify of it: compact, as written.
            assert_eq!(
                &json.to_string(),
                text,
                "write the body compact, as it is sent"
            );
            headers.push(("Content-Type".into(), "application/json".into()));
            text.clone()
        }
        "GET" => String::new(),
        other => panic!("an action the page does not use: {other}"),
    };
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    head.push_str("user-agent: got (https://github.com/sindresorhus/got)\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if method == "POST" {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    head.push_str("accept-encoding: gzip, deflate, br\r\nconnection: close\r\n\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend(body.as_bytes());
    bytes
}

/// Sends raw request bytes; returns the status and the JSON body.
async fn send(addr: std::net::SocketAddr, bytes: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream.write_all(bytes).await.expect("sent");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("an answer within 30 s")
        .expect("readable");
    let answer = String::from_utf8(answer).expect("UTF-8");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_button_of_the_companion_page_applies() {
    let server = TestServer::start(crate::common::SHORT, 1.0).await;
    let buttons: Vec<_> = blocks()
        .into_iter()
        .filter(|(_, f)| f.contains_key("button"))
        .collect();
    assert!(buttons.len() >= 10, "the page has its buttons");
    let (_, mut before) = server.get("/api/state").await;
    for (line, fields) in &buttons {
        let name = &fields["button"];
        let (status, after) = send(server.addr, &request(fields, server.addr, TOKEN)).await;
        assert_eq!(status, 200, "docs/companion.md:{line}: {name} → {after}");
        let body: Value = serde_json::from_str(&fields["body"]).unwrap();
        let cmd = body["cmd"].as_str().unwrap();
        let applied = match cmd {
            "toggle" => after["phase"] != before["phase"],
            "next" => after["index"] == before["index"].as_i64().unwrap() + 1,
            "previous" => after["index"] == before["index"].as_i64().unwrap() - 1,
            "adjust" => {
                after["segment"]["duration_ms"].as_i64().unwrap()
                    - before["segment"]["duration_ms"].as_i64().unwrap()
                    == body["seconds"].as_i64().unwrap() * 1000
            }
            "message" => after["message"] == body["text"],
            "blackout" | "focus" => after[cmd] == body["on"],
            other => panic!("docs/companion.md:{line}: no check for {other}"),
        };
        assert!(
            applied,
            "docs/companion.md:{line}: {name}: {before} → {after}"
        );
        before = after;
    }
    // A press with the wrong token is refused, not applied.
    let (_, next) = buttons.iter().find(|(_, f)| f["button"] == "Next").unwrap();
    let (status, _) = send(
        server.addr,
        &request(next, server.addr, "not-the-token-at-all"),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_feedback_trigger_reads_every_field_the_expressions_use() {
    let server = TestServer::start(crate::common::SHORT, 1.0).await;
    let triggers: Vec<_> = blocks()
        .into_iter()
        .filter(|(_, f)| f.contains_key("trigger"))
        .collect();
    assert_eq!(triggers.len(), 1, "one feedback trigger");
    let (line, fields) = &triggers[0];
    let (status, state) = send(server.addr, &request(fields, server.addr, TOKEN)).await;
    assert_eq!(status, 200, "docs/companion.md:{line}");
    assert_eq!(state["type"], "state");
    let read: Vec<&str> = DOC
        .split("jsonpath($(custom:podium_state), '$.")
        .skip(1)
        .map(|rest| rest.split('\'').next().unwrap())
        .collect();
    assert!(read.len() >= 8, "the expressions read the state: {read:?}");
    for field in read {
        assert!(
            state.get(field).is_some(),
            "docs/companion.md reads {field}, which /api/state does not have: {state}"
        );
    }
}
