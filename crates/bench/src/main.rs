//! `podium-bench`: how many viewers one podium serves on this machine, measured against the real
//! binary in its own process and against a minimal raw tokio-tungstenite broadcaster (the
//! practical limit). Prints a table, then one JSON object as the last line.
//!
//! ```sh
//! cargo build --release --workspace && cargo run --release -p podium-bench -- --clients 1000
//! ```
//!
//! `--rooms R --clients-per-room N` measures an event of R rooms with N viewers each instead (see
//! `rooms`). `--relays R --clients-per-relay N` measures what a relay over NATS adds (see
//! `relay`).
//!
//! Targets live here, never in timed tests.

mod raw;
mod relay;
mod rooms;
mod viewers;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use viewers::{Fleet, Latencies};

const TOKEN: &str = "podium-bench-token";

/// Measures podium against N real WebSocket viewers on loopback.
#[derive(Debug, Parser)]
#[command(name = "podium-bench")]
struct Args {
    /// Number of WebSocket viewers.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Commands whose delivery to every viewer is timed.
    #[arg(long, default_value_t = 20)]
    samples: usize,
    /// Seconds over which idle and running traffic is counted (every frame the server sends,
    /// with its header: states, `alive`, and the pings it sends every 5 s). Rooms mode: the
    /// seconds over which `alive` arrivals are timed (2 to 5).
    #[arg(long, default_value_t = 10)]
    window: u64,
    /// The podium binary (default: next to this one, i.e. target/release/podium).
    #[arg(long)]
    podium: Option<PathBuf>,
    /// Session file to run.
    #[arg(long, default_value = "sessions/002_iml_session_four.toml")]
    session: PathBuf,
    /// Where podium writes its journal (it syncs each state change to disk before broadcasting it,
    /// so the disk is part of the command latency); e.g. /dev/shm to leave the disk out. Rooms
    /// mode: where its scratch directory (event file, journals) goes.
    #[arg(long)]
    journal_dir: Option<PathBuf>,
    /// Rooms mode: run an event of this many rooms in one podium (with a lone room in a second
    /// podium to compare with), `--clients-per-room` viewers each; `--clients` is then unused.
    #[arg(long)]
    rooms: Option<usize>,
    /// Viewers of each room in the rooms mode.
    #[arg(long, default_value_t = 50)]
    clients_per_room: usize,
    /// Relay mode: an origin with `--nats` and this many relays (`podium relay`) on a real
    /// nats-server, `--clients-per-relay` viewers each; `--clients` is then unused.
    #[arg(long)]
    relays: Option<usize>,
    /// Viewers of each relay in the relay mode.
    #[arg(long, default_value_t = 3000)]
    clients_per_relay: usize,
    /// Viewers of the origin itself in the relay mode (the reference).
    #[arg(long, default_value_t = 200)]
    origin_clients: usize,
    /// Relay mode: the nats-server binary [default: on PATH or /usr/sbin].
    #[arg(long)]
    nats_server: Option<PathBuf>,
    /// Measure the raw baseline before podium rather than after (to see order effects).
    #[arg(long)]
    raw_first: bool,
    /// Internal: be the raw baseline server (driven over stdin).
    #[arg(long, hide = true)]
    raw_server: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let limit = rlimit::increase_nofile_limit(u64::MAX).context("raising RLIMIT_NOFILE")?;
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    if args.raw_server {
        return runtime.block_on(raw::serve());
    }
    let sockets = match (args.rooms, args.relays) {
        (Some(r), _) => r * args.clients_per_room + args.clients_per_room + r,
        (None, Some(r)) => r * args.clients_per_relay + args.origin_clients,
        (None, None) => args.clients,
    };
    if (limit as usize) < sockets + 64 {
        bail!("this process may open only {limit} files; {sockets} viewers need more");
    }
    if let Some(rooms) = args.rooms {
        let plan = rooms::Plan {
            rooms,
            per_room: args.clients_per_room,
            samples: args.samples,
            window: args.window.clamp(2, 5),
            podium: podium_binary(&args)?,
            dir: args.journal_dir.clone(),
        };
        return runtime.block_on(rooms::bench(plan));
    }
    if let Some(relays) = args.relays {
        let plan = relay::Plan {
            relays,
            per_relay: args.clients_per_relay,
            origin_clients: args.origin_clients,
            samples: args.samples,
            podium: podium_binary(&args)?,
            session: args.session.clone(),
            nats_server: args.nats_server.clone(),
            dir: args.journal_dir.clone(),
        };
        return runtime.block_on(relay::bench(plan));
    }
    runtime.block_on(bench(args))
}

/// The podium binary: `--podium`, or the one next to this bench.
fn podium_binary(args: &Args) -> anyhow::Result<PathBuf> {
    let podium = match &args.podium {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("the bench binary has a directory")?
            .join("podium"),
    };
    if !podium.exists() {
        bail!(
            "{} not found: build it first with `cargo build --release`",
            podium.display()
        );
    }
    Ok(podium)
}

/// What one server did under the load.
struct Run {
    connect_s: f64,
    latencies: Latencies,
    rss_before_kib: u64,
    rss_after_kib: u64,
}

async fn bench(args: Args) -> anyhow::Result<()> {
    let n = args.clients;
    let podium = podium_binary(&args)?;
    eprintln!("podium-bench: {n} viewers; podium = {}", podium.display());
    // The first storm of a process pays for growing its heap and the kernel's socket tables;
    // pay it once, unmeasured, against a throwaway raw server, so the order of the runs is fair.
    warm_up(n).await?;
    let early_raw = if args.raw_first {
        Some(raw_baseline(n, args.samples).await?)
    } else {
        None
    };

    // podium, the real binary, journaling (fsync before each broadcast) to a scratch file.
    let journal = args
        .journal_dir
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("podium-bench-{}.jsonl", std::process::id()));
    eprintln!("podium-bench: journal in {}", journal.display());
    let server = Server::start(
        Command::new(&podium)
            .arg("run")
            .arg(&args.session)
            .args(["--bind", "127.0.0.1:0", "--token", TOKEN, "--no-notify"])
            .arg("--journal")
            .arg(&journal)
            .args(["--max-connections", &(n + 100).to_string()]),
        "speaker view: ",
    )
    .await?;
    let base = server.url.trim_end_matches('/').to_owned();
    let ws_url = format!("{}/ws", base.replacen("http", "ws", 1));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss_kib = server.rss_kib()?;
    let http = reqwest::Client::new();
    // Warm the HTTP connection so the first sample does not time a TCP handshake.
    http.get(format!("{base}/api/state"))
        .send()
        .await?
        .error_for_status()?;

    // Observers connected before the storm: joins and leaves must not reach them (any publish
    // would bump `seq`).
    let observers = Fleet::connect(&ws_url, 8, 8).await?;
    let seq_before = observers.max_seq();

    let started = Instant::now();
    let fleet = Fleet::connect(&ws_url, n, 256).await?;
    let connect_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after_kib = server.rss_kib()?;
    let joins_silent = observers.max_seq() == seq_before;

    // Idle traffic (before the start): nothing changes, so only `alive` frames and pings.
    let idle_bps = fleet
        .bytes_per_viewer_second(Duration::from_secs(args.window))
        .await;
    let mut latencies = Latencies::default();
    for i in 0..args.samples {
        let lat = fleet
            .time_message(&http, &format!("{base}/api/command"), TOKEN, i)
            .await?;
        latencies.extend(lat);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Running traffic: the countdown runs, but between phase changes the state does not change
    // (pages derive the countdown from `ends_at_ms`), so again only `alive` and pings.
    http.post(format!("{base}/api/command"))
        .bearer_auth(TOKEN)
        .body(r#"{"cmd":"start"}"#)
        .send()
        .await?
        .error_for_status()?;
    // The start's own state is a change, not running traffic: let it arrive first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let running_bps = fleet
        .bytes_per_viewer_second(Duration::from_secs(args.window))
        .await;

    // Leaves: the whole fleet goes at once.
    let seq_before_leaves = observers.max_seq();
    drop(fleet);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let joins_leaves_silent = joins_silent && observers.max_seq() == seq_before_leaves;
    drop(observers);
    let podium_run = Run {
        connect_s,
        latencies,
        rss_before_kib: idle_rss_kib,
        rss_after_kib,
    };
    server.stop().await;
    let _ = std::fs::remove_file(&journal);

    // The raw baseline, in its own process too.
    let raw_run = match early_raw {
        Some(run) => run,
        None => raw_baseline(n, args.samples).await?,
    };

    report(
        n,
        &journal,
        &podium_run,
        &raw_run,
        idle_bps,
        running_bps,
        joins_leaves_silent,
    );
    Ok(())
}

async fn warm_up(n: usize) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let server = Server::start(Command::new(exe).arg("--raw-server"), "raw: ").await?;
    let fleet = Fleet::connect(&server.url, n, 256).await?;
    drop(fleet);
    server.stop().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(())
}

async fn raw_baseline(n: usize, samples: usize) -> anyhow::Result<Run> {
    let exe = std::env::current_exe()?;
    let mut server = Server::start(Command::new(exe).arg("--raw-server"), "raw: ").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before_kib = server.rss_kib()?;
    let started = Instant::now();
    let fleet = Fleet::connect(&server.url, n, 256).await?;
    let connect_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after_kib = server.rss_kib()?;
    let mut latencies = Latencies::default();
    let stdin = server.child.stdin.as_mut().context("raw server stdin")?;
    for i in 0..samples as u64 {
        let seq = 1000 + i;
        let line = raw::frame(seq);
        let lat = fleet
            .time_delivery(seq, async {
                stdin.write_all(line.as_bytes()).await?;
                stdin.write_all(b"\n").await?;
                stdin.flush().await?;
                Ok(seq)
            })
            .await?;
        latencies.extend(lat);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(fleet);
    server.stop().await;
    Ok(Run {
        connect_s,
        latencies,
        rss_before_kib,
        rss_after_kib,
    })
}

fn report(
    n: usize,
    journal: &std::path::Path,
    podium: &Run,
    raw: &Run,
    idle_bps: f64,
    running_bps: f64,
    joins_leaves_silent: bool,
) {
    let per_client = |r: &Run| (r.rss_after_kib.saturating_sub(r.rss_before_kib)) as f64 / n as f64;
    let (p50, p99, max) = podium.latencies.summary();
    let (raw_p50, raw_p99, raw_max) = raw.latencies.summary();
    let ratio = if raw_p99 > 0.0 { p99 / raw_p99 } else { 0.0 };
    println!(
        "{n} viewers on loopback (command → every viewer, {} deliveries; journal in {})",
        podium.latencies.len(),
        journal.parent().unwrap_or(journal).display()
    );
    println!("{:<28} {:>12} {:>12}", "", "podium", "raw");
    println!(
        "{:<28} {:>12.3} {:>12.3}",
        "connect storm (s)", podium.connect_s, raw.connect_s
    );
    println!("{:<28} {:>12.2} {:>12.2}", "latency p50 (ms)", p50, raw_p50);
    println!("{:<28} {:>12.2} {:>12.2}", "latency p99 (ms)", p99, raw_p99);
    println!("{:<28} {:>12.2} {:>12.2}", "latency max (ms)", max, raw_max);
    println!(
        "{:<28} {:>12.1} {:>12.1}",
        "RSS before (MiB)",
        podium.rss_before_kib as f64 / 1024.0,
        raw.rss_before_kib as f64 / 1024.0
    );
    println!(
        "{:<28} {:>12.1} {:>12.1}",
        "RSS with viewers (MiB)",
        podium.rss_after_kib as f64 / 1024.0,
        raw.rss_after_kib as f64 / 1024.0
    );
    println!(
        "{:<28} {:>12.1} {:>12.1}",
        "RSS per viewer (KiB)",
        per_client(podium),
        per_client(raw)
    );
    println!("{:<28} {:>12.0}", "bytes/viewer/s idle", idle_bps);
    println!("{:<28} {:>12.0}", "bytes/viewer/s running", running_bps);
    println!("{:<28} {:>12.2}", "p99 podium / raw", ratio);
    println!("{:<28} {:>12}", "joins/leaves silent", joins_leaves_silent);
    let json = serde_json::json!({
        "clients": n,
        "connect_s": round(podium.connect_s, 3),
        "p50_ms": round(p50, 2),
        "p99_ms": round(p99, 2),
        "max_ms": round(max, 2),
        "raw_connect_s": round(raw.connect_s, 3),
        "raw_p50_ms": round(raw_p50, 2),
        "raw_p99_ms": round(raw_p99, 2),
        "raw_max_ms": round(raw_max, 2),
        "p99_ratio": round(ratio, 2),
        "rss_before_mib": round(podium.rss_before_kib as f64 / 1024.0, 1),
        "rss_after_mib": round(podium.rss_after_kib as f64 / 1024.0, 1),
        "rss_per_client_kib": round(per_client(podium), 1),
        "raw_rss_per_client_kib": round(per_client(raw), 1),
        "idle_rss_mib": round(podium.rss_before_kib as f64 / 1024.0, 1),
        "idle_bytes_per_client_s": round(idle_bps, 0),
        "running_bytes_per_client_s": round(running_bps, 0),
        "joins_leaves_silent": joins_leaves_silent,
        "deliveries": podium.latencies.len(),
        "journal_dir": journal.parent().unwrap_or(journal).display().to_string(),
    });
    println!("{json}");
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// A server child process: its URL (from the line starting with `prefix`) and its memory.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    async fn start(cmd: &mut Command, prefix: &str) -> anyhow::Result<Server> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the server process")?;
        let stdout = child.stdout.take().context("piped stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                .await
                .context("the server printed no URL within 30 s")??
                .context("the server exited before printing its URL")?;
            if let Some(url) = line.strip_prefix(prefix) {
                break url.trim().to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server { child, url })
    }

    /// Resident set size from /proc, in KiB.
    fn rss_kib(&self) -> anyhow::Result<u64> {
        let pid = self.child.id().context("the server is running")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("VmRSS in /proc/PID/status")
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
