//! A changed piece of wire traffic as an edit of an earlier piece: an RS485 analog
//! answer differs from the last answer to the same poll in a few hex digits (a cell's
//! millivolts, the checksum), and is a hundred and fifty characters logged whole. The
//! edit replaces characters (text) or bytes (binary) at given offsets and never changes
//! the length, so it applies only to a base of the same length.
//!
//! Hand-written rather than a diff crate's: a same-length substitution is all the wire
//! needs, and the log's `diff` event must stay a short, readable JSON array.

use crate::wire::Payload;

/// One replacement: from `offset` (characters of a text, bytes of binary), the text
/// (bytes as hex pairs without spaces) that goes there.
pub type Edit = Vec<(usize, String)>;

/// A gap this short between two changes is cheaper rewritten than started anew (a
/// replacement costs an offset, a comma, brackets and quotes).
const MERGE_GAP: usize = 4;

/// The shortest payloads worth an edit: a CAN frame's eight bytes (`05 14 ...`, 23
/// characters) gain nothing, and the hot path of a busy bus should not try.
pub const MIN_LEN: usize = 24;

/// The edit that turns `base` into `new`, and about how many bytes it takes in the
/// log; `None` when they differ in kind or length, or are not worth an edit.
pub fn edit(base: &Payload, new: &Payload) -> Option<(Edit, usize)> {
    match (base, new) {
        (Payload::Text(a), Payload::Text(b))
            if a.len() == b.len() && b.len() >= MIN_LEN && a.is_ascii() && b.is_ascii() =>
        {
            Some(spans(a.as_bytes(), b.as_bytes(), |s| {
                String::from_utf8_lossy(s).into_owned()
            }))
        }
        (Payload::Bytes(a), Payload::Bytes(b)) if a.len() == b.len() && b.len() * 3 >= MIN_LEN => {
            Some(spans(a, b, hex_pairs))
        }
        _ => None,
    }
}

/// About how many bytes the whole payload takes in the log.
pub fn whole_len(payload: &Payload) -> usize {
    match payload {
        Payload::Text(t) => t.len(),
        Payload::Bytes(b) => b.len() * 3,
        Payload::Empty => 0,
    }
}

/// The runs of differing positions (merged across short gaps), rendered by `render`.
fn spans(a: &[u8], b: &[u8], render: impl Fn(&[u8]) -> String) -> (Edit, usize) {
    let mut edit = Edit::new();
    let mut cost = 2;
    let mut i = 0;
    while i < b.len() {
        if a[i] == b[i] {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1;
        let mut j = end;
        while j < b.len() && j - end <= MERGE_GAP {
            if a[j] != b[j] {
                end = j + 1;
            }
            j += 1;
        }
        let text = render(&b[start..end]);
        cost += text.len() + digits(start) + 6;
        edit.push((start, text));
        i = end;
    }
    (edit, cost)
}

fn digits(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

fn hex_pairs(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// `base` with `edit` applied; `None` when the edit does not fit it (a corrupt log).
pub fn apply(base: &Payload, edit: &Edit) -> Option<Payload> {
    match base {
        Payload::Text(t) => {
            let mut out = t.clone().into_bytes();
            for (offset, text) in edit {
                splice(&mut out, *offset, text.as_bytes())?;
            }
            String::from_utf8(out).ok().map(Payload::Text)
        }
        Payload::Bytes(b) => {
            let mut out = b.clone();
            for (offset, text) in edit {
                splice(&mut out, *offset, &parse_pairs(text)?)?;
            }
            Some(Payload::Bytes(out))
        }
        Payload::Empty => None,
    }
}

fn splice(out: &mut [u8], offset: usize, with: &[u8]) -> Option<()> {
    let end = offset.checked_add(with.len())?;
    out.get_mut(offset..end)?.copy_from_slice(with);
    Some(())
}

fn parse_pairs(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "~20024600B07E1102100D6B0D6B0D6B0D6B0D6B0D6B0D6B0D6B0D6B0D6B0D6B0D6B0D6B0D6B0D6B0D6B050BA50BA50BA50BA50BA503E8D6B4FFFF04FFFF000000C3500186A0E113";
    const B: &str = "~20024600B07E1102100D6C0D6C0D6C0D6C0D6B0D6B0D6C0D6B0D6B0D6B0D6C0D6C0D6B0D6C0D6C0D6C050BA50BA50BA50BA50BA503E8D6B9FFFF04FFFF000000C7380186A0E0FA";

    fn text(s: &str) -> Payload {
        Payload::Text(s.into())
    }

    #[test]
    fn an_analog_answer_is_a_short_edit_of_the_last_one_and_applies_back() {
        let (e, cost) = edit(&text(A), &text(B)).unwrap();
        assert!(cost < B.len() * 3 / 4, "{cost}: {e:?}");
        assert_eq!(apply(&text(A), &e), Some(text(B)));
        assert_eq!(e.first(), Some(&(22, "C0D6C0D6C0D6C".to_string())));
    }

    #[test]
    fn binary_payloads_edit_by_byte_in_hex() {
        let a = Payload::Bytes((0..12).collect());
        let mut b = (0..12).collect::<Vec<u8>>();
        b[3] = 0xAB;
        b[11] = 0x01;
        let b = Payload::Bytes(b);
        let (e, _) = edit(&a, &b).unwrap();
        assert_eq!(e, [(3, "AB".to_string()), (11, "01".to_string())]);
        assert_eq!(apply(&a, &e), Some(b));
    }

    #[test]
    fn other_lengths_kinds_and_short_pieces_are_logged_whole() {
        assert!(edit(&text(A), &text(&B[1..])).is_none());
        assert!(edit(&text("05 14"), &text("05 15")).is_none());
        assert!(edit(&text(A), &Payload::Bytes(A.as_bytes().to_vec())).is_none());
    }

    #[test]
    fn an_edit_that_does_not_fit_its_base_is_refused_not_a_panic() {
        assert_eq!(apply(&text("abc"), &vec![(2, "xy".into())]), None);
        assert_eq!(apply(&text("abc"), &vec![(usize::MAX, "x".into())]), None);
        let bytes = Payload::Bytes(vec![1, 2]);
        assert_eq!(apply(&bytes, &vec![(0, "zz".into())]), None);
        assert_eq!(apply(&bytes, &vec![(0, "1".into())]), None);
        assert_eq!(apply(&Payload::Empty, &vec![]), None);
        // A multi-byte character cut in half is not text any more.
        assert_eq!(apply(&text("é"), &vec![(0, "x".into())]), None);
    }
}
