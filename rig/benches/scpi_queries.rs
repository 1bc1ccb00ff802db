//! SCPI queries over loopback: rig's SCPI source driver (`ScpiSource::measure_voltage`,
//! the query path `rig run` polls the source with: the line codec, the exchange's
//! timeout, the number's parsing) against the twin's SCPI source served on a TCP socket
//! as `rig sim serve` serves it (`rig::serve::serve`, on its own thread and runtime).
//! Beside it, on the same server in the same run: the floor, a bare tokio loop that
//! writes the line and reads the answer's line; and pyvisa with pyvisa-py over
//! `TCPIP::127.0.0.1::PORT::SOCKET` (`benches/peers/scpi_queries.py`), when
//! `RIG_PYTHON` names an interpreter with them (`.ci/python-venv DIR`).
//!
//! `cargo bench -p rig --bench scpi_queries`; `RIG_BENCH_QUERIES=N` (default 10,000),
//! `RIG_BENCH_QUICK=1` for a check that it runs (200 queries, no peer). Each figure is
//! the median of three rounds of N `MEAS:VOLT?`, wall clock, after 100 untimed queries.

#[path = "support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rig::serve::CanServing;
use rig_drivers::scpi::{Dialect, ScpiSource};
use rig_drivers::transport::connect_tcp;
use rig_sim::{PackParams, SimBench, SimConfig};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const QUERY: &str = "MEAS:VOLT?";
const WARM_UP: usize = 100;
const ROUNDS: usize = 3;
const TIMEOUT: Duration = Duration::from_secs(2);

fn main() {
    let quick = std::env::var_os("RIG_BENCH_QUICK").is_some();
    let queries: usize = std::env::var("RIG_BENCH_QUERIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if quick { 200 } else { 10_000 });
    let addr = serve_source();
    println!(
        "SCPI queries over loopback, {queries} x {QUERY} to the served twin's source at {addr}:"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let floor = runtime.block_on(bare_loop(addr, queries));
    report("bare tokio TCP loop (the floor)", queries, floor);
    let rig = runtime.block_on(rig_driver(addr, queries));
    report("rig's SCPI driver (ScpiSource)", queries, rig);
    println!("  rig / floor: {:.2}x the time a query", rig / floor);
    if quick {
        return;
    }
    let args = [
        addr.port().to_string(),
        queries.to_string(),
        ROUNDS.to_string(),
    ];
    let Some(out) = support::peer_output("pyvisa-py", "scpi_queries.py", &args) else {
        return;
    };
    let Some(secs) = support::field(&out, "seconds") else {
        println!("  peer (pyvisa-py): unreadable output {out:?}");
        return;
    };
    report("pyvisa + pyvisa-py (peer)", queries, secs);
    println!("  pyvisa-py / rig: {:.2}x the time a query", secs / rig);
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

/// Median wall seconds of [`ROUNDS`] rounds of `queries` calls to `one`.
async fn rounds(queries: usize, mut one: impl AsyncFnMut()) -> f64 {
    for _ in 0..WARM_UP {
        one().await;
    }
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..queries {
            one().await;
        }
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    times[ROUNDS / 2]
}

async fn bare_loop(addr: SocketAddr, queries: usize) -> f64 {
    let stream = TcpStream::connect(addr).await.expect("connected");
    stream.set_nodelay(true).expect("no Nagle");
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let line = format!("{QUERY}\n");
    let mut answer = String::new();
    let exchange = async || {
        write.write_all(line.as_bytes()).await.expect("sent");
        answer.clear();
        read.read_line(&mut answer).await.expect("answered");
        assert!(answer.ends_with('\n'), "a whole answer");
    };
    rounds(queries, exchange).await
}

async fn rig_driver(addr: SocketAddr, queries: usize) -> f64 {
    let stream = connect_tcp(&addr.ip().to_string(), addr.port(), TIMEOUT)
        .await
        .expect("connected");
    let (mut source, _identity) =
        ScpiSource::open(stream, Arc::from("source"), Dialect::Generic, TIMEOUT, None)
            .await
            .expect("the source opens");
    let exchange = async || {
        let volts = source.measure_voltage().await.expect("a voltage");
        assert!(volts.is_finite());
    };
    rounds(queries, exchange).await
}

fn report(what: &str, queries: usize, secs: f64) {
    println!(
        "  {what:<34} {:>9.0} queries/s  {:>7.1} us/query",
        queries as f64 / secs,
        secs / queries as f64 * 1e6
    );
}
