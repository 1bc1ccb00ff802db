//! Clients that talk to the virtual bench the way the rig's drivers do: SCPI text lines,
//! Modbus RTU through tokio-modbus, CAN frames decoded with the shipped DBC. Every
//! exchange has a timeout in virtual time, so a missing answer fails instead of hanging.

use std::time::Duration;

use rig_drivers::can::{CanDatabase, CanFrame, CanId, MemoryCanPort, PYLON_LV_DBC};
use rig_sim::{Defect, PackParams, SimBench, SimConfig, SimSnapshot};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::time::{sleep, timeout};
use tokio_modbus::client::Context;
use tokio_modbus::prelude::*;

/// Longest wait for any answer, in virtual time.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// The Lesso pack with the given defects.
pub fn bench(defects: &[Defect]) -> SimBench {
    SimBench::start(SimConfig {
        pack: PackParams::lesso_lsrr51v100ah(),
        defects: defects.to_vec(),
        faults: Vec::new(),
        installation: Default::default(),
        source: Default::default(),
    })
}

/// A bench with this pack and a decoupled relay board, ready for a test to drive.
pub async fn ready_with(pack: PackParams) -> SimBench {
    let bench = SimBench::start(SimConfig {
        pack,
        defects: Vec::new(),
        faults: Vec::new(),
        installation: Default::default(),
        source: Default::default(),
    });
    Io::open(&bench).decouple().await;
    bench
}

/// `text` written, then bytes read one at a time until the reply ends with `end`.
pub async fn ask_until(pipe: &mut DuplexStream, text: &str, end: &[u8]) -> String {
    let reply = try_ask(pipe, text.as_bytes(), end, ANSWER_TIMEOUT)
        .await
        .unwrap_or_else(|| panic!("no reply to {text:?}"));
    String::from_utf8_lossy(&reply).into_owned()
}

/// `bytes` written, then the reply read up to and with `end`; `None` when no whole
/// reply came within `limit` (a silent device) or the pipe closed first.
pub async fn try_ask(
    pipe: &mut DuplexStream,
    bytes: &[u8],
    end: &[u8],
    limit: Duration,
) -> Option<Vec<u8>> {
    pipe.write_all(bytes).await.unwrap();
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    timeout(limit, async {
        while !reply.ends_with(end) {
            pipe.read_exact(&mut byte).await.ok()?;
            reply.push(byte[0]);
        }
        Some(())
    })
    .await
    .ok()??;
    Some(reply)
}

/// `line` and `end` written, the reply read up to `end`, without trailing white space.
pub async fn ask_line(pipe: &mut DuplexStream, line: &str, end: &str) -> String {
    let reply = ask_until(pipe, &format!("{line}{end}"), end.as_bytes()).await;
    reply.trim_end().to_owned()
}

/// Run `test` on a fresh current-thread runtime with tokio's clock paused, for the
/// proptest cases (which cannot be `#[tokio::test]`s).
pub fn run_paused(test: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(test);
}

/// A connection to `endpoint` that was fed `garbage` and then `line_end` (to close
/// whatever line the garbage left open), with whatever that provoked drained during
/// half a second of silence. The instrument must not hang up on garbage.
pub async fn fed_garbage(
    bench: &SimBench,
    endpoint: &str,
    garbage: &[u8],
    line_end: &[u8],
) -> DuplexStream {
    let mut pipe = bench.open(endpoint).unwrap();
    pipe.write_all(garbage).await.unwrap();
    pipe.write_all(line_end).await.unwrap();
    let mut sink = vec![0u8; 4096];
    while let Ok(Ok(n)) = timeout(secs(0.5), pipe.read(&mut sink)).await {
        assert!(n > 0, "{endpoint} closed on garbage");
    }
    pipe
}

/// The Lesso pack with its relay board out of the factory linkage mode, as the rig
/// leaves it after connecting (otherwise relay 2 would follow dry contact 2 onto the
/// rapid-shutdown input).
pub async fn ready(defects: &[Defect]) -> SimBench {
    let bench = bench(defects);
    Io::open(&bench).decouple().await;
    bench
}

pub struct Scpi {
    stream: BufReader<DuplexStream>,
}

impl Scpi {
    pub fn open(bench: &SimBench) -> Self {
        Self {
            stream: BufReader::new(bench.open("source").expect("source endpoint")),
        }
    }

    pub async fn send(&mut self, command: &str) {
        let line = format!("{command}\n");
        self.stream
            .get_mut()
            .write_all(line.as_bytes())
            .await
            .unwrap();
    }

    pub async fn query(&mut self, query: &str) -> String {
        self.send(query).await;
        let mut line = String::new();
        timeout(ANSWER_TIMEOUT, self.stream.read_line(&mut line))
            .await
            .unwrap_or_else(|_| panic!("no answer to {query}"))
            .unwrap();
        line.trim_end().to_string()
    }

    pub async fn number(&mut self, query: &str) -> f64 {
        let text = self.query(query).await;
        text.parse()
            .unwrap_or_else(|_| panic!("{query} answered {text:?}"))
    }

    /// Send a setting and check the error queue stayed empty.
    pub async fn set(&mut self, command: &str) {
        self.send(command).await;
        assert_eq!(self.query("SYST:ERR?").await, "0,\"No error\"", "{command}");
    }

    /// Voltage priority at 58 V with the given charging limit: far above the pack's OCV,
    /// so the source delivers its limit. OVP above the set point, so that the open
    /// terminals of a tripped pack do not trip the source.
    pub async fn charge_at(&mut self, amperes: f64) {
        self.hold(58.0, amperes, 1.0).await;
    }

    /// Output on at `volts`, at most `charge_a` into the pack and `discharge_a` out of
    /// it; OVP 62 V and OCP 130 A, above anything a test sets.
    pub async fn hold(&mut self, volts: f64, charge_a: f64, discharge_a: f64) {
        self.set("SOUR:VOLT:PROT 62").await;
        self.set("SOUR:CURR:PROT 130").await;
        self.set(&format!("SOUR:VOLT {volts}")).await;
        self.set(&format!("SOUR:CURR:LIM:POS {charge_a}")).await;
        self.set(&format!("SOUR:CURR:LIM:NEG -{discharge_a}")).await;
        self.set("OUTP ON").await;
    }
}

pub struct Io {
    ctx: Context,
}

impl Io {
    pub fn open(bench: &SimBench) -> Self {
        let stream = bench.open("io").expect("io endpoint");
        Self {
            ctx: tokio_modbus::client::rtu::attach_slave(stream, Slave(1)),
        }
    }

    pub async fn call<T>(
        &mut self,
        what: &str,
        f: impl AsyncFnOnce(&mut Context) -> tokio_modbus::Result<T>,
    ) -> Result<T, ExceptionCode> {
        timeout(ANSWER_TIMEOUT, f(&mut self.ctx))
            .await
            .unwrap_or_else(|_| panic!("no answer to {what}"))
            .unwrap_or_else(|e| panic!("{what}: transport error {e}"))
    }

    /// Take every channel out of the factory linkage mode (protocols.md 6.1).
    pub async fn decouple(&mut self) {
        for channel in 0..8 {
            self.call("decouple", async |c| {
                c.write_single_register(0x1000 + channel, 0).await
            })
            .await
            .unwrap();
        }
    }

    pub async fn relay(&mut self, channel: u16, closed: bool) {
        self.call("write coil", async |c| {
            c.write_single_coil(channel, closed).await
        })
        .await
        .unwrap();
    }

    /// Hold the reset button (relay 1) for `seconds` of virtual time.
    pub async fn press_reset(&mut self, seconds: f64) {
        self.relay(0, true).await;
        sleep(secs(seconds)).await;
        self.relay(0, false).await;
    }

    /// Inputs 1 and 2: dry contact outputs 1 (charge enable) and 2 (discharge enable).
    pub async fn dry_contacts(&mut self) -> (bool, bool) {
        let inputs = self
            .call("read inputs", async |c| c.read_discrete_inputs(0, 8).await)
            .await
            .unwrap();
        (inputs[0], inputs[1])
    }
}

/// Decoded signals of one frame.
pub struct Signals(Vec<(String, f64)>);

impl Signals {
    pub fn get(&self, name: &str) -> f64 {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} not in frame"))
            .1
    }
}

pub struct Can {
    port: MemoryCanPort,
    db: CanDatabase,
}

impl Can {
    /// A new node on can0: it sees frames sent from now on.
    pub fn attach(bench: &SimBench) -> Self {
        Self {
            port: bench.can_port("can0").expect("can0"),
            db: CanDatabase::parse(PYLON_LV_DBC).unwrap(),
        }
    }

    pub async fn next_frame(&mut self) -> Option<CanFrame> {
        timeout(ANSWER_TIMEOUT, self.port.recv())
            .await
            .ok()
            .map(|frame| frame.expect("bus open"))
    }

    /// The next frame with this id, decoded.
    pub async fn next(&mut self, id: u16) -> Signals {
        loop {
            let frame = self
                .next_frame()
                .await
                .unwrap_or_else(|| panic!("no frame {id:03X} within {ANSWER_TIMEOUT:?}"));
            if frame.id() == CanId::Standard(id) {
                let decoded = self.db.decode(&frame).unwrap();
                return Signals(
                    decoded
                        .signals
                        .into_iter()
                        .map(|s| (s.name, s.value))
                        .collect(),
                );
            }
        }
    }

    /// Frames seen during `window` of virtual time.
    pub async fn collect(&mut self, window: Duration) -> Vec<CanFrame> {
        let mut frames = Vec::new();
        let _ = timeout(window, async {
            while let Ok(frame) = self.port.recv().await {
                frames.push(frame);
            }
        })
        .await;
        frames
    }

    /// Every frame for `window`, each with its arrival in seconds from now.
    pub async fn collect_timed(&mut self, window: Duration) -> Vec<(f64, CanFrame)> {
        let start = tokio::time::Instant::now();
        let mut frames = Vec::new();
        let _ = timeout(window, async {
            while let Ok(frame) = self.port.recv().await {
                frames.push((start.elapsed().as_secs_f64(), frame));
            }
        })
        .await;
        frames
    }
}

/// Snapshot after letting `seconds` of virtual time pass.
pub async fn after(bench: &SimBench, seconds: f64) -> SimSnapshot {
    sleep(secs(seconds)).await;
    bench.snapshot()
}
