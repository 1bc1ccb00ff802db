//! The source/sink's measurements, with the envelope checked on every reading.

use tokio::sync::mpsc::UnboundedSender;

use super::{Feed, SourceGuard, Stop, channel_of, poll};
use crate::bench::{ChannelKind, Channels};
use crate::expr::Value;
use crate::quantity::{Dim, Quantity};
use crate::runner::failure::{Cause, OutputAfter};
use crate::runner::instruments::SharedSource;
use crate::runner::log::EventLog;

/// Poll voltage, current and output every `period`. A reading outside the envelope
/// switches the output off at once, while the lock is held, and stops the run.
pub async fn source(
    source: SharedSource,
    name: String,
    channels: Channels,
    period: std::time::Duration,
    guard: SourceGuard,
    log: EventLog,
    tx: UnboundedSender<Feed>,
) {
    let v_id = channel_of(&channels, &name, ChannelKind::SourceVoltage);
    let i_id = channel_of(&channels, &name, ChannelKind::SourceCurrent);
    let o_id = channel_of(&channels, &name, ChannelKind::SourceOutput);
    poll(&name, period, log.clock(), &tx, || {
        let (source, guard) = (source.clone(), guard.clone());
        async move {
            let mut s = source.lock().await;
            let (v, i, o) = async {
                Ok::<_, crate::runner::roles::RoleError>((
                    s.measure_voltage().await?,
                    s.measure_current().await?,
                    s.output().await?,
                ))
            }
            .await
            .map_err(|e| Stop::Failed(Cause::Role(e)))?;
            if let Some(violation) = guard.check(v, i) {
                // Off first, while the lock is held: nothing else gets a command in.
                let output = match s.set_output(false).await {
                    Ok(()) => OutputAfter::SwitchedOff,
                    Err(e) => OutputAfter::SwitchOffFailed(e),
                };
                return Err(Stop::Violation(Cause::Envelope { violation, output }));
            }
            Ok(vec![
                (v_id, Value::Num(Quantity::new(v, Dim::Voltage))),
                (i_id, Value::Num(Quantity::new(i, Dim::Current))),
                (o_id, Value::Bool(o)),
            ])
        }
    })
    .await;
}
