//! Serial ports (RS232, RS485 adapters, USB CDC-ACM) through tokio-serial.
//!
//! Only for real mode, like TCP: a paused clock and real file descriptors do not mix.
//! Ports are opened exclusively (tokio-serial's default), so two rig processes can
//! never talk over each other on one RS485 bus. Direction control of RS485 adapters is
//! left to the adapter (rust-crates.md §2: most switch automatically).

use std::fmt;

use tokio_serial::{DataBits, FlowControl, SerialPortBuilderExt, SerialStream, StopBits};

use super::endpoint::{Parity, SerialConfig};

/// A serial port could not be opened.
#[derive(Debug, thiserror::Error)]
pub struct SerialError {
    pub path: String,
    #[source]
    pub source: tokio_serial::Error,
}

impl fmt::Display for SerialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match self.source.kind {
            tokio_serial::ErrorKind::NoDevice => "no such device or it is busy",
            tokio_serial::ErrorKind::InvalidInput => "invalid settings",
            tokio_serial::ErrorKind::Io(std::io::ErrorKind::NotFound) => "no such device",
            _ => "open failed",
        };
        write!(f, "cannot open serial port {}: {reason}", self.path)
    }
}

/// Opens `config.path` with its line settings, no flow control.
pub fn open_serial(config: &SerialConfig) -> Result<SerialStream, SerialError> {
    let data_bits = match config.data_bits {
        5 => DataBits::Five,
        6 => DataBits::Six,
        7 => DataBits::Seven,
        _ => DataBits::Eight,
    };
    let parity = match config.parity {
        Parity::None => tokio_serial::Parity::None,
        Parity::Even => tokio_serial::Parity::Even,
        Parity::Odd => tokio_serial::Parity::Odd,
    };
    let stop_bits = if config.stop_bits == 2 {
        StopBits::Two
    } else {
        StopBits::One
    };
    tokio_serial::new(&config.path, config.baud)
        .data_bits(data_bits)
        .parity(parity)
        .stop_bits(stop_bits)
        .flow_control(FlowControl::None)
        .open_native_async()
        .map_err(|source| SerialError {
            path: config.path.clone(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn a_missing_device_is_named() {
        let err = open_serial(&SerialConfig::new("/dev/ttyRIG-none")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot open serial port /dev/ttyRIG-none")
        );
    }

    /// Real pseudo-terminal: the far end is opened by path with the parsed settings.
    #[cfg(unix)]
    #[tokio::test]
    async fn opens_a_pty_by_path_and_moves_bytes() {
        use tokio_serial::SerialPort;
        let (mut master, slave) = tokio_serial::SerialStream::pair().unwrap();
        let path = slave.name().unwrap();
        let config: crate::transport::Endpoint = format!("{path}?baud=19200").parse().unwrap();
        let crate::transport::Endpoint::Serial(config) = config else {
            panic!("{config:?}")
        };
        let mut port = open_serial(&config).unwrap();
        port.write_all(b"relay on 0\r").await.unwrap();
        let mut buf = [0u8; 11];
        master.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"relay on 0\r");
        drop(slave);
    }
}
