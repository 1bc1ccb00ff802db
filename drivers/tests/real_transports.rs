//! Every driver family over a real transport this machine has: TCP on loopback (port
//! 0, the listener bound before the client connects, so no sleeps) and
//! pseudo-terminals. Real time throughout: a paused clock and real file descriptors
//! do not mix. SocketCAN is covered by its error path where the kernel has no CAN.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use rig_drivers::can::{
    CanFrame, CanPort, CanPortError, KeepAlive, SocketCanErrorKind, probe_af_can,
};
use rig_drivers::rs485::pylontech::{Frame, PylonCodec, PylontechClient, encode_frame};
use rig_drivers::scpi::{Dialect, ScpiSource};
use rig_drivers::transport::{Endpoint, connect_tcp, open_serial};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_util::codec::FramedRead;

const T: Duration = Duration::from_secs(5);

#[tokio::test]
async fn scpi_source_over_loopback_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let instrument = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut heard = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            let answer = match line.as_str() {
                "*IDN?" => Some("EA Elektro-Automatik,PSB 9080-120 3U,2000,V2.10"),
                "SYST:ERR?" => Some("0,\"No error\""),
                "*OPC?" => Some("1"),
                "MEAS:VOLT?" => Some("52.10 V"),
                _ => None,
            };
            heard.push(line);
            if let Some(answer) = answer {
                write
                    .write_all(format!("{answer}\n").as_bytes())
                    .await
                    .unwrap();
            }
        }
        heard
    });
    let stream = connect_tcp("127.0.0.1", port, T).await.unwrap();
    let (mut source, identity) =
        ScpiSource::open(stream, Arc::from("source"), Dialect::EaPsb9000, T, None)
            .await
            .unwrap();
    assert_eq!(identity.model, "PSB 9080-120 3U");
    source.set_sink_limit(40.0).await.unwrap();
    source.set_output(true).await.unwrap();
    assert_eq!(source.measure_voltage().await.unwrap(), 52.1);
    source.release().await.unwrap();
    drop(source);
    let heard = instrument.await.unwrap();
    assert_eq!(
        heard,
        [
            "*IDN?",
            "*CLS",
            "SYST:LOCK ON",
            "OUTP OFF",
            "SYST:ERR?",
            "SINK:CURR 40.000",
            "SYST:ERR?",
            "OUTP ON",
            "*OPC?",
            "SYST:ERR?",
            "MEAS:VOLT?",
            "SYST:LOCK OFF",
        ]
    );
}

#[cfg(unix)]
#[tokio::test]
async fn pylontech_rs485_over_a_pty_pair() {
    use tokio_serial::SerialPort;
    let (master, slave) = tokio_serial::SerialStream::pair().unwrap();
    let path = slave.name().unwrap();
    // The pack: answers 0x4F with VER 0x28, then 0x92 with its limits.
    // It runs until aborted: closing the pty master early would discard its last answer.
    let (served_tx, mut served) = tokio::sync::mpsc::unbounded_channel();
    let pack = tokio::spawn(async move {
        let (read, mut write) = tokio::io::split(master);
        let mut frames = FramedRead::new(read, PylonCodec::new());
        while let Some(Ok(Ok(request))) = frames.next().await {
            let info = match request.cid2 {
                0x4F => vec![],
                0x92 => vec![
                    request.adr,
                    0xDA,
                    0xC0,
                    0xBB,
                    0x80,
                    0x01,
                    0xF4,
                    0x03,
                    0xE8,
                    0xC0,
                ],
                _ => break,
            };
            let answer = Frame {
                ver: 0x28,
                adr: request.adr,
                cid1: 0x46,
                cid2: 0x00,
                info,
            };
            write.write_all(&encode_frame(&answer)).await.unwrap();
            let _ = served_tx.send(request.cid2);
        }
    });
    let endpoint: Endpoint = format!("{path}?baud=9600&parity=none&data_bits=8&stop_bits=1")
        .parse()
        .unwrap();
    let Endpoint::Serial(config) = endpoint else {
        panic!("{endpoint:?}")
    };
    let port = open_serial(&config).unwrap();
    let mut client = PylontechClient::new(port, Arc::from("bms_rs485"), T, None);
    assert_eq!(client.adopt_version(2).await.unwrap(), 0x28);
    let limits = client.charge_management(2).await.unwrap();
    assert_eq!(limits.charge_voltage_limit, 56.0);
    assert!(limits.charge_enable() && limits.discharge_enable());
    assert_eq!(
        (served.recv().await, served.recv().await),
        (Some(0x4F), Some(0x92))
    );
    pack.abort();
    drop(slave);
}

/// A socketcand server speaking §3.1 on loopback: greets, accepts `can0` only, switches
/// to raw mode, sends two frames (RAW and BCM spelling, in one write) and collects
/// what the client sends.
async fn socketcand_server(listener: TcpListener) -> Vec<String> {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut received = Vec::new();
    let mut buf = Vec::new();
    let element = async |stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>| loop {
        if let Some(end) = buf.iter().position(|&b| b == b'>') {
            let text: Vec<u8> = buf.drain(..=end).collect();
            return Some(String::from_utf8_lossy(&text).trim().to_owned());
        }
        let mut chunk = [0u8; 256];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    stream.write_all(b"< hi >").await.unwrap();
    assert_eq!(
        element(&mut stream, &mut buf).await.as_deref(),
        Some("< open can0 >")
    );
    stream.write_all(b"< ok >").await.unwrap();
    assert_eq!(
        element(&mut stream, &mut buf).await.as_deref(),
        Some("< rawmode >")
    );
    stream
        .write_all(b"< ok >< frame 351 1700000000.000100 3002F401E803E001 >< frame 35E 1700000000.000200 50 59 4C 4F 4E 20 20 20  >")
        .await
        .unwrap();
    while received.len() < 2 {
        match element(&mut stream, &mut buf).await {
            Some(text) => received.push(text),
            None => break,
        }
    }
    received
}

#[tokio::test]
async fn socketcand_over_loopback_with_the_keep_alive() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(socketcand_server(listener));
    let endpoint: Endpoint = format!("socketcand://127.0.0.1:{port}/can0")
        .parse()
        .unwrap();
    let mut can = CanPort::open(&endpoint, T).await.unwrap();
    assert_eq!(
        can.recv().await.unwrap().to_string(),
        "351#3002F401E803E001"
    );
    assert_eq!(
        can.recv().await.unwrap().to_string(),
        "35E#50594C4F4E202020"
    );
    let keep_alive = KeepAlive::start(
        can.sender(),
        CanFrame::standard(0x305, &[0; 8]).unwrap(),
        Duration::from_millis(20),
    );
    let received = server.await.unwrap();
    let report = keep_alive.stop().await;
    assert!(report.sent >= 2, "{report:?}");
    assert_eq!(received, ["< send 305 8 00 00 00 00 00 00 00 00 >"; 2]);
}

#[tokio::test]
async fn socketcand_refuses_an_unknown_bus_by_name() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        stream.write_all(b"< hi >").await.unwrap();
        let mut buf = [0u8; 64];
        let _ = stream.read(&mut buf).await;
        stream
            .write_all(b"< error could not open bus >")
            .await
            .unwrap();
    });
    let endpoint: Endpoint = format!("socketcand://127.0.0.1:{port}/can7")
        .parse()
        .unwrap();
    let err = CanPort::open(&endpoint, T).await.unwrap_err();
    assert!(err.to_string().contains("socketcand"), "{err}");
    assert!(!err.is_transport());
}

/// SocketCAN needs AF_CAN in the kernel; where it is missing the typed error is the
/// test, and the skip is printed.
#[tokio::test]
async fn socketcan_open_names_what_is_missing() {
    let endpoint: Endpoint = "socketcan:rigcan0".parse().unwrap();
    let err = CanPort::open(&endpoint, T).await.unwrap_err();
    let CanPortError::SocketCan(err) = err else {
        panic!("{err:?}")
    };
    match probe_af_can() {
        Err(SocketCanErrorKind::NoKernelSupport) => {
            eprintln!("SKIP SocketCAN I/O: no AF_CAN in this kernel; tested the error path");
            assert!(matches!(err.kind, SocketCanErrorKind::NoKernelSupport));
        }
        Ok(()) => assert!(matches!(err.kind, SocketCanErrorKind::NoSuchInterface)),
        Err(_) => {}
    }
}
