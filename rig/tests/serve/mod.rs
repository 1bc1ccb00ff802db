//! `rig sim serve` on real loopback sockets: every instrument family answers in its own
//! wire format on its own port (issue 3). Real time; the read timeouts only keep a
//! broken server from hanging the test.

use crate::served;

mod clients;
mod python_can;
mod speed;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use served::Server;

const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A folder of this test's own under the target directory: the next run of the test
/// replaces it, so nothing piles up in /tmp, and a failed run's files stay for a look.
fn scratch(label: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("serve-{label}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every port 0, so the test never collides with anything on the machine.
fn start(bench: &Path) -> Server {
    served::start(bench, &[])
}

/// The address the bench file's closing comment gives for `endpoint`.
fn address(bench: &str, endpoint: &str) -> String {
    let prefix = format!("#   {endpoint}: TCPIP::");
    let line = bench
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{endpoint} not in the bench file:\n{bench}"));
    let mut parts = line[prefix.len()..].split("::");
    let (ip, port) = (parts.next().unwrap(), parts.next().unwrap());
    format!("{ip}:{port}")
}

fn connect(bench: &str, endpoint: &str) -> TcpStream {
    let tcp = TcpStream::connect(address(bench, endpoint)).unwrap();
    tcp.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    tcp
}

/// Write `request`, read until the reply ends with `end`.
fn exchange(tcp: &mut TcpStream, request: &[u8], end: &[u8]) -> Vec<u8> {
    tcp.write_all(request).unwrap();
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    while !reply.ends_with(end) {
        let n = tcp.read(&mut byte).expect("a reply");
        assert_eq!(n, 1, "closed after {reply:?}");
        reply.push(byte[0]);
    }
    reply
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

#[test]
fn every_instrument_family_answers_on_loopback() {
    let dir = scratch("families");
    let bench_path = dir.join("bench.yaml");
    let _server = start(&bench_path);
    let bench = std::fs::read_to_string(&bench_path).unwrap();

    // Watlow F4, Modbus RTU: read PV (protocols.md 5.1) -> 25.0 °C with one decimal.
    let mut f4 = connect(&bench, "chamber_f4");
    f4.write_all(&[0x01, 0x03, 0x00, 0x64, 0x00, 0x01, 0xC5, 0xD5])
        .unwrap();
    let mut answer = [0u8; 7];
    f4.read_exact(&mut answer).unwrap();
    assert_eq!(answer[..5], [0x01, 0x03, 0x02, 0x00, 0xFA]);

    let mut espec = connect(&bench, "chamber_espec");
    assert_eq!(
        text(exchange(&mut espec, b"TEMP?\r\n", b"\r\n")),
        "25.0,25.0,150.0,-40.0\r\n"
    );
    assert_eq!(
        text(exchange(&mut espec, b"WHAT?\r\n", b"\r\n")),
        "NA:CMD ERR\r\n"
    );

    let mut daq = connect(&bench, "daq970a");
    assert!(text(exchange(&mut daq, b"*IDN?\n", b"\n")).contains(",DAQ970A,"));
    // Bits 0-1 the dry contacts (closed); bits 2-7 the LEDs' photo sensors, whose
    // flash phase depends on the wall clock here.
    let byte: u8 = text(exchange(&mut daq, b"SENS:DIG:DATA:BYTE? (@302)\n", b"\n"))
        .trim()
        .parse()
        .unwrap();
    assert_eq!(byte & 0b11, 0b11, "dry contacts 1 and 2 closed");
    assert_eq!(
        text(exchange(&mut daq, b"FOO\nSYST:ERR?\n", b"\n")),
        "-113,\"Undefined header\"\n"
    );

    let mut numato = connect(&bench, "numato");
    assert_eq!(
        text(exchange(&mut numato, b"gpio read 0\r", b">")),
        "gpio read 0\n\r1\n\r>"
    );

    for (endpoint, model) in [("load_dl3000", "DL3031A"), ("load_bk8600", "8610")] {
        let mut load = connect(&bench, endpoint);
        let idn = text(exchange(&mut load, b"*IDN?\n", b"\n"));
        assert!(idn.contains(model), "{endpoint}: {idn}");
        assert_eq!(text(exchange(&mut load, b"MEAS:CURR?\n", b"\n")), "0.0\n");
    }
}

#[test]
fn a_served_twin_of_three_packs_declares_them_in_its_bench_file() {
    let dir = scratch("packs");
    let bench_path = dir.join("bench.yaml");
    let _server = served::start(&bench_path, &["--packs", "3"]);
    let bench = rig::bench::Bench::load(&bench_path).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(bench.packs, Some(3));
    assert!(!bench.is_virtual(), "the served bench reaches sockets");
}

#[test]
fn more_packs_than_the_profile_allows_are_refused() {
    let o = Command::new(env!("CARGO_BIN_EXE_rig"))
        .args(["sim", "serve", "--packs", "33"])
        .args(served::any_ports())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the profile allows at most 32"), "{err}");
}

/// `host:port` of the socketcand server in a served bench file.
fn socketcand_address(bench: &str) -> String {
    bench
        .split("socketcand://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("the bench file names the socketcand server")
        .to_string()
}

/// socketcand stamps frames with the Unix epoch time of their reception, as the real
/// daemon does with the kernel's timestamps; the name frame is served with the rest.
#[test]
fn served_can_frames_carry_epoch_timestamps() {
    let dir = scratch("epoch");
    let bench_path = dir.join("bench.yaml");
    let _server = start(&bench_path);
    let bench = std::fs::read_to_string(&bench_path).unwrap();
    let at = socketcand_address(&bench);
    let mut can = TcpStream::connect(&at).unwrap();
    can.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    assert_eq!(text(exchange(&mut can, b"", b"< hi >")), "< hi >");
    assert_eq!(text(exchange(&mut can, b"< open can0 >", b">")), "< ok >");
    assert_eq!(text(exchange(&mut can, b"< rawmode >", b">")), "< ok >");
    let frame = text(exchange(&mut can, b"", b">"));
    let stamp: f64 = frame
        .split_whitespace()
        .nth(3)
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no timestamp in {frame}"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        (now - 120.0..=now + 1.0).contains(&stamp),
        "{frame}: {stamp} is not the epoch time {now}"
    );
    // A round is six frames, the 0x35E name among them ("PYLON   ",
    // docs/protocols.md 1.12): within the next six, as a real pack sends it.
    let name = (0..6)
        .map(|_| text(exchange(&mut can, b"", b">")))
        .find(|f| f.starts_with("< frame 35E "))
        .expect("0x35E among the next six frames");
    assert!(name.ends_with(" 50594C4F4E202020 >"), "{name}");
}

/// `rig sim serve` with the port of `option` already taken: the port and what the
/// server said on its way out (it must exit 2, serving nothing).
fn serve_on_a_taken_port(option: &str) -> (String, String) {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut args = served::any_ports();
    let at = args.iter().position(|a| a == option).unwrap();
    args[at + 1] = port.clone();
    let o = Command::new(env!("CARGO_BIN_EXE_rig"))
        .args(["sim", "serve", "--bind", "127.0.0.1"])
        .args(&args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{err}");
    (port, err)
}

/// A port already taken is named, with its endpoint and the option that moves it, and
/// nothing is served.
#[test]
fn a_port_in_use_is_named_with_its_endpoint_and_option() {
    let (port, err) = serve_on_a_taken_port("--rs485-port");
    assert!(
        err.contains(&format!("rs485 on 127.0.0.1:{port} (the pack's RS485"))
            && err.contains("--rs485-port"),
        "{err}"
    );
}

/// `kill` (SIGTERM) and Ctrl-C (SIGINT) end a served twin with exit code 0: CI jobs and
/// service managers stop it with SIGTERM, and a server that ignored it hung them.
#[test]
fn a_served_twin_ends_on_sigterm_and_sigint() {
    for signal in ["TERM", "INT"] {
        let dir = scratch(&format!("signal-{signal}"));
        let mut server = start(&dir.join("bench.yaml"));
        let status = server.signal_and_wait(signal);
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "rig sim serve after SIG{signal}: {status:?} (None: still running after 30 s)"
        );
    }
}

/// A lab's virtual bench: which families are served, and the twin they reach.
const LAB_BENCH: &str = "name: lab-twin
instruments:
  source:
    driver: scpi-source
    resource: sim:source
    ratings: { max_voltage: 58 V, max_current: 80 A }
  bms:
    driver: bms-can
    resource: sim:can0
  rs485:
    driver: pylontech-rs485
    resource: sim:rs485
    address: 3
dut: { packs: 2 }
twin:
  dip: { address: 3 }
defects: [cocp_no_lockout]
";

/// The ports of the `resource:` lines of a bench file.
fn served_ports(bench: &str) -> Vec<u16> {
    bench
        .lines()
        .filter_map(|l| l.trim().strip_prefix("resource: "))
        .map(|r| {
            let port = match r.strip_prefix("socketcand://") {
                Some(rest) => rest.split('/').next().and_then(|a| a.rsplit(':').next()),
                None => r.split("::").nth(2),
            };
            port.and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("no port in {r}"))
        })
        .collect()
}

/// `--bench FILE` serves the families its instruments name (every port 0: each its own
/// free port) and builds the twin it describes: here two packs, the master's DIP
/// address 3, so the first pack answers at 3 and the second at 4.
#[test]
fn a_bench_file_chooses_the_families_and_the_twin() {
    let dir = scratch("bench-file");
    let lab = dir.join("lab.yaml");
    std::fs::write(&lab, LAB_BENCH).unwrap();
    let bench_path = dir.join("served.yaml");
    let _server = served::start(&bench_path, &["--bench", lab.to_str().unwrap()]);
    let bench = std::fs::read_to_string(&bench_path).unwrap();
    let ports = served_ports(&bench);
    assert_eq!(ports.len(), 3, "source, bms and rs485 only:\n{bench}");
    let mut distinct = ports.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(
        distinct.len() == 3 && !ports.contains(&0),
        "each its own port: {ports:?}"
    );
    assert!(
        !bench.contains("sim:") && !bench.contains("twin:"),
        "{bench}"
    );
    let real = rig::bench::Bench::load(&bench_path).unwrap_or_else(|p| panic!("{p}\n{bench}"));
    assert_eq!(real.packs, Some(2));
    assert_eq!(real.instruments["rs485"].address, 3);
    let rs485 = real.instruments["rs485"].resource.to_string();
    let at = rs485
        .split("::")
        .skip(1)
        .take(2)
        .collect::<Vec<_>>()
        .join(":");
    let mut link = TcpStream::connect(at).unwrap();
    link.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    // 0x42 for the packs at 3 and 4 (hand-written, checksums worked by hand): each
    // answers with RTN 00 from its own address.
    for (request, answer) in [
        (&b"~20034642E00203FD31\r"[..], "~20034600"),
        (b"~20044642E00204FD2F\r", "~20044600"),
    ] {
        let reply = text(exchange(&mut link, request, b"\r"));
        assert!(reply.starts_with(answer), "{reply}");
    }
}

/// A bench file with a mistake is refused with its line and column, and nothing is
/// served: no bench file is written.
#[test]
fn a_bad_bench_file_is_refused_at_its_line_and_nothing_is_served() {
    let dir = scratch("bad-bench");
    let lab = dir.join("lab.yaml");
    let out = dir.join("served.yaml");
    for (bad, expected) in [
        (
            LAB_BENCH.replace("address: 3 }", "adress: 3 }"),
            "lab.yaml:16:10: unknown field `adress`",
        ),
        (
            // A real instrument (the virtual-only sections go, or they are refused first).
            LAB_BENCH
                .replace("resource: sim:rs485", "resource: /dev/ttyUSB2")
                .split("twin:")
                .next()
                .unwrap()
                .to_string(),
            "lab.yaml:12:15: `rs485` is reached at /dev/ttyUSB2",
        ),
    ] {
        std::fs::write(&lab, &bad).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_rig"))
            .args(["sim", "serve", "--bench"])
            .arg(&lab)
            .arg("--bench-out")
            .arg(&out)
            .args(served::any_ports())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(3), "{err}");
        assert!(err.contains(expected), "{err}");
        assert!(!out.exists(), "a refused bench file served nothing");
    }
}

/// The socketcand port in use is named like the others: its family and its option.
#[test]
fn a_socketcand_port_in_use_is_named_with_its_family_and_option() {
    let (port, err) = serve_on_a_taken_port("--can-port");
    assert!(
        err.contains(&format!(
            "socketcand on 127.0.0.1:{port} (the BMS's CAN bus): "
        )) && err.contains("--can-port"),
        "{err}"
    );
}
