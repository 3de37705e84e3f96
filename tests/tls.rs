//! The real binary serving HTTPS/WSS with a certificate the test generates (rcgen), and the
//! warning for plain HTTP beyond loopback.

use crate::common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use common::{Process, TOKEN};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

struct Certificate {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    der: CertificateDer<'static>,
}

impl Certificate {
    fn generate(name: &str) -> Certificate {
        let dir = tempfile::Builder::new()
            .prefix(&format!("podium-tls-{name}"))
            .tempdir()
            .unwrap();
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, certified.cert.pem()).unwrap();
        std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
        Certificate {
            _dir: dir,
            cert,
            key,
            der: certified.cert.der().clone(),
        }
    }
}

fn connector(trusted: &CertificateDer<'static>) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trusted.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

fn addr_of(base: &str) -> String {
    base.split("://").nth(1).unwrap().to_owned()
}

#[tokio::test]
async fn serves_https_and_wss_with_the_given_certificate() {
    let cert = Certificate::generate("ok");
    let proc = Process::start(&[
        "run",
        common::SHORT,
        "--tls-cert",
        cert.cert.to_str().unwrap(),
        "--tls-key",
        cert.key.to_str().unwrap(),
        "--handshake-timeout",
        "1s",
    ])
    .await;
    assert!(proc.base.starts_with("https://"), "{}", proc.base);
    let addr = addr_of(&proc.base);
    let tls = connector(&cert.der);
    let name = ServerName::try_from("localhost").unwrap();

    // HTTPS: the state, with the security headers.
    let tcp = TcpStream::connect(&addr).await.unwrap();
    let mut https = tls.connect(name.clone(), tcp).await.unwrap();
    https
        .write_all(b"GET /api/state HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    https.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""type":"state""#), "{answer}");
    assert!(
        answer.contains("x-content-type-options: nosniff"),
        "{answer}"
    );

    // WSS: the live stream, and a command with the token over it.
    let tcp = TcpStream::connect(&addr).await.unwrap();
    let stream = tls.connect(name.clone(), tcp).await.unwrap();
    let (ws, _) = tokio_tungstenite::client_async("wss://localhost/ws", stream)
        .await
        .unwrap();
    let mut viewer = common::Client::from_tls(ws);
    viewer.next_of("state").await;
    viewer.send_command(TOKEN, r#"{"cmd":"start"}"#).await;
    viewer.next_of("applied").await;
    viewer.state_where(|s| s["phase"] == "running").await;

    // Plain HTTP on the TLS port gets nothing useful.
    let mut plain = TcpStream::connect(&addr).await.unwrap();
    plain
        .write_all(b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut buf)).await;
    assert!(!String::from_utf8_lossy(&buf).contains("\"state\""));

    // A client that never starts its TLS handshake is closed after the handshake timeout.
    drop(viewer);
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut [0u8; 16])).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");
}

#[tokio::test]
async fn an_unusable_certificate_is_a_usage_error() {
    let cert = Certificate::generate("bad");
    std::fs::write(&cert.cert, "not a certificate").unwrap();
    let runs = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["run", common::SHORT, "--bind", "127.0.0.1:0", "--journal"])
        .arg(runs.path().join("run.jsonl"))
        .arg("--tls-cert")
        .arg(&cert.cert)
        .arg("--tls-key")
        .arg(&cert.key)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--tls-cert") && stderr.contains("no certificate"),
        "{stderr}"
    );
}

/// Plain HTTP on every interface warns on stderr; the same on loopback does not.
#[tokio::test]
async fn plain_http_beyond_loopback_prints_a_clear_warning() {
    use tokio::io::AsyncBufReadExt;
    let runs = tempfile::tempdir().unwrap();
    for (bind, warns) in [("0.0.0.0:0", true), ("127.0.0.1:0", false)] {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_podium"))
            .args([
                "run",
                common::SHORT,
                "--no-notify",
                "--bind",
                bind,
                "--journal",
            ])
            .arg(
                runs.path()
                    .join(format!("{}.jsonl", bind.replace([':', '.'], "-"))),
            )
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        // Once the URLs are out, every start-up message has been written.
        while let Some(line) = stdout.next_line().await.unwrap() {
            if line.starts_with("no terminal") {
                break;
            }
        }
        child.start_kill().unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .await
            .unwrap();
        assert_eq!(
            stderr.contains("WARNING: serving plain HTTP"),
            warns,
            "{bind}: {stderr}"
        );
        if warns {
            assert!(stderr.contains("--tls-cert"), "{stderr}");
        }
    }
}
