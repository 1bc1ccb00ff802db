//! Modbus RTU exchanges with the simulated relay board, through a tokio-modbus client and
//! as raw ADUs (protocols.md 6.1 example frames).

use rig_drivers::modbus::with_crc;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::timeout;
use tokio_modbus::prelude::*;

use crate::support::{ANSWER_TIMEOUT, Io, bench, ready, secs};

async fn exchange(pipe: &mut DuplexStream, request: &[u8], answer_len: usize) -> Vec<u8> {
    pipe.write_all(request).await.unwrap();
    let mut answer = vec![0u8; answer_len];
    timeout(ANSWER_TIMEOUT, pipe.read_exact(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    answer
}

#[tokio::test(start_paused = true)]
async fn coils_write_and_read_back() {
    let bench = bench(&[]);
    let mut io = Io::open(&bench);
    io.decouple().await;
    io.relay(1, true).await;
    io.relay(7, true).await;
    let coils = io
        .call("read coils", async |c| c.read_coils(0, 8).await)
        .await
        .unwrap();
    assert_eq!(
        coils,
        [false, true, false, false, false, false, false, true]
    );
    io.call("write coils", async |c| {
        c.write_multiple_coils(0, &[true, true, false]).await
    })
    .await
    .unwrap();
    assert_eq!(
        bench.snapshot().relays.closed,
        [true, true, false, false, false, false, false, true]
    );
    io.relay(0x00FF, false).await;
    assert_eq!(bench.snapshot().relays.closed, [false; 8]);
}

#[tokio::test(start_paused = true)]
async fn inputs_read_the_dry_contacts_and_the_leds() {
    // Decoupled, as the rig leaves the board: on a fresh board the LED inputs would
    // switch the fault-injection relays (see failures.rs).
    let bench = ready(&[]).await;
    let mut io = Io::open(&bench);
    let inputs = io
        .call("read inputs", async |c| c.read_discrete_inputs(0, 8).await)
        .await
        .unwrap();
    // Dry contacts 1-2 closed; standby at 50 % (Lesso 3.3.3.4): RUN in the on phase of
    // FLASH1 at power-on, ALM dark, SOC LEDs 1-2 lit.
    assert_eq!(inputs, [true, true, true, false, true, true, false, false]);
}

#[tokio::test(start_paused = true)]
async fn registers_and_exceptions() {
    let bench = bench(&[]);
    let mut io = Io::open(&bench);
    let firmware = io
        .call("firmware", async |c| {
            c.read_holding_registers(0x8000, 1).await
        })
        .await;
    assert_eq!(firmware, Ok(vec![0x0100]));
    let address = io
        .call("address", async |c| {
            c.read_holding_registers(0x4000, 1).await
        })
        .await;
    assert_eq!(address, Ok(vec![1]));
    let modes = io
        .call("modes", async |c| c.read_holding_registers(0x1000, 8).await)
        .await;
    // Channels 1-2 as delivered (linkage), 3-8 commissioned (see sim/src/world.rs).
    assert_eq!(modes, Ok(vec![1, 1, 0, 0, 0, 0, 0, 0]));
    assert_eq!(
        io.call("coil 8", async |c| c.write_single_coil(8, true).await)
            .await,
        Err(ExceptionCode::IllegalDataAddress)
    );
    assert_eq!(
        io.call("input registers", async |c| c
            .read_input_registers(0, 1)
            .await)
            .await,
        Err(ExceptionCode::IllegalFunction)
    );
    assert_eq!(
        io.call("mode 5", async |c| c.write_single_register(0x1000, 5).await)
            .await,
        Err(ExceptionCode::IllegalDataValue)
    );
}

#[tokio::test(start_paused = true)]
async fn the_reference_frames_of_protocols_md_6_1() {
    let bench = bench(&[]);
    let mut pipe = bench.open("io").unwrap();
    // Decouple relay 1: FC06 0x1000 = 0, echoed.
    let decouple = [0x01, 0x06, 0x10, 0x00, 0x00, 0x00, 0x8D, 0x0A];
    assert_eq!(exchange(&mut pipe, &decouple, 8).await, decouple);
    // Relay 1 on, echoed.
    let on = [0x01, 0x05, 0x00, 0x00, 0xFF, 0x00, 0x8C, 0x3A];
    assert_eq!(exchange(&mut pipe, &on, 8).await, on);
    // Toggle relay 1 (0x5500), echoed; it is now open.
    let toggle = [0x01, 0x05, 0x00, 0x00, 0x55, 0x00, 0xF2, 0x9A];
    assert_eq!(exchange(&mut pipe, &toggle, 8).await, toggle);
    assert!(!bench.snapshot().relays.closed[0]);
    // Read 8 relays: byte count 1; relay 1 open, relay 2 still in linkage mode and
    // following input 2 (discharge enable, closed). Relays 3-8 follow the LED inputs
    // on this fresh board (failures.rs tells what that does to the pack).
    let read = [0x01, 0x01, 0x00, 0x00, 0x00, 0x08, 0x3D, 0xCC];
    let answer = exchange(&mut pipe, &read, 6).await;
    assert_eq!(answer[..3], [0x01, 0x01, 0x01]);
    assert_eq!(answer[3] & 0x03, 0x02);
    // Read 8 inputs: dry contacts 1 and 2 closed.
    let inputs = [0x01, 0x02, 0x00, 0x00, 0x00, 0x08, 0x79, 0xCC];
    let answer = exchange(&mut pipe, &inputs, 6).await;
    assert_eq!(answer[..3], [0x01, 0x02, 0x01]);
    assert_eq!(answer[3] & 0x03, 0x03);
}

#[tokio::test(start_paused = true)]
async fn garbage_and_foreign_units_are_ignored_and_the_next_request_answered() {
    let bench = bench(&[]);
    let mut pipe = bench.open("io").unwrap();
    // Garbage, then a request for unit 2 (no answer), then one for unit 1.
    pipe.write_all(&[0xDE, 0xAD, 0xBE, 0xEF]).await.unwrap();
    tokio::time::sleep(secs(0.1)).await;
    let for_unit_2 = [0x02, 0x01, 0x00, 0x00, 0x00, 0x08, 0x3D, 0xFF];
    pipe.write_all(&for_unit_2).await.unwrap();
    tokio::time::sleep(secs(0.1)).await;
    let read_address = [0x01, 0x03, 0x40, 0x00, 0x00, 0x01, 0x91, 0xCA];
    let answer = exchange(&mut pipe, &read_address, 7).await;
    assert_eq!(answer[..5], [0x01, 0x03, 0x02, 0x00, 0x01]);
    // Nothing else arrived.
    let mut extra = [0u8; 1];
    assert!(timeout(secs(1.0), pipe.read(&mut extra)).await.is_err());
}

#[tokio::test(start_paused = true)]
async fn malformed_requests_get_exceptions_not_panics() {
    let bench = bench(&[]);
    let mut pipe = bench.open("io").unwrap();
    // FC0F claiming 100 coils in one data byte.
    let request = with_crc(&[0x01, 0x0F, 0x00, 0x00, 0x00, 0x64, 0x01, 0xFF]);
    let answer = exchange(&mut pipe, &request, 5).await;
    assert_eq!(answer[..3], [0x01, 0x8F, 0x03]);
    // An unknown function code, delimited by the silent interval.
    let request = with_crc(&[0x01, 0x41, 0x01, 0x02]);
    let answer = exchange(&mut pipe, &request, 5).await;
    assert_eq!(answer[..3], [0x01, 0xC1, 0x01]);
    // The board still works.
    let read = [0x01, 0x01, 0x00, 0x00, 0x00, 0x08, 0x3D, 0xCC];
    assert_eq!(exchange(&mut pipe, &read, 6).await[..3], [0x01, 0x01, 0x01]);
}
