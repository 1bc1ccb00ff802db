//! Reading an event log back, including one cut short by a crash or `kill -9`: line by
//! line from a reader, once, so memory does not grow with the log ([`LogReader`]), or
//! whole into memory for the tests and short logs ([`read_log`]).

use std::io::BufRead;

use crate::event::{After, Event, EventKind, round_time};
use crate::wire::{Expander, Piece};

/// The readable part of a log.
#[derive(Clone, Debug, Default)]
pub struct LogContents {
    pub events: Vec<Event>,
    /// The log does not end with `run_finished`: the run was killed or is still going.
    pub incomplete: bool,
    /// Lines that were not valid events (a half-written last line, corruption).
    pub bad_lines: Vec<usize>,
}

/// The events of a log, one at a time, with `repeated` and `diff` wire traffic turned
/// back into the `sent`, `received` and `can_frame` events they stand for (or left as
/// they are: [`LogReader::compact`]).
/// Never fails on content: unreadable lines are counted, not fatal.
pub struct LogReader<R> {
    lines: std::io::Split<R>,
    line_no: usize,
    /// `None` when `repeated` events are passed on as they are.
    expander: Option<Expander>,
    replay: Option<Replay>,
    /// A piece read whose repeats (`after`) are being replayed before it.
    pending: Option<Event>,
    /// The `sample` events of a `samples` line not yet handed on.
    samples: std::collections::VecDeque<Event>,
    bad_lines: Vec<usize>,
    finished: bool,
    error: Option<std::io::Error>,
}

/// A `repeated` event being replayed.
struct Replay {
    seq: u64,
    instrument: String,
    id: Option<String>,
    period: usize,
    count: u64,
    done: u64,
    since: f64,
    until: f64,
}

impl<R: BufRead> LogReader<R> {
    /// Every event, `repeated` traffic replayed piece by piece.
    pub fn new(reader: R) -> LogReader<R> {
        LogReader {
            lines: reader.split(b'\n'),
            line_no: 0,
            expander: Some(Expander::default()),
            replay: None,
            pending: None,
            samples: std::collections::VecDeque::new(),
            bad_lines: Vec::new(),
            finished: false,
            error: None,
        }
    }

    /// Every event as the log holds it: for readers that skip wire traffic.
    pub fn compact(reader: R) -> LogReader<R> {
        LogReader {
            expander: None,
            ..LogReader::new(reader)
        }
    }

    /// Numbers of the lines read so far that were not valid events.
    pub fn bad_lines(&self) -> &[usize] {
        &self.bad_lines
    }

    /// The last event read is not `run_finished`: the run was killed or is still going.
    pub fn incomplete(&self) -> bool {
        !self.finished
    }

    /// The error that stopped the reading early, if one did.
    pub fn take_error(&mut self) -> Option<std::io::Error> {
        self.error.take()
    }

    /// The next piece of the replay under way.
    fn replayed(&mut self) -> Option<Event> {
        let r = self.replay.as_mut()?;
        let piece = if r.done < r.count {
            self.expander
                .as_mut()
                .and_then(|x| x.replay(&r.instrument, r.id.as_deref(), r.period))
        } else {
            None
        };
        let Some(piece) = piece else {
            self.replay = None;
            return None;
        };
        // The pieces' own times are not in the log: spread evenly over the span.
        let t = if r.count > 1 {
            r.since + (r.until - r.since) * r.done as f64 / (r.count - 1) as f64
        } else {
            r.until
        };
        r.done += 1;
        Some(Event::new(r.seq, round_time(t), piece.event(&r.instrument)))
    }

    /// The next line that holds an event.
    fn parsed(&mut self) -> Option<Event> {
        loop {
            let line = match self.lines.next()? {
                Ok(l) => l,
                Err(e) => {
                    self.error = Some(e);
                    return None;
                }
            };
            self.line_no += 1;
            let text = String::from_utf8_lossy(&line);
            if text.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Event>(&text) {
                Ok(e) => return Some(e),
                Err(_) => self.bad_lines.push(self.line_no),
            }
        }
    }
}

impl<R: BufRead> Iterator for LogReader<R> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.replayed() {
                self.finished = false;
                return Some(e);
            }
            if let Some(e) = self.samples.pop_front() {
                self.finished = false;
                return Some(e);
            }
            let mut event = match self.pending.take() {
                Some(e) => e,
                None => self.parsed()?,
            };
            if let EventKind::Samples { values } = event.kind {
                self.samples = samples_of(event.seq, event.t, values);
                continue;
            }
            if self.expander.is_some() {
                // The repeats a piece comes after are replayed first, the piece after them.
                if let Some(after) = event.after.take()
                    && let Some((instrument, id)) = crate::wire::line_of(&event.kind)
                {
                    self.replay = Some(Replay::of(&event, instrument, id, after));
                    self.pending = Some(event);
                    continue;
                }
                match self.followed(event) {
                    Some(e) => event = e,
                    None => continue,
                }
            }
            self.finished = matches!(event.kind, EventKind::RunFinished { .. });
            return Some(event);
        }
    }
}

impl<R> LogReader<R> {
    /// `event` as the expander follows it: a `repeated` event starts its replay (and
    /// gives nothing yet), a `diff` becomes the piece it stands for (nothing when it
    /// does not fit: dropped, not invented), other pieces are remembered.
    fn followed(&mut self, event: Event) -> Option<Event> {
        let x = self.expander.as_mut()?;
        match event.kind {
            EventKind::Repeated {
                instrument,
                id,
                period,
                count,
                since,
            } => {
                let after = After(period, count, since, event.t);
                self.replay = Some(Replay {
                    seq: event.seq,
                    instrument,
                    id,
                    ..Replay::new(after)
                });
                None
            }
            EventKind::Diff {
                ref instrument,
                ref id,
                back,
                ref edit,
            } => {
                let piece = x.diff(instrument, id.as_deref(), back, edit)?;
                Some(Event::new(event.seq, event.t, piece.event(instrument)))
            }
            kind => {
                if let Some((instrument, piece)) = Piece::of(&kind) {
                    x.seen(instrument, &piece);
                }
                Some(Event { kind, ..event })
            }
        }
    }
}

/// The `sample` events a `samples` line stands for: its seq and time each, no unit.
fn samples_of(
    seq: u64,
    t: f64,
    values: indexmap::IndexMap<String, crate::event::SampleValue>,
) -> std::collections::VecDeque<Event> {
    let sample = |(channel, value)| {
        let unit = String::new();
        Event::new(
            seq,
            t,
            EventKind::Sample {
                channel,
                value,
                unit,
            },
        )
    };
    values.into_iter().map(sample).collect()
}

impl Replay {
    fn new(After(period, count, since, until): After) -> Replay {
        Replay {
            seq: 0,
            instrument: String::new(),
            id: None,
            period,
            count,
            done: 0,
            since,
            until,
        }
    }

    /// The repeats `event` on `instrument` (and CAN `id`) comes after.
    fn of(event: &Event, instrument: &str, id: Option<&str>, after: After) -> Replay {
        Replay {
            seq: event.seq,
            instrument: instrument.to_string(),
            id: id.map(String::from),
            ..Replay::new(after)
        }
    }
}

/// Parse a log; never fails: unreadable lines are counted, not fatal.
pub fn parse_log(text: &str) -> LogContents {
    let mut reader = LogReader::new(text.as_bytes());
    let events = reader.by_ref().collect();
    LogContents {
        events,
        incomplete: reader.incomplete(),
        bad_lines: reader.bad_lines,
    }
}

/// A whole log in memory, its wire traffic replayed. Reports read it as a stream
/// instead ([`LogReader`]).
pub fn read_log(path: &std::path::Path) -> std::io::Result<LogContents> {
    let file = std::fs::File::open(path)?;
    let mut reader = LogReader::new(std::io::BufReader::new(file));
    let events = reader.by_ref().collect();
    if let Some(e) = reader.take_error() {
        return Err(e);
    }
    Ok(LogContents {
        events,
        incomplete: reader.incomplete(),
        bad_lines: reader.bad_lines,
    })
}

/// A log file's events one at a time, without its wire traffic replayed.
pub fn open_compact(
    path: &std::path::Path,
) -> std::io::Result<LogReader<std::io::BufReader<std::fs::File>>> {
    let file = std::fs::File::open(path)?;
    Ok(LogReader::compact(std::io::BufReader::with_capacity(
        256 * 1024,
        file,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SampleValue;

    const LOG: &str = r#"{"seq":0,"t":0.0,"event":"sent","instrument":"rs485","text":"~poll"}
{"seq":1,"t":2.0,"event":"sent","instrument":"rs485","text":"~poll"}
{"seq":2,"t":10.0,"event":"repeated","instrument":"rs485","period":1,"count":5,"since":4.0}
{"seq":3,"t":11.0,"event":"received","instrument":"rs485","text":"~answer"}
"#;

    #[test]
    fn a_repeated_event_reads_back_as_the_pieces_it_stands_for() {
        let log = parse_log(LOG);
        assert_eq!(log.events.len(), 8);
        let times: Vec<f64> = log.events.iter().map(|e| e.t).collect();
        assert_eq!(times, [0.0, 2.0, 4.0, 5.5, 7.0, 8.5, 10.0, 11.0]);
        assert!(log.events[2..7].iter().all(|e| matches!(
            &e.kind,
            EventKind::Sent { text: Some(t), .. } if t == "~poll"
        )));
        assert!(log.incomplete);
        assert!(log.bad_lines.is_empty());
    }

    #[test]
    fn a_diff_event_reads_back_as_the_piece_it_stands_for() {
        let log = parse_log(concat!(
            r#"{"seq":0,"t":0.0,"event":"received","instrument":"rs485","text":"~2002460012345678"}"#,
            "\n",
            r#"{"seq":1,"t":1.0,"event":"received","instrument":"io","hex":"01 02 03"}"#,
            "\n",
            r#"{"seq":2,"t":2.0,"event":"diff","instrument":"rs485","back":1,"edit":[[9,"9"],[15,"F"]]}"#,
            "\n",
            r#"{"seq":3,"t":3.0,"event":"diff","instrument":"io","back":1,"edit":[[2,"FF"]]}"#,
            "\n",
            r#"{"seq":4,"t":4.0,"event":"diff","instrument":"io","back":9,"edit":[[0,"FF"]]}"#,
        ));
        let kinds: Vec<EventKind> = log.events.into_iter().map(|e| e.kind).collect();
        let received =
            |instrument: &str, text: Option<&str>, hex: Option<&str>| EventKind::Received {
                instrument: instrument.into(),
                text: text.map(String::from),
                hex: hex.map(String::from),
            };
        assert_eq!(
            kinds,
            [
                received("rs485", Some("~2002460012345678"), None),
                received("io", None, Some("01 02 03")),
                received("rs485", Some("~20024600923456F8"), None),
                received("io", None, Some("01 02 FF")),
            ]
        );
    }

    #[test]
    fn a_piece_after_repeats_reads_back_after_them() {
        let log = parse_log(concat!(
            r#"{"seq":0,"t":0.0,"event":"sent","instrument":"rs485","text":"~poll"}"#,
            "\n",
            r#"{"seq":1,"t":1.0,"event":"received","instrument":"rs485","text":"~a1"}"#,
            "\n",
            r#"{"seq":2,"t":10.0,"event":"received","instrument":"rs485","text":"~a2","after":[2,4,2.0,5.0]}"#,
        ));
        let times: Vec<f64> = log.events.iter().map(|e| e.t).collect();
        assert_eq!(times, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 10.0]);
        let texts: Vec<String> = (log.events.iter())
            .map(|e| match &e.kind {
                EventKind::Sent { text: Some(t), .. }
                | EventKind::Received { text: Some(t), .. } => t.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            texts,
            ["~poll", "~a1", "~poll", "~a1", "~poll", "~a1", "~a2"]
        );
        assert!(log.events.iter().all(|e| e.after.is_none()));
        assert_eq!(log.events[2].seq, 2);
        let compact: Vec<Event> = LogReader::compact(
            r#"{"seq":2,"t":10.0,"event":"received","instrument":"rs485","text":"~a2","after":[2,4,2.0,5.0]}"#
                .as_bytes(),
        )
        .collect();
        assert_eq!(compact[0].after, Some(After(2, 4, 2.0, 5.0)));
    }

    #[test]
    fn a_samples_event_reads_back_as_its_samples_in_order() {
        let line = concat!(
            r#"{"seq":7,"t":2.5,"event":"samples","values":{"rs485.cell_2":3.3,"#,
            r#""rs485.cell_1":3.25,"dio.run_led":true}}"#,
        );
        for events in [
            parse_log(line).events,
            LogReader::compact(line.as_bytes()).collect(),
        ] {
            let got: Vec<(u64, f64, String, SampleValue, String)> = (events.into_iter())
                .filter_map(|e| match e.kind {
                    EventKind::Sample {
                        channel,
                        value,
                        unit,
                    } => Some((e.seq, e.t, channel, value, unit)),
                    _ => None,
                })
                .collect();
            let s = |c: &str, v| (7, 2.5, c.to_string(), v, String::new());
            assert_eq!(
                got,
                [
                    s("rs485.cell_2", SampleValue::Number(3.3)),
                    s("rs485.cell_1", SampleValue::Number(3.25)),
                    s("dio.run_led", SampleValue::Bool(true)),
                ]
            );
        }
    }

    #[test]
    fn the_compact_reader_passes_repeated_events_on() {
        let events: Vec<Event> = LogReader::compact(LOG.as_bytes()).collect();
        assert_eq!(events.len(), 4);
        assert!(matches!(
            events[2].kind,
            EventKind::Repeated { count: 5, .. }
        ));
    }

    #[test]
    fn a_repeated_event_without_history_is_dropped_not_invented() {
        let log = parse_log(
            r#"{"seq":0,"t":1.0,"event":"repeated","instrument":"rs485","period":1,"count":3,"since":0.0}"#,
        );
        assert!(log.events.is_empty());
    }

    #[test]
    fn bad_lines_are_counted_by_number() {
        let log = parse_log(
            "{\"seq\":0\nnot json\n\n{\"seq\":1,\"t\":0.0,\"event\":\"run_finished\",\"verdict\":\"pass\"}\n",
        );
        assert_eq!(log.bad_lines, [1, 2]);
        assert_eq!(log.events.len(), 1);
        assert!(!log.incomplete);
    }
}
