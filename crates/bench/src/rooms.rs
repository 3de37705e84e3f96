//! The rooms mode (`--rooms R --clients-per-room N`): one podium process runs an event of R tiny
//! inline rooms with N viewers each, and a second podium process runs a lone room (a plain session)
//! with N viewers, both loaded at once on the same machine. Commands are timed alternately in the
//! lone room and in one room of the event (a different room each sample), so both latencies are
//! measured under the same load; meanwhile every other room's viewers count the non-`alive` frames
//! they receive (isolation: must be 0). Memory per idle room is the idle RSS of the event minus
//! that of an event of one room (its own process, started first), over R − 1. Heartbeats: each
//! room's controller refreshes its stored state once a second, and a socket that connects gets that
//! state, whose `server_time_ms` is the refresh's instant; its phase within the second is the
//! room's heartbeat phase. The `alive` frames' arrivals on one viewer per room are timed too (their
//! phase follows each socket's connect and last state, i.e. the clients).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;

use crate::viewers::{Fleet, Latencies};
use crate::{Server, TOKEN, round};

/// The organiser token the event runs with (commands to any room).
const ORGANISER: &str = "podium-bench-organiser-token";

/// What the rooms mode is asked to do.
pub struct Plan {
    pub rooms: usize,
    pub per_room: usize,
    pub samples: usize,
    /// Seconds over which `alive` arrivals are timed.
    pub window: u64,
    pub podium: PathBuf,
    /// Where the scratch files and journals go (default: the temp dir).
    pub dir: Option<PathBuf>,
}

pub async fn bench(plan: Plan) -> anyhow::Result<()> {
    let (r, n) = (plan.rooms, plan.per_room);
    if r < 2 {
        bail!("--rooms must be at least 2 (memory per room is the difference to one room)");
    }
    let dir = plan
        .dir
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("podium-bench-rooms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = run(&plan, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    let report = result?;
    report.print(r, n, &dir);
    Ok(())
}

fn room_id(i: usize) -> String {
    format!("r{i:03}")
}

/// An event file of `rooms` inline rooms, one segment each.
fn event_toml(rooms: usize) -> String {
    let mut s = String::from("title = \"podium-bench event\"\n");
    for i in 0..rooms {
        let _ = write!(
            s,
            "\n[[room]]\nid = \"{id}\"\n[room.show]\ntitle = \"Room {i}\"\n\
             [[room.show.segment]]\ntitle = \"Talk\"\nduration = \"1h\"\n",
            id = room_id(i)
        );
    }
    s
}

const LONE_TOML: &str =
    "title = \"podium-bench lone room\"\n\n[[segment]]\ntitle = \"Talk\"\nduration = \"1h\"\n";

/// Starts `podium run` on an event file of `rooms` rooms.
async fn start_event(
    podium: &Path,
    dir: &Path,
    rooms: usize,
    max_connections: usize,
) -> anyhow::Result<Server> {
    let file = dir.join(format!("event-{rooms}.toml"));
    std::fs::write(&file, event_toml(rooms))?;
    Server::start(
        Command::new(podium)
            .arg("run")
            .arg(&file)
            .args(["--bind", "127.0.0.1:0", "--organiser-token", ORGANISER])
            .arg("--no-notify")
            .arg("--journal")
            .arg(dir.join(format!("journals-{rooms}")))
            .args(["--max-connections", &max_connections.to_string()]),
        "speaker view: ",
    )
    .await
}

struct Report {
    connect_s: f64,
    rooms: Latencies,
    lone: Latencies,
    /// Non-`alive` frames other rooms' viewers received while a room's command was delivered.
    other_frames: u64,
    /// Non-`alive` frames the commanded room's viewers received, per viewer per command (1 expected).
    own_frames_per_viewer: f64,
    rss_one_kib: u64,
    rss_rooms_kib: u64,
    rss_loaded_kib: u64,
    heartbeat: Phases,
    alive: Phases,
    /// Rooms whose probe gave no heartbeat (should be none).
    heartbeat_missing: usize,
}

async fn run(plan: &Plan, dir: &Path) -> anyhow::Result<Report> {
    let (r, n) = (plan.rooms, plan.per_room);
    eprintln!(
        "podium-bench: {r} rooms × {n} viewers; podium = {}",
        plan.podium.display()
    );
    // The first storm of the bench pays for growing its heap: pay it once, unmeasured.
    crate::warm_up(r * n).await?;

    // Memory of an event of one room, idle.
    let one = start_event(&plan.podium, dir, 1, 100).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rss_one_kib = one.rss_kib()?;
    one.stop().await;

    // The lone room: a plain session in its own process.
    let lone_file = dir.join("lone.toml");
    std::fs::write(&lone_file, LONE_TOML)?;
    let lone = Server::start(
        Command::new(&plan.podium)
            .arg("run")
            .arg(&lone_file)
            .args(["--bind", "127.0.0.1:0", "--token", TOKEN, "--no-notify"])
            .arg("--journal")
            .arg(dir.join("lone.jsonl"))
            .args(["--max-connections", &(n + 100).to_string()]),
        "speaker view: ",
    )
    .await?;
    let lone_base = lone.url.trim_end_matches('/').to_owned();

    // The event, idle: its memory, and its rooms' heartbeat phases (no command yet, so each
    // controller still keeps the cadence it was started with).
    let event = start_event(&plan.podium, dir, r, r * n + 2 * r + 100).await?;
    let base = event.url.trim_end_matches('/').to_owned();
    let ws_base = base.replacen("http", "ws", 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rss_rooms_kib = event.rss_kib()?;
    let mut beats = Vec::with_capacity(r);
    let mut heartbeat_missing = 0;
    for i in 0..r {
        match first_server_time(&format!("{ws_base}/r/{}/ws", room_id(i))).await? {
            Some(ms) => beats.push(ms.rem_euclid(1000) as f64),
            None => heartbeat_missing += 1,
        }
    }
    let heartbeat = Phases::of(&beats);

    let http = reqwest::Client::new();
    for url in [
        format!("{lone_base}/api/state"),
        format!("{base}/r/{}/api/state", room_id(0)),
    ] {
        http.get(url).send().await?.error_for_status()?;
    }

    // The viewers: the lone room's, then every room's.
    let lone_fleet = Fleet::connect(
        &format!("{}/ws", lone_base.replacen("http", "ws", 1)),
        n,
        256,
    )
    .await?;
    let started = Instant::now();
    let mut fleets = Vec::with_capacity(r);
    for i in 0..r {
        fleets.push(Fleet::connect(&format!("{ws_base}/r/{}/ws", room_id(i)), n, 256).await?);
    }
    let connect_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let rss_loaded_kib = event.rss_kib()?;

    // `alive` arrivals on one viewer per room.
    for f in &fleets {
        f.start_alive_log();
    }
    let epoch = Instant::now();
    tokio::time::sleep(Duration::from_secs(plan.window.max(2))).await;
    let logs: Vec<Vec<Instant>> = fleets.iter().map(Fleet::take_alive_log).collect();
    let alive = Phases::of_arrivals(&logs, epoch);

    // Commands: the lone room and one room of the event, alternately (each first in turn).
    let mut rooms = Latencies::default();
    let mut lone_lat = Latencies::default();
    let mut other_frames = 0;
    let mut own_frames = 0;
    let mut slowest = Vec::new();
    for i in 0..plan.samples {
        let k = (i * r / plan.samples.max(1)) % r;
        let lone_first = i % 2 == 0;
        for which in [lone_first, !lone_first] {
            if which {
                let url = format!("{lone_base}/api/command");
                let lat = lone_fleet.time_message(&http, &url, TOKEN, i).await?;
                slowest.push(format!(
                    "lone {:.1}",
                    lat.iter().copied().fold(0.0, f64::max)
                ));
                lone_lat.extend(lat);
            } else {
                let before: Vec<u64> = fleets.iter().map(Fleet::texts).collect();
                let url = format!("{base}/r/{}/api/command", room_id(k));
                let lat = fleets[k].time_message(&http, &url, ORGANISER, i).await?;
                slowest.push(format!(
                    "{} {:.1}",
                    room_id(k),
                    lat.iter().copied().fold(0.0, f64::max)
                ));
                rooms.extend(lat);
                // Anything that leaked to another room would have arrived by now.
                tokio::time::sleep(Duration::from_millis(100)).await;
                for (j, f) in fleets.iter().enumerate() {
                    let got = f.texts() - before[j];
                    if j == k {
                        own_frames += got;
                    } else {
                        other_frames += got;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    eprintln!(
        "podium-bench: each command's slowest delivery (ms): {}",
        slowest.join(", ")
    );
    drop(fleets);
    drop(lone_fleet);
    event.stop().await;
    lone.stop().await;
    Ok(Report {
        connect_s,
        rooms,
        lone: lone_lat,
        other_frames,
        own_frames_per_viewer: own_frames as f64 / (plan.samples.max(1) * n) as f64,
        rss_one_kib,
        rss_rooms_kib,
        rss_loaded_kib,
        heartbeat,
        alive,
        heartbeat_missing,
    })
}

/// The `server_time_ms` of the state a new socket gets first: the instant of the room's last
/// heartbeat refresh (or of its last change).
async fn first_server_time(url: &str) -> anyhow::Result<Option<i64>> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .with_context(|| format!("connecting {url}"))?;
    let first = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(msg) = ws.next().await {
            if let Ok(Message::Text(text)) = msg {
                return Some(text);
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    let _ = ws.close(None).await;
    Ok(first.and_then(|text| {
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        v["server_time_ms"].as_i64()
    }))
}

/// How events of different rooms fall within the second.
#[derive(Debug, Default, PartialEq)]
struct Phases {
    /// Rooms measured.
    rooms: usize,
    /// The most rooms whose event fell in the same millisecond.
    max_same_ms: usize,
    /// The shortest arc of the second that holds every room's phase (ms).
    span_ms: f64,
    /// Rooms per tenth of the second, by phase.
    tenths: [usize; 10],
}

impl Phases {
    /// From each room's phase within the second (ms, 0 ≤ phase < 1000).
    fn of(phases: &[f64]) -> Phases {
        let mut per_ms = vec![0usize; 1000];
        let mut tenths = [0usize; 10];
        for &p in phases {
            let ms = (p.floor() as usize).min(999);
            per_ms[ms] += 1;
            tenths[ms / 100] += 1;
        }
        let mut sorted = phases.to_vec();
        sorted.sort_by(f64::total_cmp);
        let span_ms = match (sorted.first(), sorted.last()) {
            (Some(first), Some(last)) => {
                // The largest gap between neighbours (around the second too) is left out.
                let wrap = first + 1000.0 - last;
                let gap = sorted.windows(2).map(|w| w[1] - w[0]).fold(wrap, f64::max);
                1000.0 - gap
            }
            _ => 0.0,
        };
        Phases {
            rooms: phases.len(),
            max_same_ms: per_ms.into_iter().max().unwrap_or(0),
            span_ms,
            tenths,
        }
    }

    /// From each room's arrival instants: the most rooms in one millisecond of the window, and
    /// each room's phase (its first arrival's) within the second.
    fn of_arrivals(logs: &[Vec<Instant>], epoch: Instant) -> Phases {
        let mut by_ms = std::collections::HashMap::<u128, usize>::new();
        let mut firsts = Vec::new();
        for log in logs {
            let mut seen = std::collections::HashSet::new();
            for at in log {
                let ms = at.saturating_duration_since(epoch).as_millis();
                if seen.insert(ms) {
                    *by_ms.entry(ms).or_default() += 1;
                }
            }
            if let Some(first) = log.first() {
                firsts.push(
                    (first.saturating_duration_since(epoch).as_micros() % 1_000_000) as f64
                        / 1000.0,
                );
            }
        }
        Phases {
            max_same_ms: by_ms.into_values().max().unwrap_or(0),
            ..Phases::of(&firsts)
        }
    }
}

impl Report {
    fn print(&self, r: usize, n: usize, dir: &Path) {
        let (p50, p99, max) = self.rooms.summary();
        let (l50, l99, lmax) = self.lone.summary();
        let per_room_kib =
            self.rss_rooms_kib.saturating_sub(self.rss_one_kib) as f64 / (r - 1) as f64;
        println!(
            "{r} rooms × {n} viewers ({} viewers) on loopback; command → every viewer of its room, \
             {} deliveries each; scratch in {}",
            r * n,
            self.rooms.len(),
            dir.display()
        );
        println!("{:<36} {:>12} {:>12}", "", "a room of R", "lone room");
        println!("{:<36} {:>12.2} {:>12.2}", "latency p50 (ms)", p50, l50);
        println!("{:<36} {:>12.2} {:>12.2}", "latency p99 (ms)", p99, l99);
        println!("{:<36} {:>12.2} {:>12.2}", "latency max (ms)", max, lmax);
        println!("{:<36} {:>12.2}", "p99 room − p99 lone (ms)", p99 - l99);
        println!(
            "{:<36} {:>12.3}",
            "connect storm, all rooms (s)", self.connect_s
        );
        println!(
            "{:<36} {:>12}",
            "frames to other rooms' viewers", self.other_frames
        );
        println!(
            "{:<36} {:>12.2}",
            "frames per viewer of the room", self.own_frames_per_viewer
        );
        println!(
            "{:<36} {:>12.1}",
            "RSS idle, 1 room (MiB)",
            self.rss_one_kib as f64 / 1024.0
        );
        println!(
            "{:<36} {:>12.1}",
            format!("RSS idle, {r} rooms (MiB)"),
            self.rss_rooms_kib as f64 / 1024.0
        );
        println!("{:<36} {:>12.1}", "RSS per idle room (KiB)", per_room_kib);
        println!(
            "{:<36} {:>12.1}",
            "RSS with viewers (MiB)",
            self.rss_loaded_kib as f64 / 1024.0
        );
        for (name, p) in [("heartbeat", &self.heartbeat), ("alive", &self.alive)] {
            println!(
                "{:<36} {:>12}",
                format!("{name}: most rooms in one ms"),
                p.max_same_ms
            );
            println!(
                "{:<36} {:>12.0}",
                format!("{name}: phases span (ms of 1000)"),
                p.span_ms
            );
            println!(
                "{:<36} {:?}",
                format!("{name}: rooms per 100 ms of phase"),
                p.tenths
            );
        }
        let phases = |p: &Phases| {
            serde_json::json!({
                "rooms": p.rooms,
                "max_rooms_same_ms": p.max_same_ms,
                "span_ms": round(p.span_ms, 1),
                "rooms_per_100ms": p.tenths,
            })
        };
        let json = serde_json::json!({
            "mode": "rooms",
            "rooms": r,
            "clients_per_room": n,
            "clients": r * n,
            "connect_s": round(self.connect_s, 3),
            "p50_ms": round(p50, 2),
            "p99_ms": round(p99, 2),
            "max_ms": round(max, 2),
            "lone_p50_ms": round(l50, 2),
            "lone_p99_ms": round(l99, 2),
            "lone_max_ms": round(lmax, 2),
            "p99_minus_lone_ms": round(p99 - l99, 2),
            "deliveries": self.rooms.len(),
            "other_room_frames": self.other_frames,
            "own_frames_per_viewer": round(self.own_frames_per_viewer, 2),
            "rss_one_room_mib": round(self.rss_one_kib as f64 / 1024.0, 1),
            "rss_rooms_idle_mib": round(self.rss_rooms_kib as f64 / 1024.0, 1),
            "rss_per_idle_room_kib": round(per_room_kib, 1),
            "rss_with_viewers_mib": round(self.rss_loaded_kib as f64 / 1024.0, 1),
            "heartbeat": phases(&self.heartbeat),
            "heartbeat_missing": self.heartbeat_missing,
            "alive": phases(&self.alive),
        });
        println!("{json}");
    }
}

#[cfg(test)]
mod tests {
    use super::Phases;

    #[test]
    fn phases_in_one_millisecond_are_counted_together() {
        let p = Phases::of(&[500.1, 500.7, 500.9, 999.5]);
        assert_eq!(p.max_same_ms, 3);
        assert_eq!(p.tenths[5], 3);
        assert_eq!(p.tenths[9], 1);
        assert!((p.span_ms - 499.4).abs() < 1e-9, "{p:?}");
    }

    #[test]
    fn the_span_wraps_around_the_second() {
        let p = Phases::of(&[990.0, 5.0]);
        assert!((p.span_ms - 15.0).abs() < 1e-9, "{p:?}");
        let spread: Vec<f64> = (0..200).map(|i| f64::from(i) * 5.0).collect();
        let p = Phases::of(&spread);
        assert_eq!(p.max_same_ms, 1);
        assert_eq!(p.tenths, [20; 10]);
    }

    #[test]
    fn the_event_file_has_every_room() {
        let toml = super::event_toml(3);
        assert_eq!(toml.matches("[[room]]").count(), 3);
        assert!(toml.contains("id = \"r002\""));
    }
}
