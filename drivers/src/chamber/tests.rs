//! The chamber drivers against Modbus servers that hold registers: byte-exact RTU
//! frames of protocols.md §5.1-5.2 on a scripted stream, and real transports (Modbus
//! TCP on loopback, Modbus RTU over a pseudo-terminal pair; real time, because a paused
//! clock and real file descriptors do not mix).

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_modbus::server::Service;
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};
use tokio_test::io::Builder;

use super::*;
use crate::modbus::{ModbusFraming, attach, connect_modbus, with_crc};
use crate::transport::{Endpoint, SerialConfig};

const T: Duration = Duration::from_secs(2);

fn read_reply(words: &[u16]) -> Vec<u8> {
    let mut frame = vec![0x01, 0x03, (words.len() * 2) as u8];
    for w in words {
        frame.extend_from_slice(&w.to_be_bytes());
    }
    with_crc(&frame)
}

fn read_request(address: u16, count: u16) -> Vec<u8> {
    let [ah, al] = address.to_be_bytes();
    let [ch, cl] = count.to_be_bytes();
    with_crc(&[0x01, 0x03, ah, al, ch, cl])
}

#[tokio::test]
async fn watlow_f4_rtu_frames_are_byte_exact() {
    let set_point = [0x01, 0x06, 0x01, 0x2C, 0x00, 0xFA, 0xC9, 0xBC];
    let mock = Builder::new()
        .write(&read_request(606, 1))
        .read(&read_reply(&[1]))
        .write(&read_request(602, 1))
        .read(&read_reply(&[(-400i16) as u16]))
        .write(&read_request(603, 1))
        .read(&read_reply(&[1500]))
        .write(&set_point)
        .read(&set_point)
        .write(&[0x01, 0x03, 0x00, 0x64, 0x00, 0x01, 0xC5, 0xD5])
        .read(&read_reply(&[235]))
        .write(&with_crc(&[0x01, 0x06, 0x07, 0xD0, 0x00, 0x01]))
        .read(&with_crc(&[0x01, 0x06, 0x07, 0xD0, 0x00, 0x01]))
        .build();
    let context = attach(mock, ModbusFraming::Rtu, 1, Arc::from("chamber"), None);
    let mut f4 = WatlowF4::open(context, Arc::from("chamber"), RunEvent::default(), T)
        .await
        .unwrap();
    assert_eq!(f4.range(), (-40.0, 150.0));
    f4.set_point(25.0).await.unwrap();
    assert_eq!(f4.process_value().await.unwrap(), 23.5);
    f4.set_running(true).await.unwrap();
    let err = f4.set_point(151.0).await.unwrap_err();
    assert!(matches!(err.kind, ChamberErrorKind::OutOfRange { .. }));
}

#[tokio::test]
async fn watlow_f4t_rtu_reads_the_loop_1_pv_frame_of_section_5_2() {
    let float = |v: f32| WordOrder::LowWordFirst.encode(v);
    let mock = Builder::new()
        .write(&read_request(2774, 2))
        .read(&read_reply(&float(-40.0)))
        .write(&read_request(2776, 2))
        .read(&read_reply(&float(150.0)))
        .write(&[0x01, 0x03, 0x0B, 0x04, 0x00, 0x02, 0x87, 0xEE])
        .read(&read_reply(&float(23.5)))
        .build();
    let context = attach(mock, ModbusFraming::Rtu, 1, Arc::from("chamber"), None);
    let mut f4t = WatlowF4t::open(
        context,
        Arc::from("chamber"),
        1,
        WordOrder::LowWordFirst,
        RunEvent::default(),
        T,
    )
    .await
    .unwrap();
    assert_eq!(f4t.process_value().await.unwrap(), 23.5);
}

#[tokio::test]
async fn a_modbus_exception_is_typed() {
    let mock = Builder::new()
        .write(&read_request(606, 1))
        .read(&with_crc(&[0x01, 0x83, 0x02]))
        .build();
    let context = attach(mock, ModbusFraming::Rtu, 1, Arc::from("chamber"), None);
    let err = WatlowF4::open(context, Arc::from("chamber"), RunEvent::default(), T)
        .await
        .unwrap_err();
    assert!(matches!(
        err.kind,
        ChamberErrorKind::Modbus(crate::modbus::ModbusErrorKind::Exception { .. })
    ));
    assert!(!err.kind.is_transport());
}

/// A register file served over any tokio-modbus server.
#[derive(Clone, Default)]
struct Registers(Arc<Mutex<HashMap<u16, u16>>>);

impl Registers {
    fn set(&self, address: u16, words: &[u16]) {
        let mut map = self.0.lock().unwrap();
        for (i, w) in words.iter().enumerate() {
            map.insert(address + i as u16, *w);
        }
    }
    fn get(&self, address: u16) -> u16 {
        self.0.lock().unwrap().get(&address).copied().unwrap_or(0)
    }
}

impl Service for Registers {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Response, ExceptionCode>>;

    fn call(&self, request: Self::Request) -> Self::Future {
        ready(match request.request {
            Request::ReadHoldingRegisters(a, n) => Ok(Response::ReadHoldingRegisters(
                (a..a + n).map(|r| self.get(r)).collect(),
            )),
            Request::WriteSingleRegister(a, v) => {
                self.set(a, &[v]);
                Ok(Response::WriteSingleRegister(a, v))
            }
            Request::WriteMultipleRegisters(a, words) => {
                self.set(a, &words);
                Ok(Response::WriteMultipleRegisters(a, words.len() as u16))
            }
            _ => Err(ExceptionCode::IllegalFunction),
        })
    }
}

#[tokio::test]
async fn watlow_f4t_over_loopback_modbus_tcp() {
    let registers = Registers::default();
    let float = |v: f32| WordOrder::LowWordFirst.encode(v);
    registers.set(2774, &float(-40.0));
    registers.set(2776, &float(150.0));
    registers.set(2820, &float(23.5));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let service = registers.clone();
    let server = tokio::spawn(async move {
        let on_connected = |stream, addr| {
            let service = service.clone();
            async move {
                tokio_modbus::server::tcp::accept_tcp_connection(stream, addr, move |_| {
                    Ok(Some(service.clone()))
                })
            }
        };
        tokio_modbus::server::tcp::Server::new(listener)
            .serve(&on_connected, |_| {})
            .await
    });
    let endpoint: Endpoint = format!("modbus-tcp://127.0.0.1:{port}?unit=1")
        .parse()
        .unwrap();
    let (context, _unit) = connect_modbus(&endpoint, Arc::from("chamber"), T, None)
        .await
        .unwrap();
    let mut f4t = WatlowF4t::open(
        context,
        Arc::from("chamber"),
        1,
        WordOrder::LowWordFirst,
        RunEvent::default(),
        T,
    )
    .await
    .unwrap();
    f4t.set_point(25.0).await.unwrap();
    assert_eq!((registers.get(2782), registers.get(2783)), (0x0000, 0x41C8));
    assert_eq!(f4t.read_set_point().await.unwrap(), 25.0);
    assert_eq!(f4t.process_value().await.unwrap(), 23.5);
    f4t.set_running(true).await.unwrap();
    assert_eq!(registers.get(16594), 63);
    f4t.set_running(false).await.unwrap();
    assert_eq!(registers.get(16594), 62);
    server.abort();
}

#[cfg(unix)]
#[tokio::test]
async fn watlow_f4_over_a_pty_pair_modbus_rtu() {
    use tokio_serial::SerialPort;
    let registers = Registers::default();
    registers.set(606, &[1]);
    registers.set(602, &[(-400i16) as u16, 1500]);
    registers.set(100, &[235]);
    let (master, slave) = tokio_serial::SerialStream::pair().unwrap();
    let path = slave.name().unwrap();
    let server = tokio::spawn(
        tokio_modbus::server::rtu::Server::new(master).serve_forever(registers.clone()),
    );
    let endpoint = Endpoint::ModbusRtu {
        serial: SerialConfig::new(path),
        unit: 1,
    };
    let (context, _) = connect_modbus(&endpoint, Arc::from("chamber"), T, None)
        .await
        .unwrap();
    let mut f4 = WatlowF4::open(
        context,
        Arc::from("chamber"),
        RunEvent {
            output: 2,
            active_high: false,
        },
        T,
    )
    .await
    .unwrap();
    f4.set_point(-12.5).await.unwrap();
    assert_eq!(registers.get(300), (-125i16) as u16);
    assert_eq!(f4.read_set_point().await.unwrap(), -12.5);
    assert_eq!(f4.process_value().await.unwrap(), 23.5);
    f4.set_running(true).await.unwrap();
    assert_eq!(registers.get(2010), 0, "event 2, active low: run = off");
    server.abort();
    drop(slave);
}

proptest::proptest! {
    /// Whatever a device answers to the first request, the driver returns (an error or
    /// a value) and never panics. The paused clock turns "waits for more" into a timeout.
    #[test]
    fn any_rtu_reply_is_an_error_or_a_value_never_a_panic(
        reply in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async {
            let mock = Builder::new()
                .write(&read_request(606, 1))
                .read(&reply)
                .wait(Duration::from_secs(60))
                .build();
            let context = attach(mock, ModbusFraming::Rtu, 1, Arc::from("chamber"), None);
            let _ = WatlowF4::open(context, Arc::from("chamber"), RunEvent::default(), T).await;
        });
    }
}
