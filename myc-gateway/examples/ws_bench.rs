//! WebSocket echo load for `bench/edge.sh`:
//!
//! ```text
//! ws_bench server 127.0.0.1:9001                       # an echo server
//! ws_bench client ws://127.0.0.1:8080/ws 32 3 [TOKEN]  # 32 connections for 3 s
//! ```
//!
//! The client keeps one 64-byte text message in flight per connection (send, await its echo)
//! and prints the echoes per second over all connections.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn server(addr: &str) {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            while let Some(Ok(message)) = ws.next().await {
                if message.is_close() || ws.send(message).await.is_err() {
                    break;
                }
            }
        });
    }
}

async fn client(url: &str, connections: usize, seconds: u64, token: Option<&str>) {
    let echoes = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let mut request = url.into_client_request().unwrap();
        if let Some(token) = token {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let echoes = echoes.clone();
        tasks.push(tokio::spawn(async move {
            let payload = "x".repeat(64);
            while Instant::now() < deadline {
                ws.send(Message::text(payload.clone())).await.unwrap();
                loop {
                    match ws.next().await {
                        Some(Ok(Message::Text(_))) => break,
                        Some(Ok(_)) => continue,
                        other => panic!("connection ended: {other:?}"),
                    }
                }
                echoes.fetch_add(1, Ordering::Relaxed);
            }
            let _ = ws.close(None).await;
        }));
    }
    let started = Instant::now();
    for task in tasks {
        task.await.unwrap();
    }
    let rate = echoes.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    println!("{rate:.0}");
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("server") => server(&args[2]).await,
        Some("client") => {
            client(
                &args[2],
                args[3].parse().unwrap(),
                args[4].parse().unwrap(),
                args.get(5).map(String::as_str),
            )
            .await
        }
        _ => eprintln!("usage: ws_bench server ADDR | client URL CONNECTIONS SECONDS [TOKEN]"),
    }
}
