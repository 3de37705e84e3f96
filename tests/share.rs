//! Issue 14, "Share": the speaker links of a room at each of the machine's addresses and one per
//! speaker (`?name=`), listed by `GET /api/share`, and their QR codes (`GET
//! /api/share/qr.svg?host=…&name=…`) decoded back to the link: the served SVG is rasterized here
//! (its path is the QR crate's rectangles) and read with `rqrr`, a QR decoder independent of the
//! encoder. The links never carry the moderator token, and the QR endpoint draws only this
//! server's links.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use podium::server::origin::reachable;
use podium::server::share::{self, Share};
use podium::server::{Config, Token};
use serde_json::Value;

use crate::common::{self, TOKEN, TestServer};

fn short_show() -> podium::show::Show {
    podium::show::load_file(Path::new(common::SHORT)).expect("the short show loads")
}

/// The machine of the example: loopback, a link-local address, two LAN addresses, a ULA.
fn interfaces() -> Vec<IpAddr> {
    [
        "127.0.0.1",
        "::1",
        "fe80::1",
        "192.168.1.20",
        "fd00::2",
        "10.0.0.5",
    ]
    .iter()
    .map(|a| a.parse().expect("an address"))
    .collect()
}

#[test]
fn a_wildcard_bind_shares_every_reachable_address_and_a_link_per_speaker() {
    let any: SocketAddr = "0.0.0.0:8080".parse().expect("an address");
    let hosts = reachable(any, &interfaces());
    let got = share::links(&hosts, false, "/", share::speakers(&short_show()));
    let plain: Vec<(&str, bool)> = got
        .hosts
        .iter()
        .map(|h| (h.host.as_str(), h.local))
        .collect();
    assert_eq!(
        plain,
        [
            ("10.0.0.5:8080", false),
            ("192.168.1.20:8080", false),
            ("127.0.0.1:8080", true)
        ]
    );
    let speakers: Vec<(&str, &[usize])> = got
        .speakers
        .iter()
        .map(|s| (s.name.as_str(), s.segments.as_slice()))
        .collect();
    assert_eq!(
        speakers,
        [("Chair", &[1][..]), ("Neha Misra", &[2][..])],
        "in running order, numbered from 1; a segment without a speaker has no link"
    );
    let urls: Vec<&str> = got.links.iter().map(|l| l.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "http://10.0.0.5:8080/",
            "http://10.0.0.5:8080/?name=Chair",
            "http://10.0.0.5:8080/?name=Neha%20Misra",
            "http://192.168.1.20:8080/",
            "http://192.168.1.20:8080/?name=Chair",
            "http://192.168.1.20:8080/?name=Neha%20Misra",
            "http://127.0.0.1:8080/",
            "http://127.0.0.1:8080/?name=Chair",
            "http://127.0.0.1:8080/?name=Neha%20Misra",
        ]
    );
    assert_eq!(
        got.links[2].qr,
        "api/share/qr.svg?host=10.0.0.5%3A8080&name=Neha%20Misra"
    );
    // An IPv6 wildcard takes the ULA too, bracketed; a room of an event has its own path; TLS.
    let any6: SocketAddr = "[::]:8443".parse().expect("an address");
    let six = share::links(
        &reachable(any6, &interfaces()),
        true,
        "/r/hall-a/",
        Vec::new(),
    );
    let urls: Vec<&str> = six.links.iter().map(|l| l.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://10.0.0.5:8443/r/hall-a/",
            "https://192.168.1.20:8443/r/hall-a/",
            "https://[fd00::2]:8443/r/hall-a/",
            "https://[::1]:8443/r/hall-a/",
        ]
    );
    assert!(six.hosts.last().is_some_and(|h| h.local));
}

#[test]
fn a_bind_to_one_address_shares_that_address() {
    let one: SocketAddr = "192.168.1.20:9000".parse().expect("an address");
    let got: Share = share::links(&reachable(one, &interfaces()), false, "/", Vec::new());
    assert_eq!(got.links.len(), 1);
    assert_eq!(got.links[0].url, "http://192.168.1.20:9000/");
    assert!(!got.hosts[0].local);
}

/// The dark modules of the QR crate's SVG (a `viewBox` and one path of `M x y h w v h H x V y`
/// rectangles), as a bitmap the size of the view box.
fn rasterize(svg: &str) -> (usize, usize, Vec<bool>) {
    let view = svg
        .split("viewBox=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the SVG has a viewBox");
    let numbers: Vec<usize> = view
        .split_whitespace()
        .map(|n| n.parse().expect("whole numbers"))
        .collect();
    let (w, h) = (numbers[2], numbers[3]);
    let path = svg
        .split(" d=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the SVG has a path");
    let mut dark = vec![false; w * h];
    for rect in path.split('M').filter(|r| !r.is_empty()) {
        // "x y" then h, v; the H and V that close the rectangle repeat x and y.
        let mut fields = rect.split(['h', 'v', 'H', 'V']);
        let origin = fields.next().expect("x y");
        let (x, y) = origin.split_once(' ').expect("x y");
        let (x, y): (usize, usize) = (x.parse().expect("x"), y.parse().expect("y"));
        let width: usize = fields.next().expect("h").parse().expect("width");
        let height: usize = fields.next().expect("v").parse().expect("height");
        for row in y..y + height {
            for col in x..x + width {
                dark[row * w + col] = true;
            }
        }
    }
    (w, h, dark)
}

/// The text of the one QR code in `svg`.
fn decode(svg: &str) -> String {
    let (w, h, dark) = rasterize(svg);
    let mut image = rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| dark[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the drawing");
    let (_, text) = grids[0].decode().expect("the QR code decodes");
    text
}

async fn get_text(url: &str) -> (u16, Option<String>, String) {
    let resp = reqwest::get(url).await.expect("request sent");
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, kind, resp.text().await.expect("a body"))
}

#[tokio::test]
async fn every_qr_code_decodes_to_its_link_and_only_this_servers_links_are_drawn() {
    let hosts = vec!["10.0.0.5:8080".to_owned(), "127.0.0.1:8080".to_owned()];
    let server = TestServer::start_with(
        Arc::new(short_show()),
        1.0,
        Config {
            speaker_hosts: hosts.clone(),
            ..Config::new(Token::new(TOKEN))
        },
    )
    .await;
    let (status, body) = server.get("/api/share").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.to_string().contains(TOKEN),
        "no token in the links: {body}"
    );
    let links = body["links"].as_array().expect("links");
    assert_eq!(links.len(), 2 * 3, "two hosts × (the view + 2 speakers)");
    for link in links {
        let url = link["url"].as_str().expect("url");
        let qr = link["qr"].as_str().expect("qr");
        let (status, kind, svg) = get_text(&server.url(&format!("/{qr}"))).await;
        assert_eq!(status, 200, "{qr}: {svg}");
        assert_eq!(kind.as_deref(), Some("image/svg+xml"), "{qr}");
        assert!(svg.contains("<svg") && svg.ends_with("</svg>"), "{qr}");
        assert_eq!(decode(&svg), url, "{qr}");
    }
    // Only this server's links: another host, a name not in the run-of-show, no host at all.
    for other in [
        "/api/share/qr.svg?host=evil.example%3A80",
        "/api/share/qr.svg?host=10.0.0.5%3A8080&name=Mallory",
        "/api/share/qr.svg",
    ] {
        let (status, _, body) = get_text(&server.url(other)).await;
        assert_eq!(status, 404, "{other}: {body}");
        let why: Value = serde_json::from_str(&body).expect("a JSON error");
        assert!(
            why["error"]
                .as_str()
                .is_some_and(|e| e.contains("api/share")),
            "{why}"
        );
    }
}

/// The real binary on every interface: the share panel lists exactly the addresses it printed,
/// in the same order, and their QR codes decode to them.
#[tokio::test]
async fn a_wildcard_run_shares_the_addresses_it_printed() {
    let mut proc = common::Process::start(&["run", common::SHORT, "--bind", "0.0.0.0:0"]).await;
    let mut printed = vec![proc.base.clone()];
    loop {
        let line =
            tokio::time::timeout(std::time::Duration::from_secs(10), proc.stdout.next_line())
                .await
                .expect("more output")
                .expect("readable")
                .expect("still running");
        if line.starts_with("moderator:") {
            break;
        }
        let url = line.split_whitespace().next().unwrap_or("");
        printed.push(url.trim_end_matches('/').to_owned());
    }
    let (status, body) = proc.get("/api/share").await;
    assert_eq!(status, 200, "{body}");
    let hosts: Vec<String> = body["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .map(|h| format!("http://{}", h["host"].as_str().expect("host")))
        .collect();
    assert_eq!(hosts, printed);
    let local: Vec<bool> = body["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .map(|h| h["local"].as_bool().expect("local"))
        .collect();
    assert_eq!(local.last(), Some(&true), "loopback last: {body}");
    assert!(local[..local.len() - 1].iter().all(|l| !l), "{body}");
    for link in body["links"].as_array().expect("links") {
        if link["name"].is_null() {
            let (status, _, svg) = get_text(&format!(
                "{}/{}",
                proc.base,
                link["qr"].as_str().expect("qr")
            ))
            .await;
            assert_eq!(status, 200);
            assert_eq!(decode(&svg), link["url"].as_str().expect("url"));
        }
    }
    proc.terminate().await;
}

/// A speaker given to a segment while the show runs (a live edit) gets a link at once, and its
/// QR code decodes to it; names are percent-encoded as UTF-8.
#[tokio::test]
async fn a_speaker_added_by_a_live_edit_gets_a_link() {
    let server = TestServer::start_with(
        Arc::new(short_show()),
        1.0,
        Config {
            speaker_hosts: vec!["10.0.0.5:8080".to_owned()],
            ..Config::new(Token::new(TOKEN))
        },
    )
    .await;
    server.command(r#"{"cmd":"start"}"#).await;
    server
        .command(r#"{"cmd":"edit","op":"set","segment":2,"speaker":"Ana Zoë"}"#)
        .await;
    let (status, body) = server.get("/api/share").await;
    assert_eq!(status, 200, "{body}");
    let link = body["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["name"] == "Ana Zoë")
        .unwrap_or_else(|| panic!("the new speaker has a link: {body}"));
    assert_eq!(link["url"], "http://10.0.0.5:8080/?name=Ana%20Zo%C3%AB");
    let (status, _, svg) =
        get_text(&server.url(&format!("/{}", link["qr"].as_str().expect("qr")))).await;
    assert_eq!(status, 200);
    assert_eq!(decode(&svg), "http://10.0.0.5:8080/?name=Ana%20Zo%C3%AB");
}
