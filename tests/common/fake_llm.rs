//! An in-process fake OpenAI-compatible server on 127.0.0.1 for client tests: each accepted
//! connection gets the next scripted reply (SSE chunks with a gap between them, a status with
//! headers, or silence), and every request is recorded.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone, Debug)]
pub enum Reply {
    /// `text/event-stream` with these `data:` payloads, `gap` apart; then `[DONE]` if `done`.
    Sse {
        data: Vec<String>,
        gap: Duration,
        done: bool,
    },
    /// A plain response.
    Status {
        code: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
}

/// One streamed chunk carrying `content` and/or a finish reason.
pub fn chunk(content: Option<&str>, finish: Option<&str>) -> String {
    let delta = content.map_or(
        serde_json::json!({}),
        |c| serde_json::json!({ "content": c }),
    );
    serde_json::json!({
        "id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "fake",
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }]
    })
    .to_string()
}

/// A stream of `tokens` ending with finish reason "stop" and `[DONE]`.
pub fn tokens(tokens: &[&str], gap: Duration) -> Reply {
    let mut data: Vec<String> = tokens.iter().map(|t| chunk(Some(t), None)).collect();
    data.push(chunk(None, Some("stop")));
    Reply::Sse {
        data,
        gap,
        done: true,
    }
}

pub fn status(code: u16, body: &str) -> Reply {
    Reply::Status {
        code,
        headers: Vec::new(),
        body: body.into(),
    }
}

/// What the server saw and did.
#[derive(Default, Debug)]
pub struct Log {
    pub requests: Vec<String>,
    /// A write failed because the client went away (cancellation).
    pub client_gone: bool,
}

pub struct FakeServer {
    pub base_url: String,
    pub log: Arc<Mutex<Log>>,
}

impl FakeServer {
    pub async fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Log::default()));
        let server_log = log.clone();
        tokio::spawn(async move {
            for reply in replies {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let request = read_request(&mut socket).await;
                server_log.lock().unwrap().requests.push(request);
                let log = server_log.clone();
                tokio::spawn(async move {
                    if !write_reply(&mut socket, &reply).await {
                        log.lock().unwrap().client_gone = true;
                    }
                });
            }
        });
        Self { base_url, log }
    }

    /// A server that answers every connection with `route(request text)`, for as long as the
    /// test runs (so retries and concurrency cannot shift which reply goes where).
    pub async fn routed(route: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Log::default()));
        let server_log = log.clone();
        let route = Arc::new(route);
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (log, route) = (server_log.clone(), route.clone());
                tokio::spawn(async move {
                    let request = read_request(&mut socket).await;
                    let reply = route(&request);
                    log.lock().unwrap().requests.push(request);
                    if !write_reply(&mut socket, &reply).await {
                        log.lock().unwrap().client_gone = true;
                    }
                });
            }
        });
        Self { base_url, log }
    }

    pub fn request_count(&self) -> usize {
        self.log.lock().unwrap().requests.len()
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(read) = socket.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        data.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&data);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&data).into_owned()
}

/// Writes the reply; false when the client went away mid-stream.
async fn write_reply(socket: &mut tokio::net::TcpStream, reply: &Reply) -> bool {
    match reply {
        Reply::Status {
            code,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            socket.write_all(head.as_bytes()).await.is_ok()
                && socket.write_all(body.as_bytes()).await.is_ok()
        }
        Reply::Sse { data, gap, done } => {
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
            if socket.write_all(head.as_bytes()).await.is_err() {
                return false;
            }
            for item in data {
                tokio::time::sleep(*gap).await;
                if socket
                    .write_all(format!("data: {item}\n\n").as_bytes())
                    .await
                    .is_err()
                    || socket.flush().await.is_err()
                {
                    return false;
                }
            }
            if *done && socket.write_all(b"data: [DONE]\n\n").await.is_err() {
                return false;
            }
            let _ = socket.shutdown().await;
            true
        }
    }
}
