//! A relay board's relays (read back) and digital inputs.

use tokio::sync::mpsc::UnboundedSender;

use super::{Feed, Stop, poll};
use crate::bench::{Bench, Channels};
use crate::expr::{ChannelId, Value};
use crate::runner::instruments::SharedBoard;
use crate::runner::log::EventLog;

/// Channels of one board's wires: (channel, 0-based index on the board, inverted).
fn wires(
    bench_wires: &std::collections::BTreeMap<String, crate::bench::BoardWire>,
    board: &str,
    prefix: &str,
    channels: &Channels,
) -> Vec<(ChannelId, usize, bool)> {
    bench_wires
        .iter()
        .filter(|(_, w)| w.board == board)
        .filter_map(|(n, w)| {
            channels
                .find(&format!("{prefix}.{n}"))
                .map(|(id, _)| (id, usize::from(w.number - 1), w.invert))
        })
        .collect()
}

/// Poll the relays and inputs wired in the bench every `period_s`.
pub async fn board(
    board: SharedBoard,
    name: String,
    bench: Bench,
    channels: Channels,
    period_s: f64,
    log: EventLog,
    tx: UnboundedSender<Feed>,
) {
    let relays = wires(&bench.relays, &name, "relays", &channels);
    let inputs = wires(&bench.inputs, &name, "dio", &channels);
    poll(&name, period_s, log.clock(), &tx, || {
        let (board, relays, inputs) = (board.clone(), relays.clone(), inputs.clone());
        async move {
            let mut b = board.lock().await;
            let failed = |e: rig_drivers::modbus::RelayBoardError| Stop::Failed(e.to_string());
            let r = if relays.is_empty() {
                [false; 8]
            } else {
                b.read_relays().await.map_err(failed)?
            };
            let i = if inputs.is_empty() {
                [false; 8]
            } else {
                b.read_inputs().await.map_err(failed)?
            };
            Ok(relays
                .iter()
                .map(|&(id, n, inv)| (Some(id), Value::Bool(r[n] != inv)))
                .chain(
                    inputs
                        .iter()
                        .map(|&(id, n, inv)| (Some(id), Value::Bool(i[n] != inv))),
                )
                .collect())
        }
    })
    .await;
}
