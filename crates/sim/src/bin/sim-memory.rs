//! sim-memory: how much memory a large simulated world takes to generate and to serve.
//!
//! `cargo run --release -p switchboard-sim --bin sim-memory -- <conversations> [days] [pages]`
//!
//! Generates a world of about `<conversations>` conversations spread over `days` (default
//! 364), reports the generation time and the peak resident memory (`VmHWM` of
//! `/proc/self/status`), serves it on 127.0.0.1 and pages through `Message` and
//! `Conversation` with `$top=10000` over HTTP for `pages` pages each (default 50) plus the
//! last page by `$skip`, then reports the peak again. The page count bounds the run's time;
//! the listener is loopback only. The HTTP client is a few lines over a TCP stream so that
//! the simulator needs no HTTP client outside its tests.
//!
//! Measured figures are in the crate's README ("Memory of a large world").

use std::sync::Arc;
use std::time::Instant;

use std::io::{Read, Write};

use switchboard_sim::{serve, ServeOptions, World, WorldConfig};

const TOP: usize = 10_000;

fn status_kib(name: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn memory() -> String {
    let gib = |kib: u64| kib as f64 / (1024.0 * 1024.0);
    format!(
        "peak RSS {:.2} GiB, current RSS {:.2} GiB",
        gib(status_kib("VmHWM:")),
        gib(status_kib("VmRSS:"))
    )
}

/// GET `path_and_query` from the simulator; returns (status, body). Blocking std I/O on
/// the blocking pool, so the server keeps running on the runtime's workers.
async fn get(addr: std::net::SocketAddr, path_and_query: &str) -> (u16, Vec<u8>) {
    let request = format!(
        "GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        switchboard_sim::DEMO_API_KEY
    );
    let raw = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        stream.write_all(request.as_bytes()).expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        raw
    })
    .await
    .expect("request task");
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw[head_end + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return (status, dechunk(&body));
    }
    (status, body)
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[line_end + 2..line_end + 2 + size]);
        raw = &raw[line_end + 2 + size + 2..];
    }
    out
}

/// Page through `collection`; returns (rows read, bytes read).
async fn page_through(
    addr: std::net::SocketAddr,
    collection: &str,
    total: usize,
    pages: usize,
) -> (usize, usize) {
    let mut skips: Vec<usize> = (0..pages).map(|p| p * TOP).filter(|s| *s < total).collect();
    let last = total.saturating_sub(1) / TOP * TOP;
    if !skips.contains(&last) {
        skips.push(last);
    }
    let (mut rows, mut bytes) = (0, 0);
    for skip in skips {
        let (status, body) = get(
            addr,
            &format!("/v1.1/odata/{collection}?$top={TOP}&$skip={skip}"),
        )
        .await;
        assert_eq!(status, 200, "{collection} at $skip={skip}");
        let page: serde_json::Value = serde_json::from_slice(&body).expect("a JSON page");
        let n = page["value"].as_array().map(Vec::len).unwrap_or(0);
        assert_eq!(n, TOP.min(total - skip), "{collection} at $skip={skip}");
        rows += n;
        bytes += body.len();
    }
    (rows, bytes)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64| -> u64 {
        args.get(i)
            .map(|a| a.replace('_', "").parse().expect("a whole number"))
            .unwrap_or(default)
    };
    let conversations = number(0, 100_000);
    let days = number(1, 364).max(1) as u32;
    let pages = number(2, 50) as usize;
    let config = WorldConfig {
        days,
        conversations_per_day: conversations.div_ceil(days as u64) as u32,
        ..WorldConfig::default()
    };
    println!(
        "World: about {conversations} conversations over {days} days ({} per day)",
        config.conversations_per_day
    );
    println!("Before generation: {}", memory());

    let started = Instant::now();
    let world = Arc::new(World::generate(&config));
    let generation = started.elapsed();
    let (messages, events) = (world.message_count(), world.event_count());
    println!(
        "Generated {} conversations, {messages} messages, {events} reporting events in {:.1} s",
        world.conversations.len(),
        generation.as_secs_f64()
    );
    println!("After generation: {}", memory());

    let started = Instant::now();
    let sim = serve(world.clone(), ServeOptions::default())
        .await
        .expect("serve on loopback");
    println!(
        "Serving on {} after {:.1} s of indexing: {}",
        sim.addr,
        started.elapsed().as_secs_f64(),
        memory()
    );

    for (collection, total) in [
        ("Message", messages),
        ("Conversation", world.conversations.len()),
    ] {
        let started = Instant::now();
        let (rows, bytes) = page_through(sim.addr, collection, total, pages).await;
        println!(
            "Paged {rows} {collection} rows ({:.0} MB of JSON, last page included) in {:.1} s: {}",
            bytes as f64 / 1e6,
            started.elapsed().as_secs_f64(),
            memory()
        );
    }
    sim.shutdown().await;
}
