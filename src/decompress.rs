//! Decompression sniffed from magic bytes, whatever the key or
//! `Content-Encoding` says: gzip (also multi-member), zstd, or plain.

use std::io::{self, BufRead, BufReader, Read};

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// The compression of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip, one or more members.
    Gzip,
    /// Zstandard.
    Zstd,
    /// Not compressed.
    None,
}

impl Compression {
    /// Recognizes the compression from the first bytes of a stream.
    pub fn sniff(head: &[u8]) -> Self {
        if head.starts_with(GZIP_MAGIC) {
            Compression::Gzip
        } else if head.starts_with(ZSTD_MAGIC) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Wraps `reader` in the decoder its first bytes call for.
pub fn decompressed<'r, R: Read + Send + 'r>(
    reader: R,
) -> io::Result<(Compression, Box<dyn Read + Send + 'r>)> {
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    let head = reader.fill_buf()?;
    let compression = Compression::sniff(head);
    let inner: Box<dyn Read + Send + 'r> = match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(reader)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(reader)?),
        Compression::None => Box::new(reader),
    };
    Ok((compression, inner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn roundtrip(bytes: Vec<u8>) -> (Compression, String) {
        let (c, mut r) = decompressed(&bytes[..]).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        (c, s)
    }

    #[test]
    fn reads_multi_member_gzip() {
        let mut all = Vec::new();
        for part in ["one\n", "two\n"] {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(part.as_bytes()).unwrap();
            all.extend(enc.finish().unwrap());
        }
        assert_eq!(roundtrip(all), (Compression::Gzip, "one\ntwo\n".into()));
    }

    #[test]
    fn reads_zstd_and_plain() {
        let z = zstd::encode_all(&b"hello\n"[..], 1).unwrap();
        assert_eq!(roundtrip(z), (Compression::Zstd, "hello\n".into()));
        assert_eq!(
            roundtrip(b"plain".to_vec()),
            (Compression::None, "plain".into())
        );
        assert_eq!(roundtrip(Vec::new()), (Compression::None, String::new()));
    }

    #[test]
    fn truncated_gzip_is_an_error_not_a_panic() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&[b'x'; 10_000]).unwrap();
        let mut bytes = enc.finish().unwrap();
        bytes.truncate(bytes.len() / 2);
        let (_, mut r) = decompressed(&bytes[..]).unwrap();
        assert!(r.read_to_end(&mut Vec::new()).is_err());
    }
}
