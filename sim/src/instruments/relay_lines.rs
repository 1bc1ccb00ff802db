//! The bench's eight relay lines (relay line 1 across the reset button, 2 on the
//! rapid-shutdown input, ...) and which relay instrument drives each of them.
//!
//! Three front ends can switch the same lines: the Waveshare board (coils 0-7), the
//! DAQ970A (actuator channels 101-108) and the Numato module (relays 0-7). A real bench
//! has one of them wired; the virtual bench has all three, so it decides: **the last
//! instrument to switch a line drives it** (last write wins). The board drives every
//! line until another front end takes it, and takes a line back by writing its coil
//! (or its control mode). A DAQ970A or Numato connection takes all eight lines with its
//! own contacts when it opens, as plugging that instrument into the bench would: the
//! board's factory linkage mode then no longer holds the reset button.

use super::RelayBoard;

/// Relay lines 1-8 (0-based here).
pub(crate) const LINES: usize = 8;

#[derive(Clone, Debug, Default)]
pub(crate) struct RelayLines {
    /// `Some(closed)`: another front end drives the line; `None`: the board does.
    driven: [Option<bool>; LINES],
}

impl RelayLines {
    /// Line `line` as the wiring sees it.
    pub(crate) fn closed(&self, line: usize, board: &RelayBoard) -> bool {
        match self.driven.get(line) {
            Some(Some(closed)) => *closed,
            _ => board.relay_closed(line),
        }
    }

    /// A front end other than the board switched `line`.
    pub(crate) fn drive(&mut self, line: usize, closed: bool) {
        if let Some(driven) = self.driven.get_mut(line) {
            *driven = Some(closed);
        }
    }

    /// The board wrote `line`: it drives it again.
    pub(crate) fn give_back(&mut self, line: usize) {
        if let Some(driven) = self.driven.get_mut(line) {
            *driven = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_writer_drives_a_line() {
        let mut board = RelayBoard::factory();
        board.set_input(0, true);
        let mut lines = RelayLines::default();
        assert!(lines.closed(0, &board), "the board's linkage mode holds it");
        lines.drive(0, false);
        assert!(!lines.closed(0, &board));
        assert!(!lines.closed(1, &board));
        lines.give_back(0);
        assert!(lines.closed(0, &board));
        lines.drive(LINES, true);
        lines.give_back(LINES);
        assert!(!lines.closed(LINES, &board), "beyond the lines: open");
    }
}
