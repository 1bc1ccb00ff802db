//! Request PDUs to `tokio_modbus::Request` and `Response`s back to PDUs.
//!
//! Decoding is done here rather than with tokio-modbus's `Request::try_from(Bytes)`,
//! which panics on some malformed frames (FC0F with fewer data bytes than its quantity
//! needs, FC10/FC17 quantities whose double overflows `u16`). Anything that is not a
//! well-formed standard request becomes `Request::Custom(function, data)` and the
//! service decides: the Waveshare toggle value 0x5500 of FC05 arrives that way.

use std::borrow::Cow;

use tokio_modbus::{ExceptionCode, Request, Response};

fn word(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]))
}

/// Two words and nothing else: the fixed-length requests FC01-FC06.
fn two_words(data: &[u8]) -> Option<(u16, u16)> {
    (data.len() == 4).then_some(())?;
    Some((word(data, 0)?, word(data, 2)?))
}

fn decode_known(function: u8, data: &[u8]) -> Option<Request<'static>> {
    Some(match function {
        0x01 => two_words(data).map(|(a, n)| Request::ReadCoils(a, n))?,
        0x02 => two_words(data).map(|(a, n)| Request::ReadDiscreteInputs(a, n))?,
        0x03 => two_words(data).map(|(a, n)| Request::ReadHoldingRegisters(a, n))?,
        0x04 => two_words(data).map(|(a, n)| Request::ReadInputRegisters(a, n))?,
        0x05 => match two_words(data)? {
            (address, 0xFF00) => Request::WriteSingleCoil(address, true),
            (address, 0x0000) => Request::WriteSingleCoil(address, false),
            _ => return None,
        },
        0x06 => two_words(data).map(|(a, v)| Request::WriteSingleRegister(a, v))?,
        0x0F => {
            let (address, quantity) = (word(data, 0)?, word(data, 2)?);
            let byte_count = usize::from(*data.get(4)?);
            let packed = data.get(5..)?;
            // Modbus application protocol 6.11: quantity 1..=0x7B0, N = ceil(quantity / 8).
            let valid = (1..=0x07B0).contains(&quantity)
                && byte_count == usize::from(quantity).div_ceil(8)
                && packed.len() == byte_count;
            valid.then_some(())?;
            let coils = (0..usize::from(quantity))
                .map(|i| packed[i / 8] >> (i % 8) & 1 == 1)
                .collect::<Vec<_>>();
            Request::WriteMultipleCoils(address, Cow::Owned(coils))
        }
        0x10 => {
            let (address, quantity) = (word(data, 0)?, word(data, 2)?);
            let byte_count = usize::from(*data.get(4)?);
            let values = data.get(5..)?;
            // Modbus application protocol 6.12: quantity 1..=0x7B, N = 2 * quantity.
            let valid = (1..=0x7B).contains(&quantity)
                && byte_count == 2 * usize::from(quantity)
                && values.len() == byte_count;
            valid.then_some(())?;
            let words = values
                .chunks_exact(2)
                .map(|w| u16::from_be_bytes([w[0], w[1]]))
                .collect::<Vec<_>>();
            Request::WriteMultipleRegisters(address, Cow::Owned(words))
        }
        _ => return None,
    })
}

/// A request PDU (function code and data) as a `Request`; never fails.
pub(crate) fn decode_request(pdu: &[u8]) -> Request<'static> {
    let Some((&function, data)) = pdu.split_first() else {
        return Request::Custom(0, Cow::Owned(Vec::new()));
    };
    decode_known(function, data).unwrap_or_else(|| Request::Custom(function, data.to_vec().into()))
}

fn pack_bits(bits: &[bool]) -> Vec<u8> {
    let mut packed = vec![0u8; bits.len().div_ceil(8)];
    for (i, _) in bits.iter().enumerate().filter(|(_, on)| **on) {
        packed[i / 8] |= 1 << (i % 8);
    }
    packed
}

fn with_byte_count(function: u8, payload: Vec<u8>) -> Vec<u8> {
    match u8::try_from(payload.len()) {
        Ok(count) => [vec![function, count], payload].concat(),
        Err(_) => encode_exception(function, ExceptionCode::ServerDeviceFailure),
    }
}

fn echo(function: u8, first: u16, second: u16) -> Vec<u8> {
    let [a, b] = first.to_be_bytes();
    let [c, d] = second.to_be_bytes();
    vec![function, a, b, c, d]
}

fn registers(words: &[u16]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// A response PDU. Responses this server never produces become exception 04.
pub(crate) fn encode_response(response: &Response) -> Vec<u8> {
    match response {
        Response::ReadCoils(bits) => with_byte_count(0x01, pack_bits(bits)),
        Response::ReadDiscreteInputs(bits) => with_byte_count(0x02, pack_bits(bits)),
        Response::ReadHoldingRegisters(words) => with_byte_count(0x03, registers(words)),
        Response::ReadInputRegisters(words) => with_byte_count(0x04, registers(words)),
        Response::WriteSingleCoil(address, on) => {
            echo(0x05, *address, if *on { 0xFF00 } else { 0x0000 })
        }
        Response::WriteSingleRegister(address, value) => echo(0x06, *address, *value),
        Response::WriteMultipleCoils(address, quantity) => echo(0x0F, *address, *quantity),
        Response::WriteMultipleRegisters(address, quantity) => echo(0x10, *address, *quantity),
        Response::Custom(function, data) => [&[*function], data.as_ref()].concat(),
        other => encode_exception(
            other.function_code().value(),
            ExceptionCode::ServerDeviceFailure,
        ),
    }
}

/// An exception response PDU: function code with bit 7 set, exception code.
pub(crate) fn encode_exception(function: u8, exception: ExceptionCode) -> Vec<u8> {
    vec![function | 0x80, u8::from(exception)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_standard_requests() {
        assert_eq!(
            decode_request(&[0x01, 0x00, 0x00, 0x00, 0x08]),
            Request::ReadCoils(0, 8)
        );
        assert_eq!(
            decode_request(&[0x05, 0x00, 0xFF, 0xFF, 0x00]),
            Request::WriteSingleCoil(0xFF, true)
        );
        assert_eq!(
            decode_request(&[0x06, 0x10, 0x00, 0x00, 0x00]),
            Request::WriteSingleRegister(0x1000, 0)
        );
        // FC0F: coils 0..=9, byte count 2, 0b1100_0101, 0b0000_0010.
        assert_eq!(
            decode_request(&[0x0F, 0x00, 0x00, 0x00, 0x0A, 0x02, 0xC5, 0x02]),
            Request::WriteMultipleCoils(
                0,
                Cow::Owned(vec![
                    true, false, true, false, false, false, true, true, false, true
                ])
            )
        );
        assert_eq!(
            decode_request(&[0x10, 0x10, 0x00, 0x00, 0x02, 0x04, 0x00, 0x00, 0x00, 0x01]),
            Request::WriteMultipleRegisters(0x1000, Cow::Owned(vec![0, 1]))
        );
    }

    #[test]
    fn the_toggle_value_and_malformed_requests_become_custom() {
        assert_eq!(
            decode_request(&[0x05, 0x00, 0x00, 0x55, 0x00]),
            Request::Custom(0x05, Cow::Owned(vec![0x00, 0x00, 0x55, 0x00]))
        );
        // FC0F claiming 100 coils in one byte: tokio-modbus's decoder would index out of bounds.
        assert!(matches!(
            decode_request(&[0x0F, 0x00, 0x00, 0x00, 0x64, 0x01, 0xFF]),
            Request::Custom(0x0F, _)
        ));
        // FC10 with a quantity whose double overflows u16.
        assert!(matches!(
            decode_request(&[0x10, 0x00, 0x00, 0x80, 0x00, 0x00]),
            Request::Custom(0x10, _)
        ));
        assert!(matches!(
            decode_request(&[0x03, 0x00]),
            Request::Custom(0x03, _)
        ));
        assert!(matches!(
            decode_request(&[0x2B, 0x0E]),
            Request::Custom(0x2B, _)
        ));
        assert!(matches!(decode_request(&[]), Request::Custom(0, _)));
    }

    #[test]
    fn encodes_responses_and_exceptions() {
        let mut coils = vec![false; 8];
        coils[0] = true;
        coils[7] = true;
        assert_eq!(
            encode_response(&Response::ReadCoils(coils)),
            [0x01, 0x01, 0x81]
        );
        assert_eq!(
            encode_response(&Response::ReadHoldingRegisters(vec![0x0100])),
            [0x03, 0x02, 0x01, 0x00]
        );
        assert_eq!(
            encode_response(&Response::WriteSingleCoil(0, true)),
            [0x05, 0x00, 0x00, 0xFF, 0x00]
        );
        assert_eq!(
            encode_exception(0x04, ExceptionCode::IllegalFunction),
            [0x84, 0x01]
        );
        assert_eq!(
            encode_response(&Response::ReportServerId(1, true, vec![])),
            [0x91, 0x04]
        );
    }

    #[test]
    fn random_pdus_never_panic_through_the_board() {
        let mut board = crate::instruments::RelayBoard::factory();
        let mut bytes = crate::test_bytes::Bytes::new(11);
        let codes: &[u8] = &[
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0F, 0x10, 0x17, 0x2B, 0x80,
        ];
        for i in 0..20_000 {
            let mut pdu = bytes.string(12, None);
            if let Some(first) = pdu.first_mut() {
                *first = codes[i % codes.len()];
            }
            let request = decode_request(&pdu);
            let function = pdu.first().copied().unwrap_or(0);
            let _ = match board.handle(&request) {
                Ok(response) => encode_response(&response),
                Err(exception) => encode_exception(function, exception),
            };
        }
    }
}
