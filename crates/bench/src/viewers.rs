//! The load: N real tokio-tungstenite viewers, one task each, counting the bytes they receive and
//! stamping when the state being timed reaches each of them.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// N connected viewers; dropping the fleet closes every socket.
pub struct Fleet {
    probe: Arc<Probe>,
    tasks: Vec<JoinHandle<()>>,
}

/// Shared by the viewers' tasks and the bench.
struct Probe {
    epoch: Instant,
    /// The `seq` being timed; 0 when none is.
    target: AtomicU64,
    arrived: AtomicUsize,
    /// Per viewer: nanoseconds since `epoch` at which the timed state arrived (0: not yet).
    arrivals: Vec<AtomicU64>,
    /// WebSocket bytes received by all viewers (payload plus frame header), every frame the
    /// server sends: states, `alive`, pings.
    bytes: AtomicU64,
    max_seq: AtomicU64,
    /// Text frames other than `{"type":"alive"}` received by all viewers (states, replies).
    texts: AtomicU64,
    /// While set, viewer 0 notes when each `alive` frame arrives (the rooms mode's heartbeats).
    logging: AtomicBool,
    alive_log: Mutex<Vec<Instant>>,
}

impl Probe {
    /// Counts one server frame of `payload` bytes (server frames are unmasked).
    fn count(&self, payload: usize) {
        let header = match payload {
            0..=125 => 2,
            126..=65535 => 4,
            _ => 10,
        };
        self.bytes
            .fetch_add((payload + header) as u64, Ordering::Relaxed);
    }

    fn saw(&self, viewer: usize, text: &str) {
        self.count(text.len());
        if is_alive(text) {
            if viewer == 0
                && self.logging.load(Ordering::Relaxed)
                && let Ok(mut log) = self.alive_log.lock()
            {
                log.push(Instant::now());
            }
            return;
        }
        self.texts.fetch_add(1, Ordering::Relaxed);
        let Some(seq) = seq_of(text) else { return };
        self.max_seq.fetch_max(seq, Ordering::Relaxed);
        let target = self.target.load(Ordering::Acquire);
        if target != 0 && seq >= target && self.arrivals[viewer].load(Ordering::Relaxed) == 0 {
            let ns = self.epoch.elapsed().as_nanos().max(1) as u64;
            self.arrivals[viewer].store(ns, Ordering::Relaxed);
            self.arrived.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// Whether a text frame is the server's `{"type":"alive"}` (and nothing else).
fn is_alive(text: &str) -> bool {
    text.len() < 32 && text.contains("\"alive\"")
}

/// The `seq` of a state message without parsing all of it (the bench shares the CPU).
fn seq_of(text: &str) -> Option<u64> {
    let start = text.find("\"seq\":")? + 6;
    let digits: &str = &text[start..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

impl Fleet {
    /// Connects `n` viewers, at most `concurrency` handshakes at a time; returns once every
    /// viewer has received its first state.
    pub async fn connect(url: &str, n: usize, concurrency: usize) -> anyhow::Result<Fleet> {
        let probe = Arc::new(Probe {
            epoch: Instant::now(),
            target: AtomicU64::new(0),
            arrived: AtomicUsize::new(0),
            arrivals: (0..n).map(|_| AtomicU64::new(0)).collect(),
            bytes: AtomicU64::new(0),
            max_seq: AtomicU64::new(0),
            texts: AtomicU64::new(0),
            logging: AtomicBool::new(false),
            alive_log: Mutex::new(Vec::new()),
        });
        let handshakes = Arc::new(Semaphore::new(concurrency));
        let (ready, mut readies) = mpsc::channel::<Result<(), String>>(n.max(1));
        let mut tasks = Vec::with_capacity(n);
        for i in 0..n {
            let (url, probe, handshakes, ready) = (
                url.to_owned(),
                probe.clone(),
                handshakes.clone(),
                ready.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let config = WebSocketConfig::default()
                    .read_buffer_size(4096)
                    .write_buffer_size(0);
                let mut permit = Some(handshakes.acquire_owned().await);
                let mut attempt = 0;
                let mut ws = loop {
                    match tokio_tungstenite::connect_async_with_config(&url, Some(config), true)
                        .await
                    {
                        Ok((ws, _)) => break ws,
                        Err(e) if attempt >= 3 => {
                            let _ = ready.send(Err(format!("viewer {i}: {e}"))).await;
                            return;
                        }
                        Err(_) => {
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                };
                let mut first = true;
                while let Some(msg) = ws.next().await {
                    match msg {
                        Ok(Message::Text(text)) => {
                            probe.saw(i, &text);
                            if first {
                                first = false;
                                // The handshake is done: let the next viewer start its own.
                                drop(permit.take());
                                let _ = ready.send(Ok(())).await;
                            }
                        }
                        // tungstenite answers pings by itself; they are traffic all the same.
                        Ok(Message::Ping(p) | Message::Pong(p) | Message::Binary(p)) => {
                            probe.count(p.len())
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
                if first {
                    let _ = ready
                        .send(Err(format!("viewer {i}: closed before any state")))
                        .await;
                }
            }));
        }
        drop(ready);
        let fleet = Fleet { probe, tasks };
        for _ in 0..n {
            match tokio::time::timeout(Duration::from_secs(60), readies.recv()).await {
                Ok(Some(Ok(()))) => {}
                Ok(Some(Err(e))) => bail!("{e}"),
                Ok(None) => bail!("viewers ended before connecting"),
                Err(_) => bail!("viewers not connected within 60 s"),
            }
        }
        Ok(fleet)
    }

    /// The highest `seq` any viewer has seen.
    pub fn max_seq(&self) -> u64 {
        self.probe.max_seq.load(Ordering::Relaxed)
    }

    /// Text frames other than `alive` received so far by all viewers together.
    pub fn texts(&self) -> u64 {
        self.probe.texts.load(Ordering::Relaxed)
    }

    /// From now on, viewer 0 notes when each `alive` frame reaches it.
    pub fn start_alive_log(&self) {
        if let Ok(mut log) = self.probe.alive_log.lock() {
            log.clear();
        }
        self.probe.logging.store(true, Ordering::Relaxed);
    }

    /// Stops noting and returns when viewer 0's `alive` frames arrived.
    pub fn take_alive_log(&self) -> Vec<Instant> {
        self.probe.logging.store(false, Ordering::Relaxed);
        self.probe
            .alive_log
            .lock()
            .map(|mut log| std::mem::take(&mut *log))
            .unwrap_or_default()
    }

    /// Bytes each viewer received per second over `window`.
    pub async fn bytes_per_viewer_second(&self, window: Duration) -> f64 {
        let before = self.probe.bytes.load(Ordering::Relaxed);
        tokio::time::sleep(window).await;
        let after = self.probe.bytes.load(Ordering::Relaxed);
        (after - before) as f64 / self.tasks.len().max(1) as f64 / window.as_secs_f64()
    }

    /// Posts message command number `i` to `url` with `token` and times its state's arrival at
    /// every viewer.
    pub async fn time_message(
        &self,
        http: &reqwest::Client,
        url: &str,
        token: &str,
        i: usize,
    ) -> anyhow::Result<Vec<f64>> {
        let body = serde_json::json!({"cmd": "message", "text": format!("bench {i}")}).to_string();
        self.time_delivery(self.max_seq() + 1, async {
            let answer: serde_json::Value = http
                .post(url)
                .bearer_auth(token)
                .body(body)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            Ok(answer["seq"].as_u64().unwrap_or_default())
        })
        .await
    }

    /// Runs `trigger` (which returns the `seq` it caused, expected to be `seq`) and returns, for
    /// every viewer, the milliseconds from the trigger to that state's arrival.
    pub async fn time_delivery(
        &self,
        seq: u64,
        trigger: impl Future<Output = anyhow::Result<u64>>,
    ) -> anyhow::Result<Vec<f64>> {
        let p = &self.probe;
        p.target.store(0, Ordering::Release);
        for a in &p.arrivals {
            a.store(0, Ordering::Relaxed);
        }
        p.arrived.store(0, Ordering::Release);
        p.target.store(seq, Ordering::Release);
        let t0 = p.epoch.elapsed().as_nanos() as u64;
        let caused = trigger.await?;
        if caused != seq {
            bail!("the command made seq {caused}, not {seq}: something else changed the state");
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while p.arrived.load(Ordering::Acquire) < p.arrivals.len() {
            if Instant::now() > deadline {
                bail!(
                    "only {} of {} viewers got seq {seq} within 30 s",
                    p.arrived.load(Ordering::Acquire),
                    p.arrivals.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        p.arrivals
            .iter()
            .map(|a| {
                let at = a.load(Ordering::Relaxed);
                (at > 0)
                    .then(|| at.saturating_sub(t0) as f64 / 1e6)
                    .context("an arrival was stamped")
            })
            .collect()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Delivery times in milliseconds.
#[derive(Default)]
pub struct Latencies(Vec<f64>);

impl Latencies {
    pub fn extend(&mut self, more: Vec<f64>) {
        self.0.extend(more);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// p50, p99 and max (nearest rank); zeros when empty.
    pub fn summary(&self) -> (f64, f64, f64) {
        let mut v = self.0.clone();
        if v.is_empty() {
            return (0.0, 0.0, 0.0);
        }
        v.sort_by(f64::total_cmp);
        let rank = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        (rank(0.50), rank(0.99), v[v.len() - 1])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn seq_is_found_without_parsing() {
        assert_eq!(
            super::seq_of(r#"{"type":"state","seq":17,"x":1}"#),
            Some(17)
        );
        assert_eq!(super::seq_of(r#"{"type":"pong"}"#), None);
    }

    #[test]
    fn alive_is_told_from_states() {
        assert!(super::is_alive(r#"{"type":"alive"}"#));
        assert!(!super::is_alive(
            r#"{"type":"state","seq":3,"title":"alive"}"#
        ));
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let l = super::Latencies((1..=100).map(f64::from).collect());
        assert_eq!(l.summary(), (50.0, 99.0, 100.0));
    }
}
