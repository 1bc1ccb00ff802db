//! A relay board's relays (read back) and digital inputs.

use tokio::sync::mpsc::UnboundedSender;

use super::{Feed, Stop, poll};
use crate::bench::{Bench, Channels};
use crate::expr::{ChannelId, Value};
use crate::runner::instruments::SharedBoard;
use crate::runner::log::EventLog;

/// Channels of one board's wires: (channel, number and bit on the board, inverted).
fn wires(
    bench_wires: &std::collections::BTreeMap<String, crate::bench::BoardWire>,
    board: &str,
    prefix: &str,
    channels: &Channels,
) -> Vec<(ChannelId, (u16, Option<u8>), bool)> {
    bench_wires
        .iter()
        .filter(|(_, w)| w.board == board)
        .filter_map(|(n, w)| {
            channels
                .find(&format!("{prefix}.{n}"))
                .map(|(id, _)| (id, (w.number, w.bit), w.invert))
        })
        .collect()
}

/// Poll the relays and inputs wired in the bench every `period`.
pub async fn board(
    board: SharedBoard,
    name: String,
    bench: Bench,
    channels: Channels,
    period: std::time::Duration,
    log: EventLog,
    tx: UnboundedSender<Feed>,
) {
    let relays = wires(&bench.relays, &name, "relays", &channels);
    let inputs = wires(&bench.inputs, &name, "dio", &channels);
    poll(&name, period, log.clock(), &tx, || {
        let (board, relays, inputs) = (board.clone(), relays.clone(), inputs.clone());
        async move {
            let mut b = board.lock().await;
            let failed = |e: crate::runner::roles::RoleError| Stop::Failed(e.into());
            let relay_numbers: Vec<u16> = relays.iter().map(|&(_, (n, _), _)| n).collect();
            let input_numbers: Vec<(u16, Option<u8>)> = inputs.iter().map(|&(_, w, _)| w).collect();
            let r = if relays.is_empty() {
                Vec::new()
            } else {
                b.read_relays(&relay_numbers).await.map_err(failed)?
            };
            let i = if inputs.is_empty() {
                Vec::new()
            } else {
                b.read_inputs(&input_numbers).await.map_err(failed)?
            };
            Ok(relays
                .iter()
                .zip(r)
                .map(|(&(id, _, inv), level)| (Some(id), Value::Bool(level != inv)))
                .chain(
                    inputs
                        .iter()
                        .zip(i)
                        .map(|(&(id, _, inv), level)| (Some(id), Value::Bool(level != inv))),
                )
                .collect())
        }
    })
    .await;
}
