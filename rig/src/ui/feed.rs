//! The live page's feed: the event-log lines of every plan of the run, as the log
//! writer writes them (`runner::log` tees each line here), kept for a browser that
//! comes late and broadcast to the ones already watching. The log stays the record;
//! this is a copy of what it says, never a second source.

use std::sync::{Arc, Mutex};

use rig_reports::EventKind;
use tokio::sync::broadcast;

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
    history: Mutex<Vec<Message>>,
    live: broadcast::Sender<Message>,
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
                history: Mutex::new(Vec::new()),
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
        let plan = serde_json::to_string(plan).unwrap_or_else(|_| "\"?\"".into());
        let message: Message = format!("{{\"plan\":{plan},\"e\":{line}}}").into();
        // History and broadcast under one lock, so a browser that subscribes while
        // holding it sees every message exactly once.
        let Ok(mut history) = self.inner.history.lock() else {
            return;
        };
        history.push(message.clone());
        // No receiver is no error: nobody is watching yet.
        let _ = self.inner.live.send(message);
    }

    /// Everything so far, and a receiver of everything after it.
    pub fn subscribe(&self) -> (Vec<Message>, broadcast::Receiver<Message>) {
        let history = match self.inner.history.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        (history.clone(), self.inner.live.subscribe())
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
