//! The live page's feed: the event-log lines of every plan of the run, as the log
//! writer writes them (`runner::log` tees each line here), kept for a browser that
//! comes late and broadcast to the ones already watching. The log stays the record;
//! this is a copy of what it says, never a second source.
//!
//! What a late browser gets is bounded, so a 48-hour run does not hold every sample:
//! every other event (steps, actions, verdicts, instrument states) is kept as written,
//! but each channel's samples are thinned into time buckets of first/min/max/last (the
//! reports' [`ThinSeries`]), so a spike keeps its height and a channel costs at most
//! `4 * SAMPLE_BUCKETS` points however long the run.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use rig_reports::thinning::ThinSeries;
use rig_reports::{Event, EventKind, SampleValue};
use tokio::sync::broadcast;

/// Buckets kept per channel for a late browser: the page plots its last 3000 points in
/// a window about a thousand pixels wide.
const SAMPLE_BUCKETS: usize = 1024;

/// Messages a browser may fall behind by before it is told to reload (it then gets the
/// history again, so nothing is lost but the moment).
const LAG: usize = 4096;

/// One message of the feed: `{"plan":"<id>","e":<the log line>}`, ready for an SSE `data:`.
pub type Message = Arc<str>;

/// A cloneable handle on the run's feed.
#[derive(Clone)]
pub struct Feed {
    inner: Arc<Inner>,
}

struct Inner {
    history: Mutex<History>,
    live: broadcast::Sender<Message>,
}

/// What a browser that comes late is sent: every event but samples as written, and each
/// channel's samples thinned.
#[derive(Default)]
struct History {
    /// Run time and message of every event but samples, in order.
    events: Vec<(f64, Message)>,
    /// Per plan and channel: its unit, whether it is a flag, and its points.
    samples: BTreeMap<(String, String), Channel>,
}

struct Channel {
    unit: String,
    flag: bool,
    points: ThinSeries,
}

impl History {
    fn len(&self) -> usize {
        self.events.len() + self.samples.len()
    }

    fn add(&mut self, plan: &str, line: &str, message: &Message) {
        let Ok(event) = serde_json::from_str::<Event>(line) else {
            // Not an event the page reads samples from: keep it as it is.
            self.events.push((f64::NAN, message.clone()));
            return;
        };
        let EventKind::Sample {
            channel,
            value,
            unit,
        } = event.kind
        else {
            self.events.push((event.t, message.clone()));
            return;
        };
        let c = self
            .samples
            .entry((plan.to_string(), channel))
            .or_insert_with(|| Channel {
                unit: String::new(),
                flag: matches!(value, SampleValue::Bool(_)),
                points: ThinSeries::with_max_buckets(SAMPLE_BUCKETS),
            });
        if c.unit.is_empty() {
            c.unit = unit;
        }
        let v = match value {
            SampleValue::Bool(b) => f64::from(u8::from(b)),
            SampleValue::Number(x) => x,
        };
        // Time goes forward in a plan's log; a point out of order would upset the buckets.
        if c.points.last_t().is_none_or(|last| event.t >= last) {
            c.points.push((event.t, v));
        }
    }

    /// The events and the thinned samples, merged in time order (an event before the
    /// samples of its instant; an unreadable line where it came).
    fn messages(&self) -> Vec<Message> {
        let mut all: Vec<(f64, Message)> = Vec::with_capacity(self.len());
        let mut last = f64::NEG_INFINITY;
        for (t, m) in &self.events {
            last = if t.is_nan() { last } else { *t };
            all.push((last, m.clone()));
        }
        for ((plan, channel), c) in &self.samples {
            for (t, v) in c.points.points() {
                let value = if c.flag {
                    SampleValue::Bool(v != 0.0)
                } else {
                    SampleValue::Number(v)
                };
                let event = Event::new(
                    0,
                    t,
                    EventKind::Sample {
                        channel: channel.clone(),
                        value,
                        unit: c.unit.clone(),
                    },
                );
                if let Ok(line) = serde_json::to_string(&event) {
                    all.push((t, message(plan, &line)));
                }
            }
        }
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        all.into_iter().map(|(_, m)| m).collect()
    }
}

/// `{"plan":"<id>","e":<line>}`.
fn message(plan: &str, line: &str) -> Message {
    let plan = serde_json::to_string(plan).unwrap_or_else(|_| "\"?\"".into());
    format!("{{\"plan\":{plan},\"e\":{line}}}").into()
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines = self.inner.history.lock().map_or(0, |h| h.len());
        write!(f, "Feed({lines} messages)")
    }
}

impl Default for Feed {
    fn default() -> Feed {
        Feed {
            inner: Arc::new(Inner {
                history: Mutex::new(History::default()),
                live: broadcast::Sender::new(LAG),
            }),
        }
    }
}

impl Feed {
    /// The page shows steps, verdicts, samples and instrument states; the wire traffic
    /// under them (most of a log's bytes) stays in the log only.
    pub fn wants(kind: &EventKind) -> bool {
        !matches!(
            kind,
            EventKind::Sent { .. }
                | EventKind::Received { .. }
                | EventKind::Repeated { .. }
                | EventKind::CanFrame { .. }
        )
    }

    /// Publish one log line (JSON, without its newline) of the plan `plan`.
    pub fn publish(&self, plan: &str, line: &str) {
        let message = message(plan, line);
        // History and broadcast under one lock, so a browser that subscribes while
        // holding it sees every message exactly once.
        let Ok(mut history) = self.inner.history.lock() else {
            return;
        };
        history.add(plan, line, &message);
        // No receiver is no error: nobody is watching yet.
        let _ = self.inner.live.send(message);
    }

    /// Everything so far (samples thinned), and a receiver of everything after it.
    pub fn subscribe(&self) -> (Vec<Message>, broadcast::Receiver<Message>) {
        let history = match self.inner.history.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        (history.messages(), self.inner.live.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_subscriber_gets_the_history_then_the_rest() {
        let feed = Feed::default();
        feed.publish("cocp", r#"{"seq":0}"#);
        let (history, mut live) = feed.subscribe();
        feed.publish("cocp", r#"{"seq":1}"#);
        assert_eq!(history.len(), 1);
        assert_eq!(&*history[0], r#"{"plan":"cocp","e":{"seq":0}}"#);
        assert_eq!(
            &*live.try_recv().unwrap(),
            r#"{"plan":"cocp","e":{"seq":1}}"#
        );
    }

    #[test]
    fn a_long_run_keeps_every_event_but_thins_its_samples() {
        let feed = Feed::default();
        let step = r#"{"seq":0,"t":0.0,"event":"step_started","step":1,"name":"soak","location":"p.yaml:6:5"}"#;
        feed.publish("p", step);
        // 48 h of a voltage every 4 s with one spike, and a flag toggling with it.
        let n = 48 * 3600 / 4;
        for k in 1..=n {
            let t = f64::from(k * 4);
            let v = if k == 20_000 {
                99.5
            } else {
                51.0 + f64::from(k % 10) * 0.1
            };
            feed.publish("p", &format!(r#"{{"seq":{k},"t":{t},"event":"sample","channel":"source.voltage","value":{v},"unit":"V"}}"#));
            feed.publish(
                "p",
                &format!(
                    r#"{{"seq":{k},"t":{t},"event":"sample","channel":"dio.run_led","value":{}}}"#,
                    k % 2 == 0
                ),
            );
        }
        let end = r#"{"seq":1,"t":172800.5,"event":"step_finished","step":1,"verdict":"pass"}"#;
        feed.publish("p", end);
        let (history, _) = feed.subscribe();
        assert!(
            history.len() <= 2 + 2 * 4 * SAMPLE_BUCKETS,
            "{} messages",
            history.len()
        );
        assert!(
            history.len() > 2 * SAMPLE_BUCKETS,
            "{} messages",
            history.len()
        );
        assert_eq!(&*history[0], format!(r#"{{"plan":"p","e":{step}}}"#));
        assert_eq!(
            &*history[history.len() - 1],
            format!(r#"{{"plan":"p","e":{end}}}"#)
        );
        let voltage: Vec<&Message> = history
            .iter()
            .filter(|m| m.contains("source.voltage"))
            .collect();
        assert!(voltage.iter().all(|m| m.contains(r#""unit":"V""#)));
        assert!(
            voltage
                .iter()
                .any(|m| m.contains(r#""t":80000.0"#) && m.contains("99.5"))
        );
        let led: Vec<&Message> = history
            .iter()
            .filter(|m| m.contains("dio.run_led"))
            .collect();
        assert!(led.iter().any(|m| m.contains("true")) && led.iter().any(|m| m.contains("false")));
    }

    #[test]
    fn wire_traffic_stays_in_the_log() {
        let sent = EventKind::Sent {
            instrument: "source".into(),
            text: Some("OUTP ON".into()),
            hex: None,
        };
        assert!(!Feed::wants(&sent));
        let step = EventKind::StepFinished {
            step: 1,
            verdict: rig_reports::Verdict::Pass,
        };
        assert!(Feed::wants(&step));
    }
}
