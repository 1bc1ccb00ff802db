//! The texts of failed expectations, as the log and the terminal show them: which
//! expectation of which plan line, what it expected over which window, and what the
//! channels read when it failed.

use std::time::Duration;

use super::expectation::Failure;
use super::window::StepWindows;
use crate::plan::{Expectation, Window};
use crate::quantity::{format_duration, trim_float};
use crate::runner::store::Store;

/// A moment of the run, to the millisecond: `t=12.5 s`.
pub fn fmt_t(t: Duration) -> String {
    format!("t={} s", trim_float(millis(t)))
}

/// A length as a plan writes it, to the millisecond: `2.5 s`, `5 min`.
pub fn fmt_length(d: Duration) -> String {
    format_duration(millis(d))
}

/// Seconds, rounded to the millisecond.
fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

/// The window as a plan writes it: `within 5 s`, `for 1 min`.
pub fn window_text(w: Window) -> String {
    let length = |d: Duration| format_duration(d.as_secs_f64());
    match w {
        Window::Within(d) => format!("within {}", length(d)),
        Window::For(d) => format!("for {}", length(d)),
        Window::WithinAfter { after, within } => {
            format!("within {} after {}", length(within), length(after))
        }
        Window::Never(d) => format!("never for {}", length(d)),
    }
}

/// What `e` expected: `bms.soc > 90 % for 1 min`, `never X for 10 min`, ...
fn expected(e: &Expectation) -> String {
    let length = |d: Duration| format_duration(d.as_secs_f64());
    match e.window {
        Window::Within(d) => format!("{} within {}", e.text, length(d)),
        Window::For(d) => format!("{} for {}", e.text, length(d)),
        Window::WithinAfter { after, within } => format!(
            "{} within {}, not before {}",
            e.text,
            length(within),
            length(after)
        ),
        Window::Never(d) => format!("never {} for {}", e.text, length(d)),
    }
}

/// The channels of an expectation with their current values.
pub fn observed(e: &Expectation, store: &Store) -> String {
    e.predicate
        .channels()
        .iter()
        .map(|(id, name)| match store.get(*id) {
            Some(r) => format!("{name} = {} (since {})", r.value, fmt_t(r.since)),
            None => format!("{name} has no reading"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The message of `e` that failed as `failure` says, in the step's `windows`.
pub fn failure(e: &Expectation, windows: &StepWindows, failure: &Failure) -> String {
    let head = format!("expectation \"{}\" failed ({})", e.name, e.location);
    let expected = format!(
        "{}, from {} to {}",
        expected(e),
        fmt_t(windows.opened()),
        fmt_t(windows.closes_at(e.window))
    );
    let into = |at: Duration| {
        format!(
            "{} ({} into the window)",
            fmt_t(at),
            fmt_length(windows.elapsed(at))
        )
    };
    match failure {
        Failure::Broken {
            at,
            no_data,
            observed,
        } => format!(
            "{head}\n  expected: {expected}\n  observed: {} at {}: {observed}",
            if *no_data { "no data" } else { "false" },
            into(*at),
        ),
        Failure::NeverTrue { observed } => format!(
            "{head}\n  expected: {expected}\n  observed: never true in the window; at its end {observed}"
        ),
        Failure::Unjudged { observed } => format!(
            "{head}\n  expected: {expected}\n  observed: no reading of every channel inside the window; last: {observed}"
        ),
        Failure::FellSilent { medium, link, at } => format!(
            "{head}\n  expected: {}\n  observed: the BMS fell silent on {medium} at {} ({link}.online turned false), so its signals have no value",
            self::expected(e),
            fmt_t(*at),
        ),
        Failure::SilentWhileAlive {
            medium,
            link,
            at,
            alive,
        } => format!(
            "{head}\n  expected: {}\n  observed: the BMS fell silent on {medium} at {} ({link}.online turned false) while {alive}: the pack is up, its {medium} reporting stopped",
            self::expected(e),
            fmt_t(*at),
        ),
        Failure::TooEarly { at, observed } => format!(
            "{head}\n  expected: {expected}\n  observed: true too early, at {}: {observed}",
            into(*at),
        ),
        Failure::BecameTrue { at, observed } => format!(
            "{head}\n  expected: {expected}\n  observed: became true at {}: {observed}",
            into(*at),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::{Bench, Channels};
    use crate::expr::ChannelId;
    use crate::runner::executor::expectation::Judgement;
    use crate::runner::executor::testing::{percent, s, soc_above_90};
    use crate::runner::failure::Medium;

    /// `bms.soc` of the built-in virtual bench, and a store for its channels.
    fn soc() -> (ChannelId, Store) {
        let channels = Channels::of(&Bench::builtin_sim(), 1);
        let (id, _) = channels
            .find("bms.soc")
            .expect("the virtual bench has bms.soc");
        (id, Store::new(&channels))
    }

    #[test]
    fn a_broken_for_says_when_and_what_was_read() {
        let (id, mut store) = soc();
        store.update(id, percent(80.0), s(101.25));
        let e = soc_above_90(id, Window::For(s(60.0)));
        let windows = StepWindows::open(s(100.0), s(0.0));
        let f = Failure::Broken {
            at: s(102.5),
            no_data: false,
            observed: observed(&e, &store),
        };
        assert_eq!(
            failure(&e, &windows, &f),
            "expectation \"full\" failed (plan.yaml:12:7)\n  expected: bms.soc > 90 % for 60 s, from t=100 s to t=160 s\n  observed: false at t=102.5 s (2.5 s into the window): bms.soc = 80 % (since t=101.25 s)"
        );
    }

    #[test]
    fn a_within_never_true_gives_the_values_at_the_windows_end() {
        let (id, mut store) = soc();
        store.update(id, percent(85.0), s(3.0));
        let e = soc_above_90(id, Window::Within(s(5.0)));
        let windows = StepWindows::open(s(1.0), s(0.0));
        let f = Failure::NeverTrue {
            observed: observed(&e, &store),
        };
        assert_eq!(
            failure(&e, &windows, &f),
            "expectation \"full\" failed (plan.yaml:12:7)\n  expected: bms.soc > 90 % within 5 s, from t=1 s to t=6 s\n  observed: never true in the window; at its end bms.soc = 85 % (since t=3 s)"
        );
    }

    #[test]
    fn an_unjudged_for_names_the_channel_without_reading() {
        let (id, store) = soc();
        let e = soc_above_90(id, Window::For(s(10.0)));
        let windows = StepWindows::open(s(0.0), s(0.0));
        let f = Failure::Unjudged {
            observed: observed(&e, &store),
        };
        assert_eq!(
            failure(&e, &windows, &f),
            "expectation \"full\" failed (plan.yaml:12:7)\n  expected: bms.soc > 90 % for 10 s, from t=0 s to t=10 s\n  observed: no reading of every channel inside the window; last: bms.soc has no reading"
        );
    }

    #[test]
    fn a_silent_link_is_named_with_its_medium() {
        let (id, _) = soc();
        let e = soc_above_90(id, Window::For(s(600.0)));
        let f = Failure::FellSilent {
            medium: Medium::Can,
            link: "bms".into(),
            at: s(42.0004),
        };
        assert_eq!(
            failure(&e, &StepWindows::open(s(0.0), s(0.0)), &f),
            "expectation \"full\" failed (plan.yaml:12:7)\n  expected: bms.soc > 90 % for 10 min\n  observed: the BMS fell silent on CAN at t=42 s (bms.online turned false), so its signals have no value"
        );
    }

    #[test]
    fn too_early_and_became_true_say_when() {
        let (id, mut store) = soc();
        store.update(id, percent(95.0), s(10.5));
        let windows = StepWindows::open(s(10.0), s(0.0));
        let early = soc_above_90(
            id,
            Window::WithinAfter {
                after: s(2.0),
                within: s(5.0),
            },
        );
        let f = Failure::TooEarly {
            at: s(10.5),
            observed: observed(&early, &store),
        };
        assert_eq!(
            failure(&early, &windows, &f),
            "expectation \"full\" failed (plan.yaml:12:7)\n  expected: bms.soc > 90 % within 5 s, not before 2 s, from t=10 s to t=15 s\n  observed: true too early, at t=10.5 s (0.5 s into the window): bms.soc = 95 % (since t=10.5 s)"
        );
        let never = soc_above_90(id, Window::Never(s(600.0)));
        let f = Failure::BecameTrue {
            at: s(10.5),
            observed: observed(&never, &store),
        };
        assert_eq!(
            failure(&never, &windows, &f),
            "expectation \"full\" failed (plan.yaml:12:7)\n  expected: never bms.soc > 90 % for 10 min, from t=10 s to t=610 s\n  observed: became true at t=10.5 s (0.5 s into the window): bms.soc = 95 % (since t=10.5 s)"
        );
    }

    #[test]
    fn windows_read_as_plans_write_them() {
        assert_eq!(window_text(Window::Within(s(1.5))), "within 1.5 s");
        assert_eq!(window_text(Window::For(s(3600.0))), "for 1 h");
        let two_ends = Window::WithinAfter {
            after: s(1.0),
            within: s(4.0),
        };
        assert_eq!(window_text(two_ends), "within 4 s after 1 s");
        assert_eq!(window_text(Window::Never(s(600.0))), "never for 10 min");
        assert_eq!(fmt_t(s(1.23456)), "t=1.235 s");
    }

    /// Only readings that arrived after the window opened judge it.
    #[test]
    fn a_reading_from_before_the_window_does_not_judge_it() {
        let (id, mut store) = soc();
        let e = soc_above_90(id, Window::For(s(10.0)));
        store.update(id, percent(95.0), s(1.0));
        let opened_at = store.arrivals();
        assert_eq!(Judgement::of(&e, &store, opened_at), None);
        store.update(id, percent(95.0), s(2.0));
        assert_eq!(Judgement::of(&e, &store, opened_at), Some(Judgement::True));
        store.update(id, percent(85.0), s(3.0));
        assert_eq!(Judgement::of(&e, &store, opened_at), Some(Judgement::False));
    }
}
