//! The reset button on the front panel (manual 3.3.3 E):
//!
//! > Used to sleep(3s)/awake(3s)/reset(6~10s) BMS in power on mode.
//!
//! The firmware measures how long the button was held when it is let go: 3 s up to 6 s
//! toggles sleep, 6 s to 10 s resets the BMS, anything shorter or longer does nothing.

use crate::clock::{Duration, Instant};

/// The press windows in force, from the DUT profile.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PressWindows {
    /// Manual 3.3.3 E "sleep(3s)/awake(3s)".
    pub(crate) sleep_wake_min: Duration,
    /// Manual 3.3.3 E "reset(6~10s)": lower bound.
    pub(crate) reset_min: Duration,
    /// Manual 3.3.3 E "reset(6~10s)": upper bound.
    pub(crate) reset_max: Duration,
}

/// What a completed press asks the firmware to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Press {
    Ignored,
    SleepWake,
    Reset,
}

#[derive(Clone, Debug)]
pub(crate) struct ResetButton {
    windows: PressWindows,
    pressed_since: Option<Instant>,
}

impl ResetButton {
    pub(crate) fn new(windows: PressWindows) -> Self {
        Self {
            windows,
            pressed_since: None,
        }
    }

    pub(crate) fn press(&mut self, now: Instant) {
        self.pressed_since.get_or_insert(now);
    }

    /// The button was let go at `now`: classify the press.
    pub(crate) fn release(&mut self, now: Instant) -> Press {
        match self.pressed_since.take() {
            Some(since) => self.classify(now.saturating_duration_since(since)),
            None => Press::Ignored,
        }
    }

    fn classify(&self, held: Duration) -> Press {
        let w = &self.windows;
        if held >= w.reset_min && held <= w.reset_max {
            Press::Reset
        } else if held >= w.sleep_wake_min && held < w.reset_min {
            Press::SleepWake
        } else {
            Press::Ignored
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn button() -> ResetButton {
        ResetButton::new(PressWindows {
            sleep_wake_min: Duration::from_secs(3),
            reset_min: Duration::from_secs(6),
            reset_max: Duration::from_secs(10),
        })
    }

    fn held(seconds: f64) -> Press {
        let mut b = button();
        let t0 = Instant::now();
        b.press(t0);
        b.release(t0 + Duration::from_secs_f64(seconds))
    }

    #[test]
    fn press_durations_follow_manual_3_3_3_e() {
        assert_eq!(held(0.5), Press::Ignored);
        assert_eq!(held(2.999), Press::Ignored);
        assert_eq!(held(3.0), Press::SleepWake);
        assert_eq!(held(4.0), Press::SleepWake);
        assert_eq!(held(5.999), Press::SleepWake);
        assert_eq!(held(6.0), Press::Reset);
        assert_eq!(held(8.0), Press::Reset);
        assert_eq!(held(10.0), Press::Reset);
        assert_eq!(held(10.001), Press::Ignored);
        assert_eq!(held(60.0), Press::Ignored);
    }

    #[test]
    fn a_release_without_a_press_does_nothing() {
        assert_eq!(button().release(Instant::now()), Press::Ignored);
    }

    #[test]
    fn a_second_press_while_held_keeps_the_first_start() {
        let mut b = button();
        let t0 = Instant::now();
        b.press(t0);
        b.press(t0 + Duration::from_secs(5));
        assert_eq!(b.release(t0 + Duration::from_secs(8)), Press::Reset);
    }
}
