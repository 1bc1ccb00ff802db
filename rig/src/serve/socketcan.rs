//! `rig sim serve --can socketcan:IFACE`: the twin's CAN node on a kernel CAN interface
//! (a USB-CAN adapter's `can0`, or `vcan0`), beside the socketcand server. The twin's
//! 0x35x frames go out on the interface at their period, and whatever the interface
//! carries from other nodes (an inverter's 0x305 keep-alive, a plan's requests) reaches
//! the twin, so `candump`, a CAN analyser, a real inverter or the rig in real mode on
//! `socketcan:IFACE` talk to the simulated pack as to a real one.

use std::sync::Arc;
use std::time::Duration;

use rig_drivers::can::{SocketCanError, SocketCanErrorKind, SocketCanPort};
use rig_drivers::transport::Endpoint;
use rig_sim::SimBench;

/// After a receive error (the interface went down), wait this long before listening
/// again, so an error that repeats cannot spin the serve.
const AFTER_ERROR: Duration = Duration::from_millis(200);
/// How long one of the twin's frames may wait for room on the interface: on a bus where
/// no other node acknowledges, frames pile up, and the bridge must go on listening.
const SEND_WAIT: Duration = Duration::from_millis(100);

/// Why `--can` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CanArgError {
    #[error("--can `{given}`: expected socketcan:IFACE (for example socketcan:can0)")]
    NotSocketCan { given: String },
    #[error("--can: {0}")]
    Open(#[from] SocketCanError),
}

impl CanArgError {
    /// Invalid input (exit 3) or an interface that is not there (exit 2).
    pub fn exit_code(&self) -> i32 {
        match self {
            CanArgError::NotSocketCan { .. } => crate::exit::INVALID_INPUT,
            CanArgError::Open(_) => crate::exit::RIG_ERROR,
        }
    }
}

/// Opens the interface `--can` names, before anything is served, so a wrong name or a
/// kernel without CAN fails at once. Needs a tokio runtime.
pub fn open(given: &str) -> Result<SocketCanPort, CanArgError> {
    match given.parse::<Endpoint>() {
        Ok(Endpoint::SocketCan { interface }) => Ok(SocketCanPort::open(&interface)?),
        _ => Err(CanArgError::NotSocketCan {
            given: given.to_string(),
        }),
    }
}

/// Forwards frames both ways between the twin's bus and the interface until dropped.
/// Errors are printed and the bridge goes on: a lab re-plugging an adapter or taking
/// the interface down to change its bitrate need not restart the serve.
pub async fn bridge(sim: Arc<SimBench>, interface: SocketCanPort) {
    let name = interface.interface().to_string();
    let Ok(mut twin) = sim.can_port("can0") else {
        return;
    };
    let mut sending_failed = false;
    loop {
        tokio::select! {
            from_twin = twin.recv() => {
                // The twin's bus only closes with the bench.
                let Ok(frame) = from_twin else { return };
                let sent = tokio::time::timeout(SEND_WAIT, interface.send(&frame)).await;
                match sent.unwrap_or_else(|_| Err(timed_out(&name))) {
                    Ok(()) if sending_failed => {
                        sending_failed = false;
                        eprintln!("twin CAN on {name}: sending again");
                    }
                    Ok(()) => {}
                    // Once per run of failures: a bus without another node (nobody
                    // acknowledges) fails every frame.
                    Err(e) if !sending_failed => {
                        sending_failed = true;
                        eprintln!("twin CAN on {name}: the twin's frames are not going out: {e}");
                    }
                    Err(_) => {}
                }
            }
            from_bus = interface.recv() => match from_bus {
                Ok(frame) => twin.send(frame),
                Err(e) => {
                    eprintln!("twin CAN on {name}: {e}; listening on");
                    tokio::time::sleep(AFTER_ERROR).await;
                }
            },
        }
    }
}

fn timed_out(interface: &str) -> SocketCanError {
    SocketCanError {
        interface: interface.to_string(),
        kind: SocketCanErrorKind::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no room to send within {SEND_WAIT:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_a_socketcan_resource_is_taken() {
        for given in ["can0", "socketcand://127.0.0.1:29536/can0", "sim:can0", ""] {
            let err = open(given).unwrap_err();
            assert!(
                matches!(err, CanArgError::NotSocketCan { .. }),
                "{given}: {err}"
            );
            assert_eq!(err.exit_code(), crate::exit::INVALID_INPUT);
        }
        // A missing interface (or, on this project's machines, a kernel without CAN) is
        // the bench's problem, not the input's.
        let err = open("socketcan:rigcan-none7").unwrap_err();
        assert_eq!(err.exit_code(), crate::exit::RIG_ERROR, "{err}");
        assert!(
            err.to_string()
                .starts_with("--can: SocketCAN interface `rigcan-none7`")
        );
    }
}
