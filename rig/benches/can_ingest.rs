//! CAN ingest on one core: a BMS's frames as socketcand sends them in raw mode, through
//! the socketcand client's parser (the codec `SocketcandPort::recv` reads with), the DBC
//! decoding into the bench's channels and the event log, as `rig run` takes them (the
//! CAN sampler's own per-frame code, `rig::runner::CanIngest`). Beside it, the same
//! frames through python-can's socketcand parser, cantools and python-can's log writer,
//! when `RIG_PYTHON` names an interpreter with them (`.ci/python-venv DIR`).
//!
//! `cargo bench -p rig --bench can_ingest`; `RIG_BENCH_FRAMES=N` (default 2,000,000),
//! `RIG_BENCH_QUICK=1` for a check that it runs (20,000 frames, no peer).
//! Times are CPU seconds of this process (the log's flush thread included).

#[path = "support/mod.rs"]
mod support;

use std::path::Path;

use rig::runner::CanIngest;
use rig_drivers::can::CanDatabase;
use rig_drivers::can::socketcand::{Element, SocketcandCodec};
use tokio_util::bytes::BytesMut;
use tokio_util::codec::Decoder;

const DBC: &str = include_str!("../../testplans/dbc/pylon_lv.dbc");
/// What one socket read hands the parser.
const READ: usize = 64 * 1024;

fn main() {
    let quick = std::env::var_os("RIG_BENCH_QUICK").is_some();
    let frames: usize = std::env::var("RIG_BENCH_FRAMES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if quick { 20_000 } else { 2_000_000 });
    let dir = tempfile::tempdir().expect("a temporary folder");
    let text = bus_text(frames);
    println!(
        "CAN ingest, {frames} frames ({:.1} MB of socketcand text), one core:",
        text.len() as f64 / 1e6
    );
    let parsed = measure(|| parse_only(&text));
    report("socketcand parser", frames, parsed, None);
    let db = CanDatabase::parse(DBC).expect("the shipped DBC parses");
    let decoded = measure(|| parse_decode(&text, &db));
    report("parser + DBC decode", frames, decoded, None);
    let log = dir.path().join("can.events.jsonl");
    let (ingested, seen) = measure_with(|| ingest(&text, &log));
    assert_eq!(seen, frames, "every frame reached the sampler");
    let log_bytes = std::fs::metadata(&log).map_or(0, |m| m.len());
    report(
        "parser + DBC + event log (rig)",
        frames,
        ingested,
        Some(log_bytes),
    );
    if quick {
        return;
    }
    peer(&text, dir.path(), frames, ingested);
}

/// The frames of a BMS on a busy bus: the Pylontech set with the voltage, current and
/// temperature of 0x356 moving every cycle, the state of charge now and then, and the
/// limits, alarms and name unchanged; 100 us apart, stamped in epoch seconds.
fn bus_text(frames: usize) -> String {
    let mut out = String::with_capacity(frames * 40);
    let mut t_us: u64 = 1_765_000_000_000_000;
    for i in 0..frames {
        let cycle = i / 6;
        let (id, data) = match i % 6 {
            0 => ("351", "1402C012C012C201".to_string()),
            1 => ("355", format!("{:04X}6400", 0x50 + (cycle / 1000) % 50)),
            2 => {
                let volts = 5200 + (cycle % 17) as u16;
                let amps = (cycle % 23) as u16;
                let temp = 250 + (cycle % 3) as u16;
                let [v0, v1] = volts.to_le_bytes();
                let [a0, a1] = amps.to_le_bytes();
                let [t0, t1] = temp.to_le_bytes();
                (
                    "356",
                    format!("{v0:02X}{v1:02X}{a0:02X}{a1:02X}{t0:02X}{t1:02X}"),
                )
            }
            3 => ("359", "00000000000000".to_string()),
            4 => ("35C", "C000".to_string()),
            _ => ("35E", "50594C4F4E202020".to_string()),
        };
        let (s, us) = (t_us / 1_000_000, t_us % 1_000_000);
        out.push_str(&format!("< frame {id} {s}.{us:06} {data} >"));
        t_us += 100;
    }
    out
}

/// The text handed to the codec a socket read at a time, as `SocketcandPort` does.
fn elements(text: &str, mut each: impl FnMut(Element)) {
    let mut codec = SocketcandCodec::new();
    let mut buf = BytesMut::with_capacity(2 * READ);
    for chunk in text.as_bytes().chunks(READ) {
        buf.extend_from_slice(chunk);
        while let Ok(Some(item)) = codec.decode(&mut buf) {
            if let Ok(element) = item {
                each(element);
            }
        }
    }
}

fn parse_only(text: &str) -> usize {
    let mut n = 0;
    elements(text, |e| {
        n += usize::from(matches!(e, Element::Frame { .. }))
    });
    n
}

fn parse_decode(text: &str, db: &CanDatabase) -> usize {
    let mut n = 0;
    elements(text, |e| {
        // As the CAN sampler decodes: each signal handed over, no list built.
        if let Element::Frame { frame, .. } = e {
            let _unknown = db.decode_each(&frame, |_, _, _| n += 1);
        }
    });
    n
}

fn ingest(text: &str, log: &Path) -> usize {
    let mut ingest = CanIngest::new(log, DBC).expect("the ingest starts");
    let mut origin = None;
    elements(text, |e| {
        if let Element::Frame { frame, timestamp } = e {
            let t = timestamp.saturating_sub(*origin.get_or_insert(timestamp));
            ingest.frame(&frame, t);
        }
    });
    let (frames, samples) = ingest.finish();
    assert!(samples > frames, "the DBC's signals reached their channels");
    frames
}

/// Seconds of `f`: CPU time, or wall time for a short run (`Timed::cpu_or_wall`).
fn measure<T>(f: impl FnOnce() -> T) -> f64 {
    measure_with(f).0
}

fn measure_with<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let (time, out) = support::timed(f);
    (time.cpu_or_wall(), out)
}

fn report(what: &str, frames: usize, secs: f64, log_bytes: Option<u64>) {
    let rate = frames as f64 / secs;
    let log = log_bytes.map_or(String::new(), |b| format!(", log {:.1} MB", b as f64 / 1e6));
    println!("  {what:<34} {rate:>12.0} frames/s  ({secs:.2} s{log})");
}

/// python-can + cantools on the same frames, when RIG_PYTHON has them.
fn peer(text: &str, dir: &Path, frames: usize, rig_secs: f64) {
    const WHO: &str = "python-can + cantools";
    let Some(python) = support::python(WHO) else {
        return;
    };
    let frames_file = dir.join("frames.txt");
    let dbc_file = dir.join("pylon_lv.dbc");
    std::fs::write(&frames_file, text).expect("frames written");
    std::fs::write(&dbc_file, DBC).expect("DBC written");
    let args = [frames_file, dbc_file, dir.join("python-can.log")];
    let Some(out) = support::run_peer(&python, WHO, "can_ingest.py", &args) else {
        return;
    };
    let field = |name: &str| support::field(&out, name);
    let (Some(n), Some(secs)) = (field("frames"), field("seconds")) else {
        println!("  peer ({WHO}): unreadable output {out:?}");
        return;
    };
    let log_bytes = field("log_bytes").map(|b| b as u64);
    report("python-can + cantools + log", n as usize, secs, log_bytes);
    let rig_rate = frames as f64 / rig_secs;
    println!("  rig / peer: {:.1}x", rig_rate / (n / secs));
}
