//! The bench's endpoint names.

use rig_sim::{EndpointKind, SimBench, SimError};

use crate::support::bench;

#[test]
fn the_bench_serves_source_io_can0_chamber_and_rs485() {
    assert_eq!(
        SimBench::endpoints(),
        ["source", "io", "can0", "chamber", "rs485"]
    );
}

#[tokio::test(start_paused = true)]
async fn unknown_and_misused_endpoints_are_errors() {
    let bench = bench(&[]);
    match bench.open("oven") {
        Err(SimError::UnknownEndpoint { name, known }) => {
            assert_eq!(name, "oven");
            assert_eq!(known, ["source", "io", "can0", "chamber", "rs485"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        bench.open("can0"),
        Err(SimError::WrongEndpointKind {
            actual: EndpointKind::CanBus,
            ..
        })
    ));
    assert!(matches!(
        bench.can_port("source"),
        Err(SimError::WrongEndpointKind { .. })
    ));
    assert!(bench.can_port("can1").is_err());
}

#[test]
fn the_bench_can_be_shared_across_tasks() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<SimBench>();
}
