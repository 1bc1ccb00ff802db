//! Errors of the virtual bench.

/// Why the bench could not hand out an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("the virtual bench has no endpoint `{name}` (it serves: {})", known.join(", "))]
    UnknownEndpoint { name: String, known: Vec<String> },
    #[error("endpoint `{name}` of the virtual bench is a {actual}, not a {requested}")]
    WrongEndpointKind {
        name: String,
        requested: EndpointKind,
        actual: EndpointKind,
    },
    #[error("the virtual bench must be used inside a tokio runtime")]
    NoRuntime,
}

/// How an endpoint is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// A byte stream: [`crate::SimBench::open`].
    ByteStream,
    /// A CAN bus: [`crate::SimBench::can_port`].
    CanBus,
}

impl std::fmt::Display for EndpointKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EndpointKind::ByteStream => "byte stream",
            EndpointKind::CanBus => "CAN bus",
        })
    }
}
