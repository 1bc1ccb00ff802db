//! An in-memory CAN bus for the virtual bench: every port sees every frame sent by
//! the other ports, as on a real bus with several nodes.

use tokio::sync::broadcast;

use super::frame::CanFrame;

/// Frames a slow port may fall behind before it starts losing them.
const BUS_CAPACITY: usize = 4096;

/// The bus itself; hand out one [`MemoryCanPort`] per node.
#[derive(Clone, Debug)]
pub struct MemoryCanBus {
    tx: broadcast::Sender<(u32, CanFrame)>,
    next_node: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

impl Default for MemoryCanBus {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryCanBus {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(BUS_CAPACITY);
        Self {
            tx,
            next_node: Default::default(),
        }
    }

    /// Attach a new node. It receives frames sent after this call by other nodes.
    pub fn port(&self) -> MemoryCanPort {
        let node = self
            .next_node
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        MemoryCanPort {
            node,
            tx: self.tx.clone(),
            rx: self.tx.subscribe(),
            dropped: 0,
        }
    }
}

/// Errors of the in-memory bus.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemoryBusError {
    #[error("the CAN bus was shut down")]
    Closed,
}

/// The sending half of a [`MemoryCanPort`]; frames carry the port's node, so the port
/// does not receive them back.
#[derive(Clone, Debug)]
pub struct MemoryCanSender {
    node: u32,
    tx: broadcast::Sender<(u32, CanFrame)>,
}

impl MemoryCanSender {
    /// Put a frame on the bus, as [`MemoryCanPort::send`].
    pub fn send(&self, frame: CanFrame) {
        let _ = self.tx.send((self.node, frame));
    }
}

/// One node on a [`MemoryCanBus`].
#[derive(Debug)]
pub struct MemoryCanPort {
    node: u32,
    tx: broadcast::Sender<(u32, CanFrame)>,
    rx: broadcast::Receiver<(u32, CanFrame)>,
    dropped: u64,
}

impl MemoryCanPort {
    /// Put a frame on the bus. With no other node listening the frame is lost, as on
    /// a real bus without an acknowledging node.
    pub fn send(&self, frame: CanFrame) {
        let _ = self.tx.send((self.node, frame));
    }

    /// A sending handle for tasks that run beside the receiver (the keep-alive).
    pub fn sender(&self) -> MemoryCanSender {
        MemoryCanSender {
            node: self.node,
            tx: self.tx.clone(),
        }
    }

    /// The next frame sent by another node.
    pub async fn recv(&mut self) -> Result<CanFrame, MemoryBusError> {
        loop {
            match self.rx.recv().await {
                Ok((from, frame)) if from != self.node => return Ok(frame),
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(n)) => self.dropped += n,
                Err(broadcast::error::RecvError::Closed) => return Err(MemoryBusError::Closed),
            }
        }
    }

    /// Frames this port lost because it fell more than the bus capacity behind.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn other_nodes_receive_and_the_sender_does_not() {
        let bus = MemoryCanBus::new();
        let mut a = bus.port();
        let mut b = bus.port();
        let frame = CanFrame::standard(0x305, &[0; 8]).unwrap();
        a.send(frame.clone());
        b.send(CanFrame::standard(0x351, &[1]).unwrap());
        assert_eq!(b.recv().await.unwrap(), frame);
        assert_eq!(
            a.recv().await.unwrap().id(),
            super::super::CanId::Standard(0x351)
        );
    }
}
