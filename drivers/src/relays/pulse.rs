//! A relay closed for a given time, on tokio's clock.

use std::time::Duration;

use super::Relays;

/// Closes `channel`, waits `length`, opens it again. The relay is opened even when
/// closing reported an error (a half-applied command must not leave a button pressed);
/// the first error is returned. If the future is dropped mid-pulse the relay stays
/// closed: the rig's teardown opens every relay (the board's safe state).
pub async fn pulse<R: Relays + Send>(
    relays: &mut R,
    channel: u16,
    length: Duration,
) -> Result<(), R::Error> {
    let closed = relays.set_relay(channel, true).await;
    if closed.is_ok() {
        tokio::time::sleep(length).await;
    }
    let opened = relays.set_relay(channel, false).await;
    closed.and(opened)
}

#[cfg(test)]
mod tests {
    use tokio::time::Instant;

    use super::*;

    #[derive(Default)]
    struct Recorder {
        events: Vec<(u16, bool, Duration)>,
        start: Option<Instant>,
        fail_close: bool,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("refused")]
    struct Refused;

    impl Relays for Recorder {
        type Error = Refused;
        async fn set_relay(&mut self, channel: u16, closed: bool) -> Result<(), Refused> {
            let start = *self.start.get_or_insert_with(Instant::now);
            self.events.push((channel, closed, start.elapsed()));
            if closed && self.fail_close {
                Err(Refused)
            } else {
                Ok(())
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_8_second_press() {
        let mut relays = Recorder::default();
        pulse(&mut relays, 3, Duration::from_secs(8)).await.unwrap();
        assert_eq!(
            relays.events,
            vec![
                (3, true, Duration::ZERO),
                (3, false, Duration::from_secs(8))
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_relay_is_opened_even_when_closing_failed() {
        let mut relays = Recorder {
            fail_close: true,
            ..Recorder::default()
        };
        assert!(pulse(&mut relays, 1, Duration::from_secs(8)).await.is_err());
        assert_eq!(relays.events.last(), Some(&(1, false, Duration::ZERO)));
    }
}
