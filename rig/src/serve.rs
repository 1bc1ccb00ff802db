//! `rig sim serve`: the virtual bench on real sockets, in real time, so the rig in real
//! mode, or any standard tool, talks to the twin as to hardware:
//!
//! - the SCPI source/sink on a raw TCP socket (as port 5025 of a real instrument),
//! - the Waveshare relay board's Modbus RTU frames on a TCP socket (as behind an
//!   RS485-to-Ethernet gateway in transparent mode),
//! - the chamber's Watlow F4T on Modbus TCP (as port 502 of the real controller),
//! - the pack's RS485 (Pylontech protocol) on a TCP socket (as behind a gateway),
//! - the BMS's CAN bus through a socketcand server (protocols.md §3.1, raw mode).
//!
//! Bound to loopback unless told otherwise. A plan that passes on the built-in
//! virtual bench passes unchanged on a bench file pointing at these endpoints.

use std::net::SocketAddr;

use futures::StreamExt;
use rig_drivers::can::socketcand::{Element, SocketcandCodec};
use rig_drivers::can::{CanFrame, CanId, MemoryCanPort};
use rig_sim::SimBench;
use tokio::io::{AsyncWriteExt, copy_bidirectional};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::FramedRead;

/// The addresses a serving bench listens on.
#[derive(Clone, Copy, Debug)]
pub struct Served {
    pub source: SocketAddr,
    pub io: SocketAddr,
    pub chamber: SocketAddr,
    pub rs485: SocketAddr,
    pub socketcand: SocketAddr,
}

impl Served {
    /// A bench file for these endpoints: the built-in bench with its resources replaced.
    pub fn bench_file(&self) -> String {
        crate::bench::BUILTIN_SIM_BENCH
            .replace("name: sim", "name: sim-served")
            .replace(
                "resource: sim:source",
                &format!(
                    "resource: TCPIP::{}::{}::SOCKET",
                    self.source.ip(),
                    self.source.port()
                ),
            )
            .replace(
                "resource: sim:io",
                &format!(
                    "resource: TCPIP::{}::{}::SOCKET",
                    self.io.ip(),
                    self.io.port()
                ),
            )
            .replace(
                "resource: sim:chamber",
                &format!(
                    "resource: TCPIP::{}::{}::SOCKET",
                    self.chamber.ip(),
                    self.chamber.port()
                ),
            )
            .replace(
                "resource: sim:rs485",
                &format!(
                    "resource: TCPIP::{}::{}::SOCKET",
                    self.rs485.ip(),
                    self.rs485.port()
                ),
            )
            .replace(
                "resource: sim:can0",
                &format!(
                    "resource: socketcand://{}:{}/can0",
                    self.socketcand.ip(),
                    self.socketcand.port()
                ),
            )
    }
}

/// Bind the five listeners (port 0 picks free ports) and serve until the task is
/// dropped. Must run on a real-time tokio runtime.
pub async fn serve(
    sim: std::sync::Arc<SimBench>,
    source: SocketAddr,
    io: SocketAddr,
    chamber: SocketAddr,
    rs485: SocketAddr,
    socketcand: SocketAddr,
) -> std::io::Result<(Served, impl std::future::Future<Output = ()>)> {
    let source_l = TcpListener::bind(source).await?;
    let io_l = TcpListener::bind(io).await?;
    let chamber_l = TcpListener::bind(chamber).await?;
    let rs485_l = TcpListener::bind(rs485).await?;
    let can_l = TcpListener::bind(socketcand).await?;
    let served = Served {
        source: source_l.local_addr()?,
        io: io_l.local_addr()?,
        chamber: chamber_l.local_addr()?,
        rs485: rs485_l.local_addr()?,
        socketcand: can_l.local_addr()?,
    };
    let run = async move {
        tokio::join!(
            bytes(source_l, sim.clone(), "source"),
            bytes(io_l, sim.clone(), "io"),
            bytes(chamber_l, sim.clone(), "chamber"),
            bytes(rs485_l, sim.clone(), "rs485"),
            can(can_l, sim.clone()),
        );
    };
    Ok((served, run))
}

/// Each connection gets its own pipe to the simulated instrument.
async fn bytes(listener: TcpListener, sim: std::sync::Arc<SimBench>, endpoint: &'static str) {
    while let Ok((mut tcp, _)) = listener.accept().await {
        let _ = tcp.set_nodelay(true);
        let Ok(mut pipe) = sim.open(endpoint) else {
            return;
        };
        tokio::spawn(async move {
            let _ = copy_bidirectional(&mut tcp, &mut pipe).await;
        });
    }
}

async fn can(listener: TcpListener, sim: std::sync::Arc<SimBench>) {
    while let Ok((tcp, _)) = listener.accept().await {
        let _ = tcp.set_nodelay(true);
        let Ok(port) = sim.can_port("can0") else {
            return;
        };
        tokio::spawn(socketcand_session(tcp, port));
    }
}

/// One socketcand client: `< hi >`, `< open can0 >` → `< ok >`, `< rawmode >` →
/// `< ok >`, then frames both ways (`< frame ID SECS.USECS DATA >` out, `< send ID DLC
/// B… >` in), `< echo >` answered.
async fn socketcand_session(tcp: TcpStream, mut port: MemoryCanPort) {
    let (read, mut write) = tcp.into_split();
    let mut elements = FramedRead::new(read, SocketcandCodec::new());
    if write.write_all(b"< hi >").await.is_err() {
        return;
    }
    let started = tokio::time::Instant::now();
    let mut raw = false;
    loop {
        tokio::select! {
            biased;
            element = elements.next() => {
                let Some(Ok(element)) = element else { return };
                let reply = match element {
                    Ok(Element::Echo) => Some("< echo >".to_string()),
                    Ok(Element::Other { text }) => command(&text, &mut raw, &port),
                    _ => Some("< error unknown command >".to_string()),
                };
                if let Some(reply) = reply {
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                    if reply.contains("could not open bus") {
                        return;
                    }
                }
            }
            frame = port.recv(), if raw => {
                let Ok(frame) = frame else { return };
                let t = started.elapsed();
                let line = format!("< frame {} {}.{:06} {} >", frame.id(), t.as_secs(), t.subsec_micros(), frame.data_hex());
                if write.write_all(line.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn command(text: &str, raw: &mut bool, port: &MemoryCanPort) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["open", "can0"] => Some("< ok >".into()),
        ["open", _] => Some("< error could not open bus >".into()),
        ["rawmode"] => {
            *raw = true;
            Some("< ok >".into())
        }
        ["bcmmode"] => Some("< error only raw mode is served >".into()),
        ["send", id, dlc, data @ ..] => {
            // socketcand ignores malformed sends silently (§3.1); so does this server.
            let id = if id.len() == 8 {
                u32::from_str_radix(id, 16).ok().map(CanId::Extended)
            } else {
                u16::from_str_radix(id, 16).ok().map(CanId::Standard)
            };
            let bytes: Option<Vec<u8>> = data
                .iter()
                .map(|b| u8::from_str_radix(b, 16).ok())
                .collect();
            if let (Some(id), Some(bytes), Ok(dlc)) = (id, bytes, dlc.parse::<usize>())
                && dlc == bytes.len()
                && let Ok(frame) = CanFrame::new(id, &bytes)
            {
                port.send(frame);
            }
            None
        }
        _ => Some("< error unknown command >".into()),
    }
}
