//! Expectations and channels for the executor's unit tests, bound as plan loading binds them.

use crate::expr::bound::BoundKind;
use crate::expr::{BinOp, BoundExpr, ChannelId, Type, Value};
use crate::plan::{Expectation, Location, Window};
use crate::quantity::{Dim, Quantity};

fn at_line_12() -> Location {
    Location {
        file: "plan.yaml".into(),
        line: 12,
        column: 7,
    }
}

/// `full`: `bms.soc > 90 %` over `window` (the channel `id` named `bms.soc`), written at
/// plan.yaml:12:7.
pub fn soc_above_90(id: ChannelId, window: Window) -> Expectation {
    let channel = BoundExpr {
        kind: BoundKind::Channel {
            id,
            name: "bms.soc".into(),
        },
        ty: Type::Num(Dim::Percent),
    };
    let ninety = BoundExpr {
        kind: BoundKind::Const(Value::Num(Quantity::new(90.0, Dim::Percent))),
        ty: Type::Num(Dim::Percent),
    };
    Expectation {
        name: "full".into(),
        text: "bms.soc > 90 %".into(),
        predicate: BoundExpr {
            kind: BoundKind::Binary(BinOp::Gt, channel.into(), ninety.into()),
            ty: Type::Bool,
        },
        window,
        location: at_line_12(),
    }
}

/// A true/false channel `name` that must be true within 10 s.
pub fn is_true(id: ChannelId, name: &str) -> Expectation {
    Expectation {
        name: name.into(),
        text: name.into(),
        predicate: BoundExpr {
            kind: BoundKind::Channel {
                id,
                name: name.into(),
            },
            ty: Type::Bool,
        },
        window: Window::Within(std::time::Duration::from_secs(10)),
        location: at_line_12(),
    }
}

pub fn percent(v: f64) -> Value {
    Value::Num(Quantity::new(v, Dim::Percent))
}

/// Seconds as a moment or a length of the run, for short test lines.
pub fn s(seconds: f64) -> std::time::Duration {
    std::time::Duration::from_secs_f64(seconds)
}

/// The built-in virtual bench's channels for three packs, and a store for them.
pub fn bench() -> (crate::bench::Channels, crate::runner::store::Store) {
    let channels = crate::bench::Channels::of(&crate::bench::Bench::builtin_sim(), 3);
    let store = crate::runner::store::Store::new(&channels);
    (channels, store)
}

/// The id of the channel `name`; panics if the bench has none.
pub fn id(channels: &crate::bench::Channels, name: &str) -> ChannelId {
    channels.find(name).unwrap_or_else(|| panic!("{name}")).0
}
