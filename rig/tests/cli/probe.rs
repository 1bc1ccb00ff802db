//! `rig probe` against the virtual bench and against an instrument that answers garbage.

use super::*;

#[test]
fn probe_prints_every_identity_and_channel_of_the_virtual_bench() {
    let o = rig(&["probe", "--json", "--for", "3 s"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("probe --json prints JSON");
    let instruments = report["instruments"].as_array().unwrap();
    for name in ["source", "io", "bms"] {
        let i = instruments
            .iter()
            .find(|i| i["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"));
        assert!(i["error"].is_null(), "{i}");
        assert!(i["identity"].is_string(), "{i}");
    }
    let channel = |name: &str| {
        report["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(channel("bms.soc")["value"], 50.0);
    assert_eq!(channel("dio.charge_enable")["value"], true);
    assert_eq!(
        channel("source.output")["value"],
        false,
        "a probe energises nothing"
    );
    assert!(channel("source.voltage")["value"].as_f64().unwrap() > 50.0);
}

#[test]
fn probe_exits_2_naming_an_instrument_that_answers_garbage() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buf = [0u8; 256];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"\x15garbage\n");
            let _ = stream.read(&mut buf);
        }
    });
    let dir = scratch("probe-garbage");
    let bench = tcp_bench(&dir, port);
    let o = rig(&["probe", "--bench", bench.to_str().unwrap(), "--for", "1 s"]);
    server.join().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("error: source (scpi-source, TCPIP::127.0.0.1::"),
        "{}",
        text(&o)
    );
}

#[test]
fn probe_log_goes_where_told_and_an_existing_file_is_refused_untouched() {
    let dir = scratch("probe-log");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("wiring.events.jsonl");
    let o = rig(&["probe", "--for", "1 s", "--log", log.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let written = std::fs::read_to_string(&log).expect("the probe wrote its log there");
    assert!(written.lines().count() > 1, "{written}");
    assert!(
        text(&o).contains(&log.display().to_string()),
        "{}",
        text(&o)
    );

    let o = rig(&["probe", "--for", "1 s", "--log", log.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("exists"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), written);
}
