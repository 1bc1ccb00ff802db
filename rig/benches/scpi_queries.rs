//! SCPI queries over loopback: rig's SCPI source driver (`ScpiSource::measure_voltage`,
//! the query path `rig run` polls the source with: the line codec, the exchange's
//! timeout, the number's parsing) against the twin's SCPI source served on a TCP socket
//! as `rig sim serve` serves it (`rig::serve::serve`, on its own thread and runtime).
//!
//! The same server answers every client, in the same run:
//! - the floor, twice: a blocking `std::net::TcpStream` and a tokio `TcpStream` on a
//!   current-thread runtime, each with TCP_NODELAY, writing the query's bytes and
//!   reading into a fixed buffer until the answer's `\n` (no allocation, no parsing);
//!   what a request and its answer over loopback cost with this server, whatever the
//!   client;
//! - rig's driver;
//! - pyvisa with pyvisa-py over `TCPIP::127.0.0.1::PORT::SOCKET`
//!   (`benches/peers/scpi_queries.py`, one process a round), when `RIG_PYTHON` names an
//!   interpreter with them (`.ci/python-venv DIR`).
//!
//! `cargo bench -p rig --bench scpi_queries`; `RIG_BENCH_QUERIES=N` (default 10,000),
//! `RIG_BENCH_QUICK=1` for a check that it runs (200 queries, no peer). Every client
//! runs [`ROUNDS`] rounds, the clients taking turns (each round starting with the next
//! one, so that none is always first on a busy machine); a round is [`WARM_UP`] untimed
//! `MEAS:VOLT?` then N, each timed on its own by the wall clock. The figures are over
//! all of a client's timed queries: the median, the fastest, the mean, and the rate the
//! mean gives.

#[path = "support/mod.rs"]
mod support;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rig::serve::CanServing;
use rig_drivers::scpi::{Dialect, ScpiSource};
use rig_drivers::transport::connect_tcp;
use rig_sim::{PackParams, SimBench, SimConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const QUERY: &[u8] = b"MEAS:VOLT?\n";
/// Untimed queries at the start of every round.
const WARM_UP: usize = 500;
const ROUNDS: usize = 5;
const TIMEOUT: Duration = Duration::from_secs(2);
/// The floors' answer buffer: a number and its newline fit many times over.
const ANSWER: usize = 64;
const PEER: &str = "pyvisa-py";

/// A client's round: [`WARM_UP`] queries, then `n` more one after another, each one's
/// microseconds pushed onto `out`.
type Round = Box<dyn FnMut(usize, &mut Vec<f64>)>;

/// A client of the served source.
struct Client {
    name: &'static str,
    round: Round,
}

fn main() {
    let quick = std::env::var_os("RIG_BENCH_QUICK").is_some();
    let queries: usize = std::env::var("RIG_BENCH_QUERIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if quick { 200 } else { 10_000 });
    let addr = serve_source();
    println!(
        "SCPI queries over loopback, {ROUNDS} rounds of {queries} x MEAS:VOLT? a client, \
         taking turns, to the served twin's source at {addr}:"
    );
    let mut clients = vec![std_floor(addr), tokio_floor(addr), rig_driver(addr)];
    let python = std::env::var_os("RIG_PYTHON").filter(|_| !quick);
    if let Some(python) = python.clone() {
        clients.push(pyvisa_peer(python, addr.port()));
    }
    let mut times: Vec<Vec<f64>> = clients
        .iter()
        .map(|_| Vec::with_capacity(ROUNDS * queries))
        .collect();
    let count = clients.len();
    for round in 0..ROUNDS {
        for i in (0..count).map(|k| (round + k) % count) {
            (clients[i].round)(queries, &mut times[i]);
        }
    }
    println!(
        "  {:<36} {:>9} {:>9} {:>9} {:>10}",
        "us a query:", "median", "min", "mean", "queries/s"
    );
    let stats: Vec<Option<Stats>> = clients
        .iter()
        .zip(&mut times)
        .map(|(client, times)| report(client.name, times))
        .collect();
    let ratio = |over: usize, under: usize, what: &str| {
        if let (Some(Some(a)), Some(Some(b))) = (stats.get(over), stats.get(under)) {
            println!(
                "  {what}: {:.2}x the median query's time, {:.2}x the mean's",
                a.median / b.median,
                a.mean / b.mean
            );
        }
    };
    ratio(2, 0, "rig / floor (std)");
    ratio(2, 1, "rig / floor (tokio)");
    ratio(3, 2, "pyvisa-py / rig");
    if python.is_none() && !quick {
        // Prints why the peer did not run.
        support::python(PEER);
    }
}

/// The twin's SCPI source on a loopback port, served until the process ends.
fn serve_source() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the server's runtime");
        runtime.block_on(async move {
            let sim = Arc::new(SimBench::start(SimConfig {
                pack: PackParams::lesso_lsrr51v100ah(),
                defects: Vec::new(),
                faults: Vec::new(),
                installation: Default::default(),
                source: Default::default(),
            }));
            let any: SocketAddr = "127.0.0.1:0".parse().expect("an address");
            let none = CanServing {
                socketcand: None,
                interface: None,
            };
            let addresses = [("source", any)];
            let (served, run) = rig::serve::serve(sim, &addresses, none)
                .await
                .expect("the source is served");
            tx.send(served.addr("source").expect("the source's address"))
                .expect("the bench waits for the address");
            run.await;
        });
    });
    rx.recv().expect("the server started")
}

fn micros(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e6
}

/// The floors' answer (its newline and an optional CR off) is the source's voltage:
/// checked once, so that the floor is known to talk to the same instrument.
fn check_answer(answer: &[u8]) {
    let text = std::str::from_utf8(answer).expect("an ASCII answer");
    let volts: f64 = text.trim_end().parse().expect("the answer is a number");
    assert!(volts.is_finite(), "a voltage: {text:?}");
}

/// One query on a blocking stream: the answer's length in `buf`, newline included. The
/// source answers a query with one line and nothing else, so a read that ends with
/// `\n` ends the answer.
fn std_exchange(stream: &mut std::net::TcpStream, buf: &mut [u8; ANSWER]) -> usize {
    stream.write_all(QUERY).expect("sent");
    let mut filled = 0;
    loop {
        let n = stream.read(&mut buf[filled..]).expect("answered");
        assert!(n > 0, "the server closed the connection");
        filled += n;
        if buf[filled - 1] == b'\n' {
            return filled;
        }
        assert!(filled < ANSWER, "an answer over {ANSWER} bytes");
    }
}

/// [`std_exchange`] on a tokio stream.
async fn tokio_exchange(stream: &mut tokio::net::TcpStream, buf: &mut [u8; ANSWER]) -> usize {
    stream.write_all(QUERY).await.expect("sent");
    let mut filled = 0;
    loop {
        let n = stream.read(&mut buf[filled..]).await.expect("answered");
        assert!(n > 0, "the server closed the connection");
        filled += n;
        if buf[filled - 1] == b'\n' {
            return filled;
        }
        assert!(filled < ANSWER, "an answer over {ANSWER} bytes");
    }
}

fn std_floor(addr: SocketAddr) -> Client {
    let mut stream = std::net::TcpStream::connect(addr).expect("connected");
    stream.set_nodelay(true).expect("no Nagle");
    let mut buf = [0u8; ANSWER];
    let len = std_exchange(&mut stream, &mut buf);
    check_answer(&buf[..len]);
    let round = move |n: usize, out: &mut Vec<f64>| {
        for i in 0..WARM_UP + n {
            let start = Instant::now();
            std_exchange(&mut stream, &mut buf);
            if i >= WARM_UP {
                out.push(micros(start));
            }
        }
    };
    Client {
        name: "floor: blocking std::net loop",
        round: Box::new(round),
    }
}

fn tokio_floor(addr: SocketAddr) -> Client {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("a runtime");
    let mut stream = runtime.block_on(async {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connected");
        stream.set_nodelay(true).expect("no Nagle");
        stream
    });
    let mut buf = [0u8; ANSWER];
    let len = runtime.block_on(tokio_exchange(&mut stream, &mut buf));
    check_answer(&buf[..len]);
    let round = move |n: usize, out: &mut Vec<f64>| {
        runtime.block_on(async {
            for i in 0..WARM_UP + n {
                let start = Instant::now();
                tokio_exchange(&mut stream, &mut buf).await;
                if i >= WARM_UP {
                    out.push(micros(start));
                }
            }
        })
    };
    Client {
        name: "floor: tokio current-thread loop",
        round: Box::new(round),
    }
}

fn rig_driver(addr: SocketAddr) -> Client {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (mut source, _identity) = runtime.block_on(async {
        let stream = connect_tcp(&addr.ip().to_string(), addr.port(), TIMEOUT)
            .await
            .expect("connected");
        ScpiSource::open(stream, Arc::from("source"), Dialect::Generic, TIMEOUT, None)
            .await
            .expect("the source opens")
    });
    let round = move |n: usize, out: &mut Vec<f64>| {
        runtime.block_on(async {
            for i in 0..WARM_UP + n {
                let start = Instant::now();
                let volts = source.measure_voltage().await.expect("a voltage");
                if i >= WARM_UP {
                    out.push(micros(start));
                }
                assert!(volts.is_finite());
            }
        })
    };
    Client {
        name: "rig's SCPI driver (ScpiSource)",
        round: Box::new(round),
    }
}

/// pyvisa-py, a process a round (its own warm-up in each); after a failure (the line
/// saying why is printed) its later rounds are skipped.
fn pyvisa_peer(python: OsString, port: u16) -> Client {
    let mut failed = false;
    let round = move |n: usize, out: &mut Vec<f64>| {
        if failed {
            return;
        }
        let args = [port.to_string(), n.to_string(), WARM_UP.to_string()];
        let times = support::run_peer(&python, PEER, "scpi_queries.py", &args)
            .and_then(|text| peer_times(&text, n));
        match times {
            Some(times) => out.extend(times),
            None => failed = true,
        }
    };
    Client {
        name: "pyvisa + pyvisa-py (peer)",
        round: Box::new(round),
    }
}

/// The `n` microseconds after `us_per_query` in the peer's output.
fn peer_times(text: &str, n: usize) -> Option<Vec<f64>> {
    let mut words = text.split_whitespace();
    let times: Option<Vec<f64>> = words
        .find(|w| *w == "us_per_query")
        .and_then(|_| words.map(|w| w.parse().ok()).collect());
    let times = times.filter(|t| t.len() == n);
    if times.is_none() {
        let start: String = text.chars().take(200).collect();
        println!("  peer ({PEER}): unreadable output {start:?}");
    }
    times
}

struct Stats {
    median: f64,
    mean: f64,
}

/// The client's line of the table; `None` when it has no times (a failed peer).
fn report(name: &str, times: &mut [f64]) -> Option<Stats> {
    if times.is_empty() {
        return None;
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "  {name:<36} {median:>9.1} {:>9.1} {mean:>9.1} {:>10.0}",
        times[0],
        1e6 / mean
    );
    Some(Stats { median, mean })
}
