use super::*;

fn way(sent: bool) -> Way {
    if sent { Way::Sent } else { Way::Received }
}

fn text(sent: bool, s: &str) -> Piece {
    Piece {
        way: way(sent),
        payload: Payload::Text(s.into()),
    }
}

fn bytes(sent: bool, b: &[u8]) -> Piece {
    Piece {
        way: way(sent),
        payload: Payload::Bytes(b.to_vec()),
    }
}

fn frame(id: &str, data: &str) -> Piece {
    Piece {
        way: Way::Frame(id.into()),
        payload: Payload::Text(data.into()),
    }
}

/// Write `pieces` through a compactor (draining at the end) and read them back.
/// The pieces as a reader gives them back.
fn owned(pieces: &[(&str, Piece)]) -> Vec<(String, Piece)> {
    (pieces.iter())
        .map(|(i, p)| (i.to_string(), p.clone()))
        .collect()
}

fn round_trip(pieces: &[(&str, Piece)]) -> (Vec<Event>, Vec<(String, Piece)>) {
    let mut c = Compactor::default();
    let mut log = Vec::new();
    for (i, (instrument, p)) in pieces.iter().enumerate() {
        log.extend(c.piece(instrument, i as f64, p.clone()));
    }
    log.extend(c.drain());
    let events: Vec<Event> = (log.into_iter())
        .map(|l| Event {
            after: l.after,
            ..Event::new(0, l.t, l.kind)
        })
        .collect();
    let mut x = Expander::default();
    let mut back = Vec::new();
    for e in &events {
        let (instrument, _) = line_of(&e.kind).unwrap();
        let instrument = instrument.to_string();
        back.extend(x.expand(e).into_iter().map(|p| (instrument.clone(), p)));
    }
    (events, back)
}

fn by_instrument(pieces: &[(String, Piece)], name: &str) -> Vec<Piece> {
    pieces
        .iter()
        .filter(|(i, _)| i == name)
        .map(|(_, p)| p.clone())
        .collect()
}

#[test]
fn unanswered_polls_become_one_event_and_read_back_whole() {
    let poll = text(true, "~20024642E00202FD33");
    let pieces: Vec<_> = (0..1000).map(|_| ("rs485", poll.clone())).collect();
    let (events, back) = round_trip(&pieces);
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(matches!(
        events[2].kind,
        EventKind::Repeated {
            period: 1,
            count: 998,
            ..
        }
    ));
    assert_eq!(back.len(), 1000);
    assert!(back.iter().all(|(i, p)| i == "rs485" && *p == poll));
}

#[test]
fn what_changes_is_logged_in_full_and_the_order_on_each_line_survives() {
    let mut pieces = Vec::new();
    for i in 0..50 {
        let volts = if i < 20 { "51.84" } else { "51.90" };
        for (q, a) in [("MEAS:VOLT?", volts), ("OUTP?", "1"), ("SYST:ERR?", "0")] {
            pieces.push(("source", text(true, q)));
            pieces.push(("source", text(false, a)));
            pieces.push(("io", bytes(true, &[1, 1, 0, 0, 0, 8, 0x3D, 0xCC])));
        }
    }
    let (events, back) = round_trip(&pieces);
    assert!(events.len() < 40, "{} events", events.len());
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Received { text: Some(t), .. } if t == "51.90")),
        "the new voltage is logged in full"
    );
    let original = owned(&pieces);
    for name in ["source", "io"] {
        assert_eq!(
            by_instrument(&back, name),
            by_instrument(&original, name),
            "{name}"
        );
    }
}

#[test]
fn modbus_tcp_polls_repeat_though_their_transaction_ids_count_on() {
    let mut pieces = Vec::new();
    for tid in 0xFFF0u16..=0xFFFF {
        for tid in [tid, tid.wrapping_add(0x10)] {
            let [hi, lo] = tid.to_be_bytes();
            pieces.push((
                "chamber",
                bytes(true, &[hi, lo, 0, 0, 0, 6, 1, 3, 0x0B, 4, 0, 2]),
            ));
            pieces.push((
                "chamber",
                bytes(false, &[hi, lo, 0, 0, 0, 7, 1, 3, 4, 0, 0, 0x41, 0xC8]),
            ));
        }
    }
    let (events, back) = round_trip(&pieces);
    assert!(events.len() < 10, "{events:?}");
    assert_eq!(back, owned(&pieces));
}

#[test]
fn a_repeat_broken_after_one_piece_still_reads_back_in_order() {
    // The set point acknowledgements: `SYST:ERR?` and `0` recur between commands.
    let mut pieces = Vec::new();
    for cmd in [
        "SOUR:VOLT 54",
        "SOUR:CURR:LIM:POS 50",
        "SOUR:CURR:LIM:NEG 50",
        "OUTP ON",
    ] {
        pieces.push(("source", text(true, cmd)));
        pieces.push(("source", text(true, "SYST:ERR?")));
        pieces.push(("source", text(false, "0,\"No error\"")));
    }
    let (_, back) = round_trip(&pieces);
    assert_eq!(back, owned(&pieces));
}

#[test]
fn a_poll_cycle_longer_than_its_first_pieces_compacts_whole() {
    // Four polls every quarter second and a fifth every second: a cycle of 18.
    let mut pieces = Vec::new();
    for i in 0..400 {
        pieces.push(("io", text(true, "coils?")));
        pieces.push(("io", text(false, "00")));
        pieces.push(("io", text(true, "inputs?")));
        pieces.push(("io", text(false, "37")));
        if i % 4 == 0 {
            pieces.push(("io", text(true, "relays?")));
            pieces.push(("io", text(false, "01")));
        }
    }
    let (events, back) = round_trip(&pieces);
    assert!(events.len() < 30, "{events:?}");
    assert_eq!(back, owned(&pieces));
}

#[test]
fn a_toggling_input_costs_one_event_a_toggle() {
    // An LED read every poll: lit for 10 polls of every 40, 20 toggles in all.
    let mut pieces = Vec::new();
    for i in 0..400 {
        let lit = if i % 40 < 10 { "37" } else { "33" };
        pieces.push(("io", text(true, "coils?")));
        pieces.push(("io", text(false, "00")));
        pieces.push(("io", text(true, "inputs?")));
        pieces.push(("io", text(false, lit)));
    }
    let (events, back) = round_trip(&pieces);
    // The first five pieces whole, then a line per toggle (19) carrying the polls
    // before it, and the last stretch.
    assert_eq!(events.len(), 5 + 19 + 1, "{events:?}");
    assert_eq!(back, owned(&pieces));
}

#[test]
fn each_can_id_repeats_on_its_own() {
    let mut pieces = Vec::new();
    for i in 0..300 {
        // The voltage frame changes every 50 frames; the others never.
        let volts = format!("{:02X} 14", i / 50);
        pieces.push(("bms", frame("0x356", &volts)));
        pieces.push(("bms", frame("0x351", "30 02 F4 01")));
        if i % 10 == 0 {
            pieces.push(("bms", frame("0x35E", "50 59 4C 4F 4E")));
        }
    }
    let (events, back) = round_trip(&pieces);
    assert!(events.len() < 40, "{} events: {events:?}", events.len());
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::CanFrame { data, .. } if data == "05 14")),
        "each new value is logged in full"
    );
    let original = owned(&pieces);
    for id in ["0x356", "0x351", "0x35E"] {
        let of = |v: &[(String, Piece)]| -> Vec<Piece> {
            v.iter()
                .filter(|(_, p)| p.way == Way::Frame(id.into()))
                .map(|(_, p)| p.clone())
                .collect()
        };
        assert_eq!(of(&back), of(&original), "{id}");
    }
}

#[test]
fn a_changed_answer_is_logged_as_an_edit_of_the_last_answer_to_its_poll() {
    let answer = |cell: u32| {
        format!("~20024600B07E110210{cell:04X}{cell:04X}{cell:04X}0BA50BA5000000C350E016")
    };
    let mut pieces = Vec::new();
    for i in 0..40u32 {
        pieces.push(("rs485", text(true, "~20024642E00202FD33")));
        pieces.push(("rs485", text(false, &answer(3300 + i % 7))));
        pieces.push(("rs485", text(true, "~20024644E00202FD31")));
        pieces.push(("rs485", text(false, "~20024600A04211021000000000F11C")));
    }
    let (events, back) = round_trip(&pieces);
    let diffs = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Diff { back: 4, .. }))
        .count();
    assert!(diffs >= 5, "{events:?}");
    assert_eq!(back, owned(&pieces));
}

#[test]
fn a_diff_without_its_base_or_that_does_not_fit_reads_as_nothing() {
    let mut x = Expander::default();
    let edit = vec![(0, "A".to_string())];
    assert_eq!(x.diff("rs485", None, 1, &edit), None);
    x.seen("rs485", &text(false, "abc"));
    assert_eq!(x.diff("rs485", None, 2, &edit), None);
    assert_eq!(x.diff("rs485", None, 0, &edit), None);
    assert_eq!(x.replay("rs485", None, 0), None);
    assert_eq!(x.diff("rs485", None, 1, &vec![(3, "A".into())]), None);
    assert_eq!(x.diff("rs485", None, 1, &edit), Some(text(false, "Abc")));
}

#[test]
fn hex_reads_back_as_written() {
    assert_eq!(hex(&[0x01, 0xAB, 0x0F]), "01 AB 0F");
    assert_eq!(hex(&[]), "");
    assert_eq!(parse_hex("01 AB 0F"), Some(vec![1, 0xAB, 0x0F]));
    assert_eq!(parse_hex("zz"), None);
}

#[test]
fn only_an_mbap_header_carries_a_transaction_id() {
    assert_eq!(transaction_id(&[0, 0xD4, 0, 0, 0, 2, 1, 3]), Some(0xD4));
    // Modbus RTU: a length that does not match.
    assert_eq!(transaction_id(&[1, 1, 0, 0, 0, 8, 0x3D, 0xCC]), None);
    assert_eq!(transaction_id(&[0, 1, 0, 0]), None);
}

/// Frames as a busy bus's ingest hands them over: counted with `repeat_frame` when they
/// repeat, else whole with `piece_on`.
fn by_line(c: &mut Compactor, instrument: &str, t: f64, piece: Piece) -> Vec<Logged> {
    let line = c.line(instrument, piece.line());
    let repeats = matches!((&piece.way, &piece.payload), (Way::Frame(_), Payload::Text(hex))
        if c.repeat_frame(line, t, hex));
    if repeats {
        return Vec::new();
    }
    c.piece_on(line, t, piece)
}

#[test]
fn frames_counted_by_line_log_what_whole_pieces_do() {
    // Two ids, one repeating its data, one cycling through three, one changing now
    // and then, and an instrument's own polls between them.
    let mut pieces = Vec::new();
    for i in 0..400u32 {
        pieces.push(("bms", frame("351", "1402C012C012C201")));
        pieces.push(("bms", frame("356", &format!("{:04X}0000", i % 3))));
        pieces.push(("bms", frame("355", &format!("{:04X}6400", i / 50))));
        if i % 7 == 0 {
            pieces.push(("bms", text(true, "poll")));
            pieces.push(("bms", text(false, &format!("answer {}", i / 100))));
        }
    }
    let (mut whole, mut lined) = (Compactor::default(), Compactor::default());
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (i, (instrument, p)) in pieces.iter().enumerate() {
        a.extend(whole.piece(instrument, i as f64, p.clone()));
        b.extend(by_line(&mut lined, instrument, i as f64, p.clone()));
        if i % 500 == 0 {
            a.extend(whole.drain());
            b.extend(lined.drain());
        }
    }
    a.extend(whole.drain());
    b.extend(lined.drain());
    assert!(
        a.len() < pieces.len() / 10,
        "the repeats were compacted: {}",
        a.len()
    );
    assert_eq!(a, b);
}

#[test]
fn a_frame_is_a_repeat_only_when_it_is_the_next_of_the_stretch() {
    let mut c = Compactor::default();
    let line = c.line("bms", "351");
    assert!(!c.repeat_frame(line, 0.0, "00"), "nothing before it");
    for t in 0..3 {
        let _ = c.piece_on(line, f64::from(t), frame("351", "00"));
    }
    assert!(c.repeat_frame(line, 3.0, "00"));
    assert!(!c.repeat_frame(line, 4.0, "01"), "other data");
    let other = c.line("bms", "356");
    assert_ne!(line, other);
    assert!(!c.repeat_frame(other, 4.0, "00"), "another id's line");
    let drained = c.drain();
    assert!(
        matches!(
            drained.as_slice(),
            [Logged { kind: EventKind::Repeated { count, .. }, .. }] if *count == 2
        ),
        "{drained:?}"
    );
}
