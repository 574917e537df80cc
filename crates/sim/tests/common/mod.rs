//! One plain HTTP/1.1 client over `std::net::TcpStream` for the contract tests, so that they
//! see exactly the bytes a connector would (no client library smoothing over status lines,
//! chunking or headers), plus the world and server most of them start from.
//!
//! Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::Value;
use switchboard_sim::{serve, FaultPlan, RunningSim, ServeOptions, World, WorldConfig};

/// A whole response: header names lowercased, a chunked body already joined.
pub struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// The request bytes. Spaces and quotes in the target are escaped so that tests can write
/// filters and dates as a person reads them. Without a body, a GET carries no
/// `Content-Length` and any other method says 0; the `Host` is the server's own address
/// because OAuth 1.0a signs `http://<Host><path>`.
fn encode(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> String {
    let target = target.replace(' ', "%20").replace('\'', "%27");
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    match body {
        Some(body) => req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len())),
        None if method != "GET" => req.push_str("Content-Length: 0\r\n\r\n"),
        None => req.push_str("\r\n"),
    }
    req
}

/// Writes the request and reads until the server closes (`Connection: close`).
fn send(addr: SocketAddr, req: &str) -> Vec<u8> {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.write_all(req.as_bytes()).expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    raw
}

fn parse(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap().trim(), 16)
                .unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + size]);
            rest = &rest[nl + 4 + size..];
        }
        body = out;
    }
    Resp {
        status,
        headers,
        body: String::from_utf8(body).expect("UTF-8 body"),
    }
}

/// One request, blocking: for tests that hold a request open on their own thread.
pub fn exchange(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Resp {
    parse(&send(addr, &encode(addr, method, target, headers, body)))
}

/// One request from a test. The blocking I/O runs on the blocking pool so that the server
/// keeps running on the test's runtime.
pub async fn request(
    sim: &RunningSim,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Resp {
    let addr = sim.addr;
    let req = encode(addr, method, target, headers, body);
    let raw = tokio::task::spawn_blocking(move || send(addr, &req))
        .await
        .expect("request task");
    parse(&raw)
}

/// Six January days from Monday 2026-01-05: no DST change in Berlin, so offset +1 = Berlin.
pub fn small_world() -> Arc<World> {
    Arc::new(World::generate(&WorldConfig {
        seed: 11,
        days: 6,
        conversations_per_day: 120,
        ..WorldConfig::default()
    }))
}

pub async fn start(world: &Arc<World>, faults: &str) -> RunningSim {
    serve(
        world.clone(),
        ServeOptions {
            faults: FaultPlan::parse(faults).unwrap(),
            ..ServeOptions::default()
        },
    )
    .await
    .expect("serve")
}
