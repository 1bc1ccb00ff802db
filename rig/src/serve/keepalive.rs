//! What the served twin hears of the inverter: a line when the 0x305 keep-alive starts
//! reaching the twin and one when it stops, with the twin's own count (its snapshot),
//! so a lab or CI sees that `cansend`, an inverter or the rig got through. Not a line
//! per frame: a served twin runs for days.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use rig_sim::SimBench;

/// How often the twin's count is read.
const POLL: Duration = Duration::from_millis(250);
/// Three missed keep-alives (one a second, protocols.md 1.7): it stopped.
const STOPPED_AFTER: Duration = Duration::from_secs(3);

/// Follows the twin's keep-alive count; says what changed.
#[derive(Debug, Default)]
struct KeepAliveLog {
    count: u64,
    /// Time of the last new frame while the keep-alive is on.
    hearing_since_last: Option<Duration>,
}

impl KeepAliveLog {
    /// The count at `now` (time since serving started); a line when the keep-alive
    /// starts or stops.
    fn observe(&mut self, count: u64, now: Duration) -> Option<String> {
        if count > self.count {
            self.count = count;
            let started = self.hearing_since_last.is_none();
            self.hearing_since_last = Some(now);
            return started.then(|| {
                format!("twin CAN: hearing the inverter's keep-alive (0x305), {count} so far")
            });
        }
        match self.hearing_since_last {
            Some(last) if now.saturating_sub(last) >= STOPPED_AFTER => {
                self.hearing_since_last = None;
                Some(format!(
                    "twin CAN: the keep-alive (0x305) stopped; {} heard in all",
                    self.count
                ))
            }
            _ => None,
        }
    }
}

/// Prints the keep-alive lines on stdout until dropped.
pub async fn report(sim: Arc<SimBench>) {
    let started = tokio::time::Instant::now();
    let mut log = KeepAliveLog::default();
    let mut ticks = tokio::time::interval(POLL);
    loop {
        ticks.tick().await;
        let count = sim.snapshot().can.keepalive_frames_received;
        if let Some(line) = log.observe(count, started.elapsed()) {
            // A closed stdout must not end the serve (println! would panic).
            let _ = writeln!(std::io::stdout(), "{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_when_the_keep_alive_starts_and_one_when_it_stops() {
        let s = Duration::from_secs;
        let mut log = KeepAliveLog::default();
        assert_eq!(log.observe(0, s(1)), None);
        assert_eq!(
            log.observe(2, s(2)).as_deref(),
            Some("twin CAN: hearing the inverter's keep-alive (0x305), 2 so far")
        );
        assert_eq!(log.observe(3, s(3)), None);
        assert_eq!(log.observe(3, s(5)), None);
        assert_eq!(
            log.observe(3, s(6)).as_deref(),
            Some("twin CAN: the keep-alive (0x305) stopped; 3 heard in all")
        );
        assert_eq!(log.observe(3, s(60)), None);
        assert_eq!(
            log.observe(4, s(61)).as_deref(),
            Some("twin CAN: hearing the inverter's keep-alive (0x305), 4 so far")
        );
    }
}
