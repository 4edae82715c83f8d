//! pkt-line framing (gitprotocol-common) and side-band multiplexing.

use std::cell::RefCell;
use std::io::{self, Read, Write};

use crate::ProtocolError;

/// Largest pkt-line: 4 length bytes plus 65,516 payload bytes.
pub const MAX_PKT_LEN: usize = 65520;
/// Largest payload of a data pkt-line.
pub const MAX_DATA_LEN: usize = MAX_PKT_LEN - 4;
/// Largest payload of a `side-band-64k` packet (one byte goes to the band number).
pub const MAX_SIDEBAND_64K_DATA: usize = MAX_DATA_LEN - 1;
/// Largest payload of a plain `side-band` packet (1000-byte packets).
pub const MAX_SIDEBAND_DATA: usize = 1000 - 5;

/// One packet read from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet<'a> {
    /// A data packet's payload.
    Data(&'a [u8]),
    /// `0000`.
    Flush,
    /// `0001` (protocol v2 section delimiter).
    Delim,
    /// `0002` (protocol v2 response end).
    ResponseEnd,
}

impl<'a> Packet<'a> {
    /// The payload as a text line: without one trailing `\n`.
    pub fn line(&self) -> Option<&'a [u8]> {
        match self {
            Packet::Data(d) => Some(d.strip_suffix(b"\n").unwrap_or(d)),
            _ => None,
        }
    }
}

/// Reads pkt-lines from a byte stream, never reading past the packet it returns, so the
/// stream can be handed on (to read a pack) right after a flush.
pub struct PktReader<R> {
    inner: R,
    buf: Vec<u8>,
}

impl<R: Read> PktReader<R> {
    /// Wrap a reader.
    pub fn new(inner: R) -> Self {
        PktReader {
            inner,
            buf: Vec::with_capacity(1024),
        }
    }

    /// The underlying reader, positioned right after the last packet returned.
    pub fn inner_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The underlying reader, positioned right after the last packet returned.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Read the next packet; `Ok(None)` on a clean end of input (between packets).
    pub fn read_packet(&mut self) -> Result<Option<Packet<'_>>, ProtocolError> {
        let mut header = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match self.inner.read(&mut header[got..]) {
                Ok(0) => {
                    if got == 0 {
                        return Ok(None);
                    }
                    return Err(ProtocolError::MalformedPktLine(
                        "input ends inside a pkt-line length".into(),
                    ));
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ProtocolError::Io(e)),
            }
        }
        let len = parse_len(&header)?;
        match len {
            0 => return Ok(Some(Packet::Flush)),
            1 => return Ok(Some(Packet::Delim)),
            2 => return Ok(Some(Packet::ResponseEnd)),
            3 => {
                return Err(ProtocolError::MalformedPktLine(
                    "invalid pkt-line length 0003".into(),
                ));
            }
            _ => {}
        }
        if len > MAX_PKT_LEN {
            return Err(ProtocolError::MalformedPktLine(format!(
                "pkt-line length {len} exceeds the maximum of {MAX_PKT_LEN}"
            )));
        }
        self.buf.resize(len - 4, 0);
        let mut filled = 0;
        while filled < self.buf.len() {
            match self.inner.read(&mut self.buf[filled..]) {
                Ok(0) => {
                    return Err(ProtocolError::MalformedPktLine(format!(
                        "input ends inside a pkt-line ({filled} of {} bytes)",
                        len - 4
                    )));
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ProtocolError::Io(e)),
            }
        }
        Ok(Some(Packet::Data(&self.buf)))
    }
}

fn parse_len(header: &[u8; 4]) -> Result<usize, ProtocolError> {
    let mut len = 0usize;
    for &c in header {
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => {
                return Err(ProtocolError::MalformedPktLine(format!(
                    "invalid pkt-line length {:?}",
                    String::from_utf8_lossy(header)
                )));
            }
        };
        len = (len << 4) | v as usize;
    }
    Ok(len)
}

/// Write one data packet.
pub fn write_data(out: &mut dyn Write, data: &[u8]) -> io::Result<()> {
    if data.len() > MAX_DATA_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "pkt-line payload too large",
        ));
    }
    out.write_all(format!("{:04x}", data.len() + 4).as_bytes())?;
    out.write_all(data)
}

/// Write a text line (a `\n` is appended).
pub fn write_line(out: &mut dyn Write, text: &str) -> io::Result<()> {
    let mut data = Vec::with_capacity(text.len() + 1);
    data.extend_from_slice(text.as_bytes());
    data.push(b'\n');
    write_data(out, &data)
}

/// Write `0000`.
pub fn write_flush(out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"0000")
}

/// Write `0001`.
pub fn write_delim(out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"0001")
}

/// Write an `ERR <message>` packet.
pub fn write_err(out: &mut dyn Write, message: &str) -> io::Result<()> {
    let mut text = format!("ERR {message}");
    text.truncate(MAX_DATA_LEN - 1);
    write_line(out, &text)
}

/// Write `data` on side-band `band`, in packets of at most `max` payload bytes.
pub fn write_band(out: &mut dyn Write, band: u8, data: &[u8], max: usize) -> io::Result<()> {
    for chunk in data.chunks(max.max(1)) {
        out.write_all(format!("{:04x}", chunk.len() + 5).as_bytes())?;
        out.write_all(&[band])?;
        out.write_all(chunk)?;
    }
    Ok(())
}

/// Shares one output between the pack (band 1) and progress (band 2) writers.
pub struct Multiplexer<'a> {
    out: RefCell<&'a mut dyn Write>,
    max: usize,
    error: RefCell<Option<io::Error>>,
}

impl<'a> Multiplexer<'a> {
    /// Multiplex onto `out` with packets of at most `max` payload bytes.
    pub fn new(out: &'a mut dyn Write, max: usize) -> Self {
        Multiplexer {
            out: RefCell::new(out),
            max,
            error: RefCell::new(None),
        }
    }

    /// Write raw bytes (already framed) to the output.
    pub fn raw(&self, data: &[u8]) -> io::Result<()> {
        self.out.borrow_mut().write_all(data)
    }

    /// Write on a band.
    pub fn band(&self, band: u8, data: &[u8]) -> io::Result<()> {
        write_band(&mut **self.out.borrow_mut(), band, data, self.max)
    }

    /// Flush the output.
    pub fn flush(&self) -> io::Result<()> {
        self.out.borrow_mut().flush()
    }

    /// A buffered band-1 writer.
    pub fn data_writer(&self) -> BandWriter<'_, 'a> {
        BandWriter {
            mux: self,
            buf: Vec::with_capacity(self.max),
        }
    }

    /// A progress sink on band 2 (or a sink that drops everything when `enabled` is false).
    pub fn progress(&self, enabled: bool) -> BandProgress<'_, 'a> {
        BandProgress { mux: self, enabled }
    }

    /// The first error progress writing ran into, if any.
    pub fn take_error(&self) -> Option<io::Error> {
        self.error.borrow_mut().take()
    }
}

/// Band-1 writer of a [`Multiplexer`], sending full packets.
pub struct BandWriter<'m, 'a> {
    mux: &'m Multiplexer<'a>,
    buf: Vec<u8>,
}

impl Write for BandWriter<'_, '_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = self.mux.max - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= self.mux.max {
            self.mux.band(1, &self.buf)?;
            self.buf.clear();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.mux.band(1, &self.buf)?;
            self.buf.clear();
        }
        self.mux.flush()
    }
}

/// Band-2 progress of a [`Multiplexer`].
pub struct BandProgress<'m, 'a> {
    mux: &'m Multiplexer<'a>,
    enabled: bool,
}

impl hatchery_git::Progress for BandProgress<'_, '_> {
    fn message(&mut self, text: &str) {
        if !self.enabled {
            return;
        }
        if let Err(e) = self.mux.band(2, text.as_bytes()) {
            self.mux.error.borrow_mut().get_or_insert(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packets(input: &[u8]) -> Result<Vec<Option<Vec<u8>>>, ProtocolError> {
        let mut r = PktReader::new(input);
        let mut out = Vec::new();
        while let Some(p) = r.read_packet()? {
            out.push(match p {
                Packet::Data(d) => Some(d.to_vec()),
                _ => None,
            });
        }
        Ok(out)
    }

    #[test]
    fn reads_lines_and_specials() {
        let got = packets(b"0009hello0000000100020006a\n").unwrap();
        assert_eq!(
            got,
            vec![
                Some(b"hello".to_vec()),
                None,
                None,
                None,
                Some(b"a\n".to_vec())
            ]
        );
    }

    #[test]
    fn malformed_lengths() {
        for bad in [
            &b"00"[..],
            b"zzzz",
            b"0003",
            b"000ahel",
            b"fff0abc",
            b"0009hel",
        ] {
            assert!(packets(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn empty_data_packet_is_data() {
        assert_eq!(packets(b"0004").unwrap(), vec![Some(Vec::new())]);
    }

    #[test]
    fn band_chunks() {
        let mut out = Vec::new();
        write_band(
            &mut out,
            1,
            &vec![7u8; MAX_SIDEBAND_64K_DATA + 10],
            MAX_SIDEBAND_64K_DATA,
        )
        .unwrap();
        let got = packets(&out).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].as_ref().unwrap().len(), MAX_SIDEBAND_64K_DATA + 1);
        assert_eq!(got[1].as_ref().unwrap().len(), 11);
        assert_eq!(out.len(), 4 + MAX_DATA_LEN + 4 + 11);
    }

    #[test]
    fn multiplexer_frames_pack_and_progress() {
        let mut out = Vec::new();
        {
            let mux = Multiplexer::new(&mut out, 10);
            let mut w = mux.data_writer();
            w.write_all(b"0123456789abc").unwrap();
            hatchery_git::Progress::message(&mut mux.progress(true), "hi\n");
            hatchery_git::Progress::message(&mut mux.progress(false), "dropped\n");
            w.flush().unwrap();
        }
        let got = packets(&out).unwrap();
        assert_eq!(
            got,
            vec![
                Some(b"\x010123456789".to_vec()),
                Some(b"\x02hi\n".to_vec()),
                Some(b"\x01abc".to_vec()),
            ]
        );
    }

    #[test]
    fn agrees_with_gix_packetline_encoding() {
        for payload in [&b"x"[..], b"want 1234\n", &[0u8; 1000][..]] {
            let mut ours = Vec::new();
            write_data(&mut ours, payload).unwrap();
            let mut theirs = Vec::new();
            gix_packetline::blocking_io::encode::data_to_write(payload, &mut theirs).unwrap();
            assert_eq!(ours, theirs);
        }
        let mut ours = Vec::new();
        write_flush(&mut ours).unwrap();
        let mut theirs = Vec::new();
        gix_packetline::blocking_io::encode::flush_to_write(&mut theirs).unwrap();
        assert_eq!(ours, theirs);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn never_panics_on_arbitrary_input(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = packets(&data);
        }

        #[test]
        fn roundtrips(lines in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200), 0..20)) {
            let mut out = Vec::new();
            for l in &lines {
                write_data(&mut out, l).unwrap();
            }
            write_flush(&mut out).unwrap();
            let got = packets(&out).unwrap();
            let mut expected: Vec<Option<Vec<u8>>> = lines.iter().cloned().map(Some).collect();
            expected.push(None);
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
