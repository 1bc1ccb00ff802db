//! A chamber's air temperature and set point.

use rig_drivers::chamber::Chamber;
use tokio::sync::mpsc::UnboundedSender;

use super::{Feed, Stop, channel_of, poll};
use crate::bench::{ChannelKind, Channels};
use crate::expr::Value;
use crate::quantity::{Dim, Quantity};
use crate::runner::instruments::SharedChamber;
use crate::runner::log::EventLog;

/// Poll the air temperature and the set point every `period`.
pub async fn chamber(
    chamber: SharedChamber,
    name: String,
    channels: Channels,
    period: std::time::Duration,
    log: EventLog,
    tx: UnboundedSender<Feed>,
) {
    let pv_id = channel_of(&channels, &name, ChannelKind::ChamberTemperature);
    let sp_id = channel_of(&channels, &name, ChannelKind::ChamberSetpoint);
    poll(&name, period, log.clock(), &tx, || {
        let chamber = chamber.clone();
        async move {
            let mut c = chamber.lock().await;
            let pv = c
                .process_value()
                .await
                .map_err(|e| Stop::Failed(e.into()))?;
            let sp = c
                .read_set_point()
                .await
                .map_err(|e| Stop::Failed(e.into()))?;
            let temperature = |v: f64| Value::Num(Quantity::new(v, Dim::Temperature));
            Ok(vec![(pv_id, temperature(pv)), (sp_id, temperature(sp))])
        }
    })
    .await;
}
