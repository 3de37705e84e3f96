//! The relay mode (`--relays R --clients-per-relay N`): what a relay adds. A real `nats-server`
//! (JetStream, a scratch store), the origin (`podium run … --nats`) with `--origin-clients`
//! viewers of its own, and R relays (`podium relay`) with N viewers each, all on this machine.
//! Each sample is one command posted to the origin; its state's arrival is timed at every viewer
//! of the origin and of every relay from the same instant, so the relays' p99 and the origin's
//! p99 come from the same run under the same load, and their difference is what a relay adds
//! (NATS hop, the relay's checks, its own fan-out).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::future::{BoxFuture, join_all};
use tokio::process::Command;
use tokio::sync::watch;

use crate::viewers::{Fleet, Latencies};
use crate::{Server, TOKEN, round};

/// What the relay mode is asked to do.
pub struct Plan {
    pub relays: usize,
    pub per_relay: usize,
    pub origin_clients: usize,
    pub samples: usize,
    pub podium: PathBuf,
    pub session: PathBuf,
    /// `nats-server` (default: on PATH, or Debian's /usr/sbin).
    pub nats_server: Option<PathBuf>,
    /// Where the scratch files go (default: the temp dir).
    pub dir: Option<PathBuf>,
}

pub async fn bench(plan: Plan) -> anyhow::Result<()> {
    if plan.relays == 0 || plan.per_relay == 0 || plan.origin_clients == 0 {
        bail!("--relays, --clients-per-relay and --origin-clients must be at least 1");
    }
    let dir = plan
        .dir
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("podium-bench-relay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = run(&plan, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result?.print(&plan);
    Ok(())
}

fn nats_binary(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path.to_owned());
    }
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/usr/bin"])
        .map(|d| PathBuf::from(d).join("nats-server"))
        .find(|p| p.is_file())
        .context("nats-server not found (apt-get install nats-server, or --nats-server PATH)")
}

/// A free loopback port for nats-server (it cannot be given port 0 and tell us).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

struct Measured {
    origin: Latencies,
    relays: Latencies,
    connect_s: f64,
    relay_rss_kib: Vec<u64>,
    nats_url: String,
}

async fn run(plan: &Plan, dir: &Path) -> anyhow::Result<Measured> {
    let (r, n) = (plan.relays, plan.per_relay);
    let port = free_port()?;
    let nats_url = format!("nats://127.0.0.1:{port}");
    let store = dir.join("nats");
    let mut nats = Command::new(nats_binary(plan.nats_server.as_deref())?)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(&store)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting nats-server")?;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if std::time::Instant::now() > deadline {
            bail!("nats-server did not listen on {port} within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("podium-bench: nats-server on {nats_url}; {r} relays × {n} viewers");

    let origin = Server::start(
        Command::new(&plan.podium)
            .arg("run")
            .arg(&plan.session)
            .args(["--bind", "127.0.0.1:0", "--token", TOKEN, "--no-notify"])
            .args(["--nats", &nats_url])
            .arg("--journal")
            .arg(dir.join("origin.jsonl"))
            .args([
                "--max-connections",
                &(plan.origin_clients + 100).to_string(),
            ]),
        "speaker view: ",
    )
    .await?;
    let origin_base = origin.url.trim_end_matches('/').to_owned();
    let mut relays = Vec::new();
    for _ in 0..r {
        let relay = Server::start(
            Command::new(&plan.podium)
                .args(["relay", "--nats", &nats_url, "--bind", "127.0.0.1:0"])
                .args(["--max-connections", &(n + 100).to_string()]),
            "podium relay: serving event ",
        )
        .await?;
        relays.push(relay);
    }
    let ws = |base: &str| {
        format!(
            "{}/ws",
            base.trim_end_matches('/').replacen("http", "ws", 1)
        )
    };
    let origin_fleet = Fleet::connect(&ws(&origin_base), plan.origin_clients, 256).await?;
    let started = std::time::Instant::now();
    let mut fleets = Vec::new();
    for relay in &relays {
        // The line after the prefix: `EVENT (1 room) on http://127.0.0.1:PORT/`.
        let base = relay
            .url
            .rsplit(" on ")
            .next()
            .context("the relay says where it serves")?;
        fleets.push(Fleet::connect(&ws(base), n, 256).await?);
    }
    let connect_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let http = reqwest::Client::new();
    http.get(format!("{origin_base}/api/state"))
        .send()
        .await?
        .error_for_status()?;

    let mut measured = Measured {
        origin: Latencies::default(),
        relays: Latencies::default(),
        connect_s,
        relay_rss_kib: Vec::new(),
        nats_url,
    };
    let url = format!("{origin_base}/api/command");
    for i in 0..plan.samples {
        let seq = origin_fleet.max_seq() + 1;
        let (caused, heard) = watch::channel(0u64);
        let body = serde_json::json!({"cmd": "message", "text": format!("bench {i}")}).to_string();
        let post = async {
            let answer: serde_json::Value = http
                .post(&url)
                .bearer_auth(TOKEN)
                .body(body)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let seq = answer["seq"].as_u64().unwrap_or_default();
            let _ = caused.send(seq);
            Ok(seq)
        };
        let mut waits: Vec<BoxFuture<'_, anyhow::Result<Vec<f64>>>> = Vec::new();
        for fleet in &fleets {
            let mut heard = heard.clone();
            waits.push(Box::pin(fleet.time_delivery(seq, async move {
                heard.changed().await?;
                let seq = *heard.borrow();
                Ok(seq)
            })));
        }
        // Every fleet is armed (its clock read) before the command leaves.
        let (own, far) = tokio::join!(origin_fleet.time_delivery(seq, post), join_all(waits));
        measured.origin.extend(own?);
        for lat in far {
            measured.relays.extend(lat?);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for relay in &relays {
        measured.relay_rss_kib.push(relay.rss_kib()?);
    }
    drop(fleets);
    drop(origin_fleet);
    for relay in relays {
        relay.stop().await;
    }
    origin.stop().await;
    let _ = nats.kill().await;
    Ok(measured)
}

impl Measured {
    fn print(&self, plan: &Plan) {
        let (o50, o99, omax) = self.origin.summary();
        let (r50, r99, rmax) = self.relays.summary();
        let added = r99 - o99;
        let rss = self.relay_rss_kib.iter().max().copied().unwrap_or(0) as f64 / 1024.0;
        println!(
            "{} relays × {} viewers, {} viewers on the origin (command → every viewer; NATS {})",
            plan.relays, plan.per_relay, plan.origin_clients, self.nats_url
        );
        println!("{:<28} {:>12} {:>12}", "", "origin", "relays");
        println!("{:<28} {:>12.2} {:>12.2}", "latency p50 (ms)", o50, r50);
        println!("{:<28} {:>12.2} {:>12.2}", "latency p99 (ms)", o99, r99);
        println!("{:<28} {:>12.2} {:>12.2}", "latency max (ms)", omax, rmax);
        println!("{:<28} {:>12.2}", "p99 a relay adds (ms)", added);
        println!("{:<28} {:>12.3}", "relay connect storm (s)", self.connect_s);
        println!("{:<28} {:>12.1}", "largest relay RSS (MiB)", rss);
        let json = serde_json::json!({
            "relays": plan.relays,
            "clients_per_relay": plan.per_relay,
            "origin_clients": plan.origin_clients,
            "origin_p50_ms": round(o50, 2),
            "origin_p99_ms": round(o99, 2),
            "origin_max_ms": round(omax, 2),
            "relay_p50_ms": round(r50, 2),
            "relay_p99_ms": round(r99, 2),
            "relay_max_ms": round(rmax, 2),
            "relay_added_p99_ms": round(added, 2),
            "relay_connect_s": round(self.connect_s, 3),
            "relay_rss_max_mib": round(rss, 1),
            "origin_deliveries": self.origin.len(),
            "relay_deliveries": self.relays.len(),
        });
        println!("{json}");
    }
}
