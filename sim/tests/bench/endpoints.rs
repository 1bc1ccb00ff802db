//! The bench's endpoint names.

use rig_sim::{EndpointKind, SimBench, SimError};

use crate::support::bench;

const ALL: [&str; 12] = [
    "source",
    "io",
    "can0",
    "chamber",
    "rs485",
    "chamber_f4",
    "chamber_espec",
    "daq970a",
    "numato",
    "load_dl3000",
    "load_bk8600",
    "rs232",
];

#[test]
fn the_bench_serves_every_instrument_family() {
    assert_eq!(SimBench::endpoints(), ALL);
}

#[test]
fn every_endpoint_is_reachable_from_a_bench_file() {
    for endpoint in ALL {
        let resource = format!("sim:{endpoint}");
        assert!(
            matches!(
                resource.parse::<rig_drivers::transport::Endpoint>(),
                Ok(rig_drivers::transport::Endpoint::Sim { .. })
            ),
            "{resource}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn every_byte_endpoint_opens() {
    let bench = bench(&[]);
    for endpoint in ALL.into_iter().filter(|e| *e != "can0") {
        assert!(bench.open(endpoint).is_ok(), "{endpoint}");
    }
}

#[tokio::test(start_paused = true)]
async fn unknown_and_misused_endpoints_are_errors() {
    let bench = bench(&[]);
    match bench.open("oven") {
        Err(SimError::UnknownEndpoint { name, known }) => {
            assert_eq!(name, "oven");
            assert_eq!(known, ALL);
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
