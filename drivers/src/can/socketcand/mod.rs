//! The socketcand client (protocols.md §3.1): CAN frames over one TCP connection,
//! in raw mode.
//!
//! The codec tokenises the byte stream on `<`…`>` (never on reads, the pitfall of
//! python-can's handshake) and parses each element; the client runs the handshake
//! (`< hi >`, `< open BUS >`, `< ok >`, `< rawmode >`, `< ok >`) and then sends and
//! receives frames. The main type is [`SocketcandPort`].

mod client;
mod codec;

pub use client::{DEFAULT_SOCKETCAND_PORT, SocketcandError, SocketcandPort, SocketcandSender};
pub use codec::{
    BadElement, Element, MAX_ELEMENT_LEN, SocketcandCodec, parse_element, render_send,
};
