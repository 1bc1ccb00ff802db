//! What the common Pylontech RS485 clients ask, sent to `rig sim serve`'s RS485 port as
//! they frame it, each answered or refused as the twin's packs do (docs/protocols.md
//! §2.14). The frames are written out by hand with their checksums (worked by hand and
//! checked against the request table of docs/protocols.md §2.7 and the captures cited
//! there), not built with the twin's encoder.

use super::served;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

/// 0x4F at the master's address: the frame after a request that must go unanswered.
/// If the twin had answered that request, its answer would be read first.
const PROBE: &[u8] = b"~2002464F0000FD98\r";
const PROBE_ANSWER: &str = "~200246000000FDB2\r";

/// Reads one frame, up to its CR.
fn frame(tcp: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while !out.ends_with(b"\r") {
        assert_eq!(tcp.read(&mut byte).expect("an answer"), 1, "closed");
        out.push(byte[0]);
    }
    String::from_utf8(out).unwrap()
}

/// What the twin does with one client's request.
enum Expect {
    /// An answer whose header (SOI, VER, ADR, CID1, RTN, LENGTH) starts like this.
    Answer(&'static str),
    /// No answer, as a real pack at another address.
    Silence,
}

use Expect::{Answer, Silence};

/// What the common clients send (hand-written frames with their checksums) and what a
/// pack does with each.
const CLIENT_REQUESTS: &[(&str, &[u8], Expect)] = &[
    // python-pylontech (Frankkkkk) get_protocol_version / get_manufacturer_info ask
    // at ADR 0, which protocols.md §2.5 reserves: US2000C, US3000C and US5000 packs
    // do not answer (its issues 10, 15, 23, 41), nor does the twin.
    ("0x4F at ADR 0", b"~2000464F0000FD9A\r", Silence),
    ("0x51 at ADR 0", b"~200046510000FDAE\r", Silence),
    ("0x42 FF at ADR 0", b"~20004642E002FFFD0B\r", Silence),
    // python-pylontech scan_for_batteries: 0x93 at every address from 0.
    ("0x93 at ADR 0", b"~20004693E00200FD31\r", Silence),
    (
        "0x93 at ADR 3",
        b"~20034693E00203FD2B\r",
        Answer("~20034600C022"),
    ),
    // A Voltronic Axpert asks 0x4F with VER 00 at each group's master (0x02, 0x12,
    // ...): the pack answers whatever the VER (§2.7), with its own.
    (
        "0x4F VER 00 at ADR 2",
        b"~0002464F0000FD9A\r",
        Answer(PROBE_ANSWER),
    ),
    ("0x4F VER 00 at ADR 0x12", b"~0012464F0000FD99\r", Silence),
    // 0x4F and 0x51 at the pack's own address (pylontech-python's stack, the
    // workaround of python-pylontech issue 41).
    ("0x4F at ADR 2", PROBE, Answer(PROBE_ANSWER)),
    (
        "0x51 at ADR 2",
        b"~200246510000FDAC\r",
        Answer("~20024600C040"),
    ),
    // get_system_parameters(): ADR 2, no INFO; a US3000C answers `~20024600B032`
    // (python-pylontech issue 42): INFOFLAG and twelve values.
    (
        "0x47 at ADR 2",
        b"~200246470000FDA7\r",
        Answer("~20024600B032"),
    ),
    (
        "0x47 with its ADR",
        b"~20024647E00202FD2E\r",
        Answer("~20024600B032"),
    ),
    // get_values() (0xFF, the whole system) and get_values_single(2).
    (
        "0x42 FF at ADR 2",
        b"~20024642E002FFFD09\r",
        Answer("~20024600"),
    ),
    (
        "0x42 at ADR 2",
        b"~20024642E00202FD33\r",
        Answer("~20024600"),
    ),
    (
        "0x44 at ADR 2",
        b"~20024644E00202FD31\r",
        Answer("~20024600"),
    ),
    (
        "0x92 at ADR 2",
        b"~20024692E00202FD2E\r",
        Answer("~20024600"),
    ),
    // get_module_serial_number() without its ADR: no command value, RTN 05.
    (
        "0x93 without INFO",
        b"~200246930000FDA6\r",
        Answer("~200246050000"),
    ),
    // 0x61 (system analog values, not in V3.3; Sunsynk/Vevor): RTN 04, CID2 invalid.
    (
        "0x61 at ADR 2",
        b"~200246610000FDAB\r",
        Answer("~200246040000"),
    ),
];

#[test]
fn the_common_clients_requests_are_answered_or_refused_as_the_packs_do() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-clients");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bench_path = dir.join("bench.yaml");
    // Two packs: the master at 2, a slave at 3 (Lesso 3.2, protocols.md §2.5).
    let _server = served::start(&bench_path, &["--packs", "2"]);
    let bench = std::fs::read_to_string(&bench_path).unwrap();
    // The rs485 instrument's resource line follows its `driver: pylontech-rs485`.
    let rs485 = bench
        .split("driver: pylontech-rs485")
        .nth(1)
        .and_then(|rest| rest.lines().find(|l| l.trim().starts_with("resource:")))
        .and_then(|line| {
            let mut parts = line.split("::").skip(1);
            Some(format!("{}:{}", parts.next()?, parts.next()?))
        })
        .expect("the served bench names the RS485 port");
    let mut link = TcpStream::connect(rs485).unwrap();
    link.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    for (what, request, expect) in CLIENT_REQUESTS {
        link.write_all(request).unwrap();
        match expect {
            Answer(header) => {
                let answer = frame(&mut link);
                assert!(answer.starts_with(header), "{what}: {answer}");
            }
            Silence => {
                link.write_all(PROBE).unwrap();
                let next = frame(&mut link);
                assert_eq!(next, PROBE_ANSWER, "{what} was answered");
            }
        }
    }
}
