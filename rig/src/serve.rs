//! `rig sim serve`: the virtual bench on real sockets, in real time, so the rig in real
//! mode, or any standard tool, talks to the twin as to hardware:
//!
//! - the SCPI source/sink on a raw TCP socket (as port 5025 of a real instrument),
//! - the Waveshare relay board's Modbus RTU frames on a TCP socket (as behind an
//!   RS485-to-Ethernet gateway in transparent mode),
//! - the chamber's Watlow F4T on Modbus TCP (as port 502 of the real controller),
//! - the pack's RS485 (Pylontech protocol) on a TCP socket (as behind a gateway),
//! - the BMS's CAN bus through a socketcand server (protocols.md §3.1, raw mode), and
//!   with `--can socketcan:IFACE` also on a kernel CAN interface ([`socketcan`]),
//! - the other instrument families on TCP sockets, each in its own wire format: a
//!   Watlow F4's Modbus RTU frames and an ESPEC P-300's ASCII lines (as behind serial
//!   gateways), a Keysight DAQ970A's and two electronic loads' SCPI (raw sockets), a
//!   Numato relay module's ASCII with echo (as behind a serial gateway).
//!
//! Bound to loopback unless told otherwise. A plan that passes on the built-in
//! virtual bench passes unchanged on a bench file pointing at these endpoints.

pub mod bench;
mod keepalive;
pub mod socketcan;

use std::net::SocketAddr;

use futures::StreamExt;
use rig_drivers::can::socketcand::{Element, SocketcandCodec};
use rig_drivers::can::{CanFrame, CanId, MemoryCanPort, SocketCanPort};
use rig_sim::SimBench;
use tokio::io::{AsyncWriteExt, copy_bidirectional};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::FramedRead;

/// The byte endpoints `rig sim serve` puts on TCP, each with what a user needs to know
/// to point a tool at it (the `--<endpoint>-port` help says the same).
pub const BYTE_ENDPOINTS: &[(&str, &str)] = &[
    ("source", "SCPI source/sink, raw socket"),
    ("io", "Waveshare relay board, Modbus RTU frames"),
    ("chamber", "Watlow F4T chamber controller, Modbus TCP"),
    ("rs485", "the pack's RS485, Pylontech protocol"),
    (
        "chamber_f4",
        "Watlow F4 chamber controller, Modbus RTU frames, address 1",
    ),
    (
        "chamber_espec",
        "ESPEC P-300 chamber controller, ASCII lines (CR LF)",
    ),
    (
        "daq970a",
        "Keysight DAQ970A, SCPI: channels 101-108 = relay lines 1-8, DIO (@302) bits 0-7 = input lines 1-8",
    ),
    (
        "numato",
        "Numato 8-channel relay module, ASCII (CR): relays 0-7 = relay lines 1-8, gpio 0-7 = input lines 1-8",
    ),
    ("load_dl3000", "Rigol DL3000 electronic load, SCPI"),
    ("load_bk8600", "BK Precision 8600 electronic load, SCPI"),
    (
        "rs232",
        "the pack's RS232 port: any bytes wake a pack that wakes on RS232; nothing is answered",
    ),
];

/// The addresses a serving bench listens on.
#[derive(Clone, Debug)]
pub struct Served {
    /// Each byte endpoint of [`BYTE_ENDPOINTS`] and its address, in that order.
    pub byte_endpoints: Vec<(&'static str, SocketAddr)>,
    /// The socketcand server; `None` when the bench served has no CAN link.
    pub socketcand: Option<SocketAddr>,
    /// The kernel CAN interface the twin's node is also on (`--can`).
    pub can_interface: Option<String>,
}

/// `TCPIP::<ip>::<port>::SOCKET`.
pub(crate) fn socket_resource(addr: SocketAddr) -> String {
    format!("TCPIP::{}::{}::SOCKET", addr.ip(), addr.port())
}

impl Served {
    /// Where `endpoint` is served.
    pub fn addr(&self, endpoint: &str) -> Option<SocketAddr> {
        self.byte_endpoints
            .iter()
            .find(|(name, _)| *name == endpoint)
            .map(|(_, addr)| *addr)
    }

    /// A bench file for these endpoints: the built-in bench with its resources
    /// replaced, and the other instruments listed in a closing comment.
    pub fn bench_file(&self) -> String {
        let mut bench = crate::bench::BUILTIN_SIM_BENCH.replace("name: sim", "name: sim-served");
        let mut others = String::new();
        for (endpoint, addr) in &self.byte_endpoints {
            let builtin = format!("resource: sim:{endpoint}\n");
            if bench.contains(&builtin) {
                let served = format!("resource: {}\n", socket_resource(*addr));
                bench = bench.replace(&builtin, &served);
            } else {
                let what = BYTE_ENDPOINTS
                    .iter()
                    .find(|(name, _)| name == endpoint)
                    .map_or("", |(_, what)| what);
                others.push_str(&format!(
                    "#   {endpoint}: {} ({what})\n",
                    socket_resource(*addr)
                ));
            }
        }
        let socketcand = self
            .socketcand
            .map(|at| format!("socketcand://{}:{}/can0", at.ip(), at.port()))
            .unwrap_or_default();
        match &self.can_interface {
            None => bench = bench.replace("resource: sim:can0", &format!("resource: {socketcand}")),
            Some(interface) => {
                bench = bench.replace(
                    "resource: sim:can0",
                    &format!("resource: socketcan:{interface}"),
                );
                others.push_str(&format!(
                    "#   bms: {socketcand} (the same CAN bus through socketcand)\n"
                ));
            }
        }
        if !others.is_empty() {
            if !bench.ends_with('\n') {
                bench.push('\n');
            }
            bench.push_str(
                "\n# Also served on this bench (resources for other instrument families):\n",
            );
            bench.push_str(&others);
        }
        bench
    }
}

/// Where the twin's CAN bus is served.
#[derive(Debug)]
pub struct CanServing {
    /// The socketcand server's address (port 0 picks a free port); `None`: no CAN
    /// served.
    pub socketcand: Option<SocketAddr>,
    /// A kernel CAN interface the twin's node is also on.
    pub interface: Option<SocketCanPort>,
}

impl CanServing {
    /// `--can-port`'s address and `--can`'s resource, its interface opened (see
    /// [`socketcan::open`]). Needs a tokio runtime.
    pub fn open(
        socketcand: Option<SocketAddr>,
        can: Option<&str>,
    ) -> Result<Self, socketcan::CanArgError> {
        Ok(Self {
            socketcand,
            interface: can.map(socketcan::open).transpose()?,
        })
    }
}

/// Bind a listener per byte endpoint (`addresses` in the order of [`BYTE_ENDPOINTS`];
/// port 0 picks a free port) and the socketcand server, put the twin's CAN node on
/// the interface if one is given, and serve until the task is dropped. Must run on a
/// real-time tokio runtime.
pub async fn serve(
    sim: std::sync::Arc<SimBench>,
    addresses: &[(&'static str, SocketAddr)],
    bus: CanServing,
) -> std::io::Result<(Served, impl std::future::Future<Output = ()>)> {
    let CanServing {
        socketcand,
        interface: can_interface,
    } = bus;
    let mut listeners = Vec::with_capacity(addresses.len());
    let mut byte_endpoints = Vec::with_capacity(addresses.len());
    for (endpoint, addr) in addresses {
        let what = BYTE_ENDPOINTS
            .iter()
            .find(|(name, _)| name == endpoint)
            .map_or("", |(_, what)| what);
        let listener = bind(endpoint, what, endpoint, *addr).await?;
        byte_endpoints.push((*endpoint, listener.local_addr()?));
        listeners.push((*endpoint, listener));
    }
    let can_l = match socketcand {
        Some(at) => Some(bind("socketcand", "the BMS's CAN bus", "can", at).await?),
        None => None,
    };
    let served = Served {
        byte_endpoints,
        socketcand: can_l.as_ref().map(TcpListener::local_addr).transpose()?,
        can_interface: can_interface.as_ref().map(|p| p.interface().to_string()),
    };
    let run = async move {
        let byte_servers = futures::future::join_all(
            listeners
                .into_iter()
                .map(|(endpoint, listener)| bytes(listener, sim.clone(), endpoint)),
        );
        let on_interface = async {
            match can_interface {
                Some(port) => socketcan::bridge(sim.clone(), port).await,
                None => std::future::pending().await,
            }
        };
        let socketcand = async {
            match can_l {
                Some(listener) => can(listener, sim.clone(), Stamps::now()).await,
                None => std::future::pending().await,
            }
        };
        tokio::join!(
            byte_servers,
            socketcand,
            on_interface,
            keepalive::report(sim.clone())
        );
    };
    Ok((served, run))
}

/// A listener for `endpoint` on `addr`, or an error that names both (the endpoint with
/// its family) and the option that moves it: "Address already in use" alone does not say
/// which of twelve ports.
async fn bind(
    endpoint: &str,
    family: &str,
    option: &str,
    addr: SocketAddr,
) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| bind_error(endpoint, family, option, addr, &e))
}

/// `rs485 on 127.0.0.1:4197 (the pack's RS485, Pylontech protocol): Address already in
/// use (os error 98); choose another port with --rs485-port (0 picks a free one)`.
fn bind_error(
    endpoint: &str,
    family: &str,
    option: &str,
    addr: SocketAddr,
    e: &std::io::Error,
) -> std::io::Error {
    let option = format!("--{}-port", option.replace('_', "-"));
    std::io::Error::new(
        e.kind(),
        format!(
            "{endpoint} on {addr} ({family}): {e}; choose another port with {option} (0 picks a free one)"
        ),
    )
}

/// Pause after a failed accept before the next one.
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(100);

/// The next connection of `listener`. A failed accept (too many open files, a
/// connection reset before it was taken) ends neither the listener nor the serve: it is
/// retried after [`ACCEPT_BACKOFF`], as a lab's long-running virtual bench needs.
async fn accept_retrying(listener: &TcpListener) -> TcpStream {
    retrying(|| listener.accept()).await.0
}

/// The first `Ok` of `attempt`, waiting [`ACCEPT_BACKOFF`] after each error.
async fn retrying<T, E, F: std::future::Future<Output = Result<T, E>>>(
    mut attempt: impl FnMut() -> F,
) -> T {
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
        }
    }
}

/// Each connection gets its own pipe to the simulated instrument.
async fn bytes(listener: TcpListener, sim: std::sync::Arc<SimBench>, endpoint: &'static str) {
    loop {
        let mut tcp = accept_retrying(&listener).await;
        let _ = tcp.set_nodelay(true);
        let Ok(mut pipe) = sim.open(endpoint) else {
            return;
        };
        tokio::spawn(async move {
            let _ = copy_bidirectional(&mut tcp, &mut pipe).await;
        });
    }
}

/// socketcand stamps frames with the kernel's receive time, Unix epoch seconds: clients
/// that log or merge traces rely on it. Here a stamp is the epoch time the server
/// started plus the model time since (so with `--speed 60` stamps advance a minute per
/// wall second), the same for every client, and never going backwards.
#[derive(Clone, Copy, Debug)]
struct Stamps {
    epoch: std::time::Duration,
    model: tokio::time::Instant,
}

impl Stamps {
    fn now() -> Stamps {
        Stamps {
            epoch: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default(),
            model: rig_sim::model_now(),
        }
    }

    /// `SECS.USECS` of the model time now.
    fn stamp(&self) -> String {
        let t = self.epoch + rig_sim::model_now().saturating_duration_since(self.model);
        format!("{}.{:06}", t.as_secs(), t.subsec_micros())
    }
}

async fn can(listener: TcpListener, sim: std::sync::Arc<SimBench>, stamps: Stamps) {
    loop {
        let tcp = accept_retrying(&listener).await;
        let _ = tcp.set_nodelay(true);
        let Ok(port) = sim.can_port("can0") else {
            return;
        };
        tokio::spawn(socketcand_session(tcp, port, stamps));
    }
}

/// One socketcand client: `< hi >`, `< open can0 >` → `< ok >`, `< rawmode >` →
/// `< ok >`, then frames both ways (`< frame ID SECS.USECS DATA >` out, stamped in
/// Unix epoch time as socketcand does, see [`Stamps`]; `< send ID DLC B… >` in),
/// `< echo >` answered.
async fn socketcand_session(tcp: TcpStream, mut port: MemoryCanPort, stamps: Stamps) {
    let (read, mut write) = tcp.into_split();
    let mut elements = FramedRead::new(read, SocketcandCodec::new());
    if write.write_all(b"< hi >").await.is_err() {
        return;
    }
    let mut raw = false;
    loop {
        tokio::select! {
            biased;
            element = elements.next() => {
                let Some(Ok(element)) = element else { return };
                let mut element_text = String::new();
                let reply = match element {
                    Ok(Element::Echo) => Some("< echo >".to_string()),
                    Ok(Element::Other { text }) => {
                        element_text.clone_from(&text);
                        command(&text, &mut raw, &port)
                    }
                    _ => Some("< error unknown command >".to_string()),
                };
                if let Some(reply) = reply {
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                    if reply.contains("could not open bus") {
                        return;
                    }
                    if raw && text_is_rawmode(&element_text) {
                        // python-can reads the `< ok >` of rawmode with one recv and wants
                        // it alone: a frame right behind it would land in the same read.
                        tokio::time::sleep(RAWMODE_SETTLE).await;
                    }
                }
            }
            frame = port.recv(), if raw => {
                let Ok(frame) = frame else { return };
                let line = format!("< frame {} {} {} >", frame.id(), stamps.stamp(), frame.data_hex());
                if write.write_all(line.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// How long frames wait after the `< ok >` of rawmode (see [`socketcand_session`]).
const RAWMODE_SETTLE: std::time::Duration = std::time::Duration::from_millis(50);

fn text_is_rawmode(text: &str) -> bool {
    text.split_whitespace().eq(["rawmode"])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_endpoint_of_the_virtual_bench_is_served() {
        let served: Vec<&str> = BYTE_ENDPOINTS.iter().map(|(name, _)| *name).collect();
        let sim: Vec<&str> = SimBench::endpoints()
            .iter()
            .copied()
            .filter(|e| *e != "can0")
            .collect();
        assert_eq!(served, sim);
    }

    /// Each served port is chosen with `--<endpoint>-port` (`0`: any free port), so a
    /// test can serve without colliding with anything.
    #[test]
    fn every_served_port_can_be_chosen() {
        use clap::CommandFactory;
        let cli = crate::cli::Cli::command();
        let serve = cli
            .find_subcommand("sim")
            .and_then(|sim| sim.find_subcommand("serve"))
            .expect("rig sim serve");
        let flags: Vec<String> = BYTE_ENDPOINTS
            .iter()
            .map(|(name, _)| name.replace('_', "-"))
            .chain(["can".to_string()])
            .map(|name| format!("{name}-port"))
            .collect();
        for flag in &flags {
            let arg = serve.get_arguments().find(|a| a.get_long() == Some(flag));
            assert!(arg.is_some(), "no --{flag}");
        }
        let ports = serve
            .get_arguments()
            .filter(|a| a.get_long().is_some_and(|l| l.ends_with("-port")))
            .count();
        assert_eq!(
            ports,
            flags.len(),
            "a port that is not served, or one not listed"
        );
    }

    #[test]
    fn the_bench_file_points_at_the_served_addresses() {
        let addr = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let served = Served {
            byte_endpoints: BYTE_ENDPOINTS
                .iter()
                .zip(7000..)
                .map(|((name, _), port)| (*name, addr(port)))
                .collect(),
            socketcand: Some(addr(29999)),
            can_interface: None,
        };
        let bench = served.bench_file();
        assert!(!bench.contains("sim:"), "{bench}");
        assert!(bench.contains("resource: TCPIP::127.0.0.1::7000::SOCKET\n"));
        assert!(bench.contains("socketcand://127.0.0.1:29999/can0"));
        assert!(
            bench.contains("#   numato: TCPIP::127.0.0.1::7007::SOCKET ("),
            "{bench}"
        );
        assert_eq!(served.addr("load_bk8600"), Some(addr(7009)));
    }

    #[test]
    fn with_an_interface_the_bms_is_on_it_and_socketcand_is_listed() {
        let served = Served {
            byte_endpoints: Vec::new(),
            socketcand: Some(SocketAddr::from(([127, 0, 0, 1], 29536))),
            can_interface: Some("vcan0".into()),
        };
        let bench = served.bench_file();
        assert!(bench.contains("resource: socketcan:vcan0\n"), "{bench}");
        assert!(
            bench.contains("#   bms: socketcand://127.0.0.1:29536/can0 (the same CAN bus"),
            "{bench}"
        );
        let file = crate::diag::SourceFile::new("served.yaml", bench.as_str());
        let parsed = crate::bench::Bench::parse(file);
        assert!(parsed.is_ok(), "the printed bench file loads");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_accept_is_retried_and_does_not_end_the_listener() {
        let mut failures = 2;
        let start = tokio::time::Instant::now();
        let taken = retrying(|| {
            let result = if failures > 0 {
                failures -= 1;
                Err(std::io::Error::other("too many open files"))
            } else {
                Ok("connection")
            };
            std::future::ready(result)
        })
        .await;
        assert_eq!(taken, "connection");
        assert_eq!(start.elapsed(), 2 * ACCEPT_BACKOFF);
    }
}
