//! Instruments and buses for `rig`: transports, the SCPI source/sink, the Modbus relay
//! and digital-input board, CAN with DBC decoding.
//!
//! Every driver talks bytes over a transport and never knows whether the far end is a
//! real instrument or the virtual bench's simulation of one.

pub mod can;
