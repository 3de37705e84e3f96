//! The harness's slow link (see `sync_harness.rs`): `tc netem` in a network namespace joined to
//! the host by a veth pair, or a user-space TCP proxy that delays and occasionally holds chunks.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::env_flag;
use crate::common::browser::Netns;

/// A namespace with netem on both ends of its veth; removed on drop.
pub struct NetemLink {
    pub netns: Netns,
    host_veth: String,
    /// False only for the plumbing check (`PODIUM_SYNC_NETNS_WITHOUT_NETEM=1`).
    pub shaped: bool,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl NetemLink {
    /// Sets up the namespace and the delayed link, or says why it cannot.
    pub fn create() -> Result<NetemLink, String> {
        // Unique per process, so parallel runs cannot collide; within 10.206.0.0/16.
        let n = std::process::id() % 64;
        let (outer, inner) = (
            Ipv4Addr::new(10, 206, n as u8, 1),
            Ipv4Addr::new(10, 206, n as u8, 2),
        );
        let name = format!("podium-sync-{}", std::process::id());
        let host_veth = format!("psh{}", std::process::id() % 100_000);
        let ns_veth = format!("psn{}", std::process::id() % 100_000);
        ip(&["netns", "add", &name])?;
        let mut link = NetemLink {
            netns: Netns {
                name: name.clone(),
                inner,
                outer,
            },
            host_veth: host_veth.clone(),
            shaped: true,
        };
        let netem = [
            "delay",
            "75ms",
            "15ms",
            "distribution",
            "normal",
            "loss",
            "0.5%",
        ];
        ip(&[
            "link", "add", &host_veth, "type", "veth", "peer", "name", &ns_veth,
        ])?;
        ip(&["link", "set", &ns_veth, "netns", &name])?;
        ip(&["addr", "add", &format!("{outer}/30"), "dev", &host_veth])?;
        ip(&["link", "set", &host_veth, "up"])?;
        ip(&[
            "netns",
            "exec",
            &name,
            "ip",
            "addr",
            "add",
            &format!("{inner}/30"),
            "dev",
            &ns_veth,
        ])?;
        ip(&["netns", "exec", &name, "ip", "link", "set", &ns_veth, "up"])?;
        ip(&["netns", "exec", &name, "ip", "link", "set", "lo", "up"])?;
        let tc = |prefix: &[&str], dev: &str| -> Result<(), String> {
            let mut args: Vec<&str> = prefix.to_vec();
            args.extend(["tc", "qdisc", "add", "dev", dev, "root", "netem"]);
            args.extend(netem);
            let out = Command::new(args[0])
                .args(&args[1..])
                .output()
                .map_err(|e| format!("tc: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "`tc qdisc add … netem` failed: {} (the kernel lacks sch_netem?)",
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        };
        let shaped =
            tc(&["ip", "netns", "exec", &name], &ns_veth).and_then(|()| tc(&[], &host_veth));
        match shaped {
            // A check of the namespace plumbing on a kernel without netem (the page crosses a
            // plain veth): only on request, and the report says so.
            Err(why) if env_flag("PODIUM_SYNC_NETNS_WITHOUT_NETEM") => {
                eprintln!(
                    "{why}; PODIUM_SYNC_NETNS_WITHOUT_NETEM: using the namespace without delay"
                );
                link.shaped = false;
                Ok(link)
            }
            Err(why) => Err(why),
            Ok(()) => Ok(link),
        }
    }
}

impl Drop for NetemLink {
    fn drop(&mut self) {
        // Deleting the namespace deletes its veth end, and with it the host's.
        let _ = ip(&["link", "del", &self.host_veth]);
        let _ = ip(&["netns", "del", &self.netns.name]);
    }
}

/// A tiny deterministic generator (xorshift64*): jitter without a dependency.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The user-space slow link: accepts on loopback, forwards to `target` with the delays above.
pub async fn delay_proxy(target: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the proxy");
    let addr = listener.local_addr().expect("bound");
    tokio::spawn(async move {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(target).await else {
                continue;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            seed = seed.wrapping_add(0x1234_5678_9abc_def1);
            tokio::spawn(delayed_pipe(cr, sw, Rng(seed)));
            tokio::spawn(delayed_pipe(sr, cw, Rng(seed ^ 0xdead_beef)));
        }
    });
    addr
}

/// Copies `from` to `to`, each chunk delivered 75 ± 15 ms after it was read (uniform), in order;
/// 0.5 % of chunks another 200 ms late (a lost segment, retransmitted).
async fn delayed_pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut rng: Rng,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((at, chunk)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    let mut last = Instant::now();
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let mut delay_ms = 60.0 + 30.0 * rng.next_f64();
        if rng.next_f64() < 0.005 {
            delay_ms += 200.0;
        }
        let at = (Instant::now() + Duration::from_secs_f64(delay_ms / 1000.0)).max(last);
        last = at;
        if tx.send((at, buf[..n].to_vec())).is_err() {
            break;
        }
    }
    drop(tx);
    let _ = writer.await;
}
