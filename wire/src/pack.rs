//! Slurm's pack/unpack primitives (upstream `src/common/pack.c`, `pack.h`).
//!
//! Everything is big-endian. Strings carry a u32 length that *includes* the
//! trailing NUL, and a zero length means NULL (distinct from ""). Lengths and
//! counts read from the wire are never trusted: every allocation is bounded by
//! the bytes actually left in the buffer, so a hostile count cannot make us
//! reserve more memory than the message itself occupies.

use bytes::{BufMut, BytesMut};
use nom::number::complete::{be_u16, be_u32, be_u64, be_u8};
use thiserror::Error;

/// Upstream's "not set" sentinel for 8-bit fields (`NO_VAL8`).
pub const NO_VAL8: u8 = 0xfe;
/// Upstream's "not set" sentinel for 16-bit fields (`NO_VAL16`).
pub const NO_VAL16: u16 = 0xfffe;
/// Upstream's "not set" sentinel for 32-bit fields (`NO_VAL`).
pub const NO_VAL: u32 = 0xffff_fffe;
/// Upstream's "not set" sentinel for 64-bit fields (`NO_VAL64`).
pub const NO_VAL64: u64 = 0xffff_ffff_ffff_fffe;
/// Upstream's "unlimited" sentinel for 8-bit fields (`INFINITE8`).
pub const INFINITE8: u8 = 0xff;
/// Upstream's "unlimited" sentinel for 16-bit fields (`INFINITE16`).
pub const INFINITE16: u16 = 0xffff;
/// Upstream's "unlimited" sentinel for 32-bit fields (`INFINITE`).
pub const INFINITE: u32 = 0xffff_ffff;
/// Upstream's "unlimited" sentinel for 64-bit fields (`INFINITE64`).
pub const INFINITE64: u64 = 0xffff_ffff_ffff_ffff;

/// Largest single string/mem blob upstream accepts (`MAX_PACK_MEM_LEN`, 1 GiB).
pub const MAX_PACK_MEM_LEN: u32 = 1 << 30;

/// `packdouble` scales by this before bit-casting (`FLOAT_MULT`).
const FLOAT_MULT: f64 = 1_000_000.0;

/// Why a decode failed, and at which field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The buffer ended before the field was complete.
    #[error("truncated reading {field}: need {needed} bytes, {available} left")]
    Truncated {
        field: &'static str,
        needed: usize,
        available: usize,
    },
    /// A length or count is larger than the message could possibly hold.
    #[error("{field}: length {len} exceeds the {limit} bytes available")]
    LengthTooLarge {
        field: &'static str,
        len: u64,
        limit: u64,
    },
    /// A string's bytes did not end in the NUL that packstr always sends.
    #[error("{field}: string is not NUL-terminated")]
    MissingNul { field: &'static str },
    /// A value is outside the set the field allows.
    #[error("{field}: invalid value {value}")]
    InvalidValue { field: &'static str, value: u64 },
    /// A textual field (bitmap hex, address) is malformed.
    #[error("{field}: malformed: {reason}")]
    Malformed {
        field: &'static str,
        reason: &'static str,
    },
    /// Bytes were left over after the message body was decoded.
    #[error("{left} unexpected trailing bytes after {what}")]
    TrailingBytes { what: &'static str, left: usize },
    /// The message type is one we do not decode.
    #[error("unsupported message type {0}")]
    UnsupportedMessage(u16),
    /// The protocol version is not one we speak.
    #[error("unsupported protocol version {0:#06x}")]
    UnsupportedVersion(u16),
}

/// Result alias for decoders.
pub type DecodeResult<T> = Result<T, DecodeError>;

/// A read cursor over a received buffer.
#[derive(Debug, Clone)]
pub struct Unpacker<'a> {
    buf: &'a [u8],
    pos: usize,
}

macro_rules! fixed_int {
    ($name:ident, $ty:ty, $parser:ident, $size:expr) => {
        #[doc = concat!("Reads a big-endian `", stringify!($ty), "`.")]
        #[inline]
        pub fn $name(&mut self, field: &'static str) -> DecodeResult<$ty> {
            let rest = self.need(field, $size)?;
            let (_, v) = $parser::<&[u8], nom::error::Error<&[u8]>>(rest).map_err(|_| {
                DecodeError::Truncated {
                    field,
                    needed: $size,
                    available: rest.len(),
                }
            })?;
            self.pos += $size;
            Ok(v)
        }
    };
}

impl<'a> Unpacker<'a> {
    /// Starts reading at the beginning of `buf`.
    #[inline]
    pub fn new(buf: &'a [u8]) -> Self {
        Unpacker { buf, pos: 0 }
    }

    /// Bytes not yet consumed.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Offset of the next byte to read.
    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The unread tail.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// Fails unless every byte was consumed.
    #[inline]
    pub fn finish(&self, what: &'static str) -> DecodeResult<()> {
        match self.remaining() {
            0 => Ok(()),
            left => Err(DecodeError::TrailingBytes { what, left }),
        }
    }

    #[inline]
    fn need(&self, field: &'static str, n: usize) -> DecodeResult<&'a [u8]> {
        let rest = &self.buf[self.pos..];
        if rest.len() < n {
            return Err(DecodeError::Truncated {
                field,
                needed: n,
                available: rest.len(),
            });
        }
        Ok(rest)
    }

    /// Takes `n` raw bytes.
    #[inline]
    pub fn bytes(&mut self, field: &'static str, n: usize) -> DecodeResult<&'a [u8]> {
        let rest = self.need(field, n)?;
        self.pos += n;
        Ok(&rest[..n])
    }

    fixed_int!(u8, u8, be_u8, 1);
    fixed_int!(u16, u16, be_u16, 2);
    fixed_int!(u32, u32, be_u32, 4);
    fixed_int!(u64, u64, be_u64, 8);

    /// `unpack_time`: a time_t widened to i64.
    #[inline]
    pub fn time(&mut self, field: &'static str) -> DecodeResult<i64> {
        Ok(self.u64(field)? as i64)
    }

    /// `unpackbool`: one byte, non-zero is true.
    #[inline]
    pub fn bool(&mut self, field: &'static str) -> DecodeResult<bool> {
        Ok(self.u8(field)? != 0)
    }

    /// A u32 count whose elements take at least `min_elem` bytes each: bounded
    /// by what is left, so it can size an allocation safely.
    #[inline]
    pub fn count(&mut self, field: &'static str, min_elem: usize) -> DecodeResult<usize> {
        let n = self.u32(field)?;
        self.check_count(field, n, min_elem)
    }

    /// Checks an already-read count against the bytes left.
    #[inline]
    pub fn check_count(&self, field: &'static str, n: u32, min_elem: usize) -> DecodeResult<usize> {
        let limit = (self.remaining() / min_elem.max(1)) as u64;
        if u64::from(n) > limit {
            return Err(DecodeError::LengthTooLarge {
                field,
                len: n.into(),
                limit,
            });
        }
        Ok(n as usize)
    }

    /// `unpackmem`: u32 length + raw bytes; length 0 is NULL.
    #[inline]
    pub fn mem(&mut self, field: &'static str) -> DecodeResult<Option<&'a [u8]>> {
        let len = self.u32(field)?;
        if len == 0 {
            return Ok(None);
        }
        if len > MAX_PACK_MEM_LEN || len as usize > self.remaining() {
            return Err(DecodeError::LengthTooLarge {
                field,
                len: len.into(),
                limit: self.remaining().min(MAX_PACK_MEM_LEN as usize) as u64,
            });
        }
        self.bytes(field, len as usize).map(Some)
    }

    /// `unpackstr`: NULL for length 0, else the bytes minus the sent NUL.
    /// Invalid UTF-8 is replaced, since Rust strings must be valid.
    #[inline]
    pub fn str(&mut self, field: &'static str) -> DecodeResult<Option<String>> {
        match self.mem(field)? {
            None => Ok(None),
            Some(raw) => {
                let text = raw
                    .strip_suffix(&[0])
                    .ok_or(DecodeError::MissingNul { field })?;
                Ok(Some(String::from_utf8_lossy(text).into_owned()))
            }
        }
    }

    /// `unpackstr_array`: u32 count + count strings. Upstream yields NULL for 0.
    #[inline]
    pub fn str_array(&mut self, field: &'static str) -> DecodeResult<Vec<String>> {
        let n = self.count(field, 4)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            // A NULL element cannot be represented by upstream's packer either
            // (it would stop the array), so NULL decodes as "".
            out.push(self.str(field)?.unwrap_or_default());
        }
        Ok(out)
    }

    /// `unpack16_array`.
    #[inline]
    pub fn u16_array(&mut self, field: &'static str) -> DecodeResult<Vec<u16>> {
        let n = self.count(field, 2)?;
        (0..n).map(|_| self.u16(field)).collect()
    }

    /// `unpack32_array`.
    #[inline]
    pub fn u32_array(&mut self, field: &'static str) -> DecodeResult<Vec<u32>> {
        let n = self.count(field, 4)?;
        (0..n).map(|_| self.u32(field)).collect()
    }

    /// `unpack64_array`.
    #[inline]
    pub fn u64_array(&mut self, field: &'static str) -> DecodeResult<Vec<u64>> {
        let n = self.count(field, 8)?;
        (0..n).map(|_| self.u64(field)).collect()
    }

    /// `unpackdouble`: see [`ScaledDouble`].
    #[inline]
    pub fn double(&mut self, field: &'static str) -> DecodeResult<ScaledDouble> {
        Ok(ScaledDouble(self.u64(field)?))
    }

    /// `unpack_bit_str_hex`: u32 NO_VAL for NULL, else size + hex text.
    #[inline]
    pub fn bitmap(&mut self, field: &'static str) -> DecodeResult<Option<Bitmap>> {
        let size = self.u32(field)?;
        if size == NO_VAL {
            return Ok(None);
        }
        let text = self.mem(field)?.ok_or(DecodeError::Malformed {
            field,
            reason: "missing hex mask",
        })?;
        let text = text
            .strip_suffix(&[0])
            .ok_or(DecodeError::MissingNul { field })?;
        Bitmap::from_hex(size, text)
            .map(Some)
            .map_err(|reason| DecodeError::Malformed { field, reason })
    }
}

/// A double as `packdouble` sends it: the value times 1e6, bit-cast to u64.
///
/// Kept as the raw wire bits so that decode/encode round-trips exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct ScaledDouble(pub u64);

impl ScaledDouble {
    /// The wire form of `value`.
    pub fn from_f64(value: f64) -> Self {
        ScaledDouble((value * FLOAT_MULT).to_bits())
    }
    /// The value the sender meant.
    pub fn to_f64(self) -> f64 {
        f64::from_bits(self.0) / FLOAT_MULT
    }
}

/// Upstream's `bitstr_t`: a fixed-size bit set, sent as a hex mask.
///
/// Only the words up to the highest set bit are stored, so a bitmap
/// decoded from the wire costs memory in proportion to its hex text, not
/// to the size it claims (up to [`Bitmap::MAX_BITS`], 2 MiB of words).
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Bitmap {
    len: u32,
    /// No trailing zero words (so derived equality and hashing hold).
    words: Vec<u64>,
}

impl Bitmap {
    /// Largest bitmap we accept from the wire (bits); far above any real cluster.
    pub const MAX_BITS: u32 = 1 << 24;

    /// An all-clear bitmap of `len` bits.
    pub fn new(len: u32) -> Self {
        Bitmap {
            len,
            words: Vec::new(),
        }
    }

    /// Number of bits.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// True for a zero-size bitmap.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sets bit `i` (ignored when out of range).
    pub fn set(&mut self, i: u32) {
        if i < self.len {
            let w = (i / 64) as usize;
            if w >= self.words.len() {
                self.words.resize(w + 1, 0);
            }
            self.words[w] |= 1 << (i % 64);
        }
    }

    /// Clears bit `i` (ignored when out of range).
    pub fn clear(&mut self, i: u32) {
        if let Some(word) = self.words.get_mut((i / 64) as usize) {
            *word &= !(1 << (i % 64));
            self.trim();
        }
    }

    /// Drops trailing all-clear words.
    fn trim(&mut self) {
        while self.words.last() == Some(&0) {
            self.words.pop();
        }
    }

    /// Tests bit `i`.
    pub fn get(&self, i: u32) -> bool {
        i < self.len
            && self
                .words
                .get((i / 64) as usize)
                .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> u32 {
        self.words.iter().map(|w| w.count_ones()).sum()
    }

    /// Indices of set bits, ascending.
    pub fn ones(&self) -> impl Iterator<Item = u32> + '_ {
        let stored = u32::try_from(self.words.len() * 64).unwrap_or(u32::MAX);
        (0..self.len.min(stored)).filter(move |&i| self.get(i))
    }

    /// `bit_fmt`: set bits as ranges, "0-1,3" ("" when none are set), the
    /// form `scontrol`/`sinfo` print GRES indices in.
    pub fn to_ranges(&self) -> String {
        let mut out = String::new();
        let mut bits = self.ones().peekable();
        while let Some(start) = bits.next() {
            let mut end = start;
            while bits.peek() == Some(&(end + 1)) {
                end += 1;
                bits.next();
            }
            if !out.is_empty() {
                out.push(',');
            }
            if start == end {
                out.push_str(&start.to_string());
            } else {
                out.push_str(&format!("{start}-{end}"));
            }
        }
        out
    }

    /// `bit_fmt_hexmask`: "0x" and one digit per 4 bits, most significant first.
    pub fn to_hex(&self) -> String {
        if self.len == 0 {
            return "0x0".to_string();
        }
        let digits = self.len.div_ceil(4);
        let mut s = String::with_capacity(2 + digits as usize);
        s.push_str("0x");
        for d in (0..digits).rev() {
            let mut nibble = 0u8;
            for b in 0..4 {
                if self.get(d * 4 + b) {
                    nibble |= 1 << b;
                }
            }
            s.push(
                char::from_digit(nibble.into(), 16)
                    .unwrap_or('0')
                    .to_ascii_uppercase(),
            );
        }
        s
    }

    /// `bit_unfmt_hexmask` into a bitmap of `len` bits; bits beyond `len` are ignored.
    pub fn from_hex(len: u32, text: &[u8]) -> Result<Self, &'static str> {
        if len > Self::MAX_BITS {
            return Err("bitmap size over limit");
        }
        let digits = text
            .strip_prefix(b"0x")
            .or_else(|| text.strip_prefix(b"0X"))
            .unwrap_or(text);
        // Room for what the text can set, no more than `len` allows.
        let bits = (digits.len() as u64 * 4).min(u64::from(len));
        let mut bm = Bitmap {
            len,
            words: Vec::with_capacity(bits.div_ceil(64) as usize),
        };
        for (pos, &c) in digits.iter().rev().enumerate() {
            let nibble = (c as char).to_digit(16).ok_or("non-hex digit")?;
            for b in 0..4 {
                if nibble & (1 << b) != 0 {
                    let bit = pos as u64 * 4 + b;
                    if bit < u64::from(len) {
                        bm.set(bit as u32);
                    }
                }
            }
        }
        bm.trim();
        Ok(bm)
    }
}

/// A write buffer with upstream's packing rules.
#[derive(Debug, Default, Clone)]
pub struct Packer {
    buf: BytesMut,
}

impl Packer {
    /// An empty buffer.
    #[inline]
    pub fn new() -> Self {
        Packer {
            buf: BytesMut::with_capacity(256),
        }
    }

    /// An empty buffer with room for `n` bytes.
    #[inline]
    pub fn with_capacity(n: usize) -> Self {
        Packer {
            buf: BytesMut::with_capacity(n),
        }
    }

    /// Bytes packed so far.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing was packed.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The packed bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// Takes the packed bytes.
    #[inline]
    pub fn into_bytes(self) -> BytesMut {
        self.buf
    }

    /// Overwrites a u32 written earlier at `offset` (for back-patched counts).
    #[inline]
    pub fn patch_u32(&mut self, offset: usize, v: u32) {
        self.buf[offset..offset + 4].copy_from_slice(&v.to_be_bytes());
    }

    /// Raw bytes with no length (`packmem_array`).
    #[inline]
    pub fn raw(&mut self, b: &[u8]) {
        self.buf.put_slice(b);
    }
    /// `pack8`.
    #[inline]
    pub fn u8(&mut self, v: u8) {
        self.buf.put_u8(v);
    }
    /// `pack16`.
    #[inline]
    pub fn u16(&mut self, v: u16) {
        self.buf.put_u16(v);
    }
    /// `pack32`.
    #[inline]
    pub fn u32(&mut self, v: u32) {
        self.buf.put_u32(v);
    }
    /// `pack64`.
    #[inline]
    pub fn u64(&mut self, v: u64) {
        self.buf.put_u64(v);
    }
    /// `pack_time`.
    #[inline]
    pub fn time(&mut self, v: i64) {
        self.buf.put_i64(v);
    }
    /// `packbool`.
    #[inline]
    pub fn bool(&mut self, v: bool) {
        self.buf.put_u8(v as u8);
    }
    /// `packmem`: u32 length then the bytes; NULL packs length 0.
    #[inline]
    pub fn mem(&mut self, v: Option<&[u8]>) {
        match v {
            None => self.buf.put_u32(0),
            Some(b) => {
                self.buf.put_u32(b.len() as u32);
                self.buf.put_slice(b);
            }
        }
    }
    /// `packstr`: length includes the NUL, which is sent; NULL packs length 0.
    #[inline]
    pub fn str(&mut self, v: Option<&str>) {
        match v {
            None => self.buf.put_u32(0),
            Some(s) => {
                // Room for length, bytes and NUL at once, so a growing
                // buffer reallocates at most once per string.
                self.buf.reserve(s.len() + 5);
                self.buf.put_u32(s.len() as u32 + 1);
                self.buf.put_slice(s.as_bytes());
                self.buf.put_u8(0);
            }
        }
    }
    /// `packstr` of a present string.
    #[inline]
    pub fn string(&mut self, s: &str) {
        self.str(Some(s));
    }
    /// `packstr_array`.
    #[inline]
    pub fn str_array<S: AsRef<str>>(&mut self, v: &[S]) {
        self.buf.put_u32(v.len() as u32);
        for s in v {
            self.str(Some(s.as_ref()));
        }
    }
    /// `pack16_array`.
    #[inline]
    pub fn u16_array(&mut self, v: &[u16]) {
        self.buf.put_u32(v.len() as u32);
        v.iter().for_each(|&x| self.buf.put_u16(x));
    }
    /// `pack32_array`.
    #[inline]
    pub fn u32_array(&mut self, v: &[u32]) {
        self.buf.put_u32(v.len() as u32);
        v.iter().for_each(|&x| self.buf.put_u32(x));
    }
    /// `pack64_array`.
    #[inline]
    pub fn u64_array(&mut self, v: &[u64]) {
        self.buf.put_u32(v.len() as u32);
        v.iter().for_each(|&x| self.buf.put_u64(x));
    }
    /// `packdouble`.
    #[inline]
    pub fn double(&mut self, v: ScaledDouble) {
        self.buf.put_u64(v.0);
    }
    /// `pack_bit_str_hex`.
    #[inline]
    pub fn bitmap(&mut self, v: Option<&Bitmap>) {
        match v {
            None => self.buf.put_u32(NO_VAL),
            Some(bm) => {
                self.buf.put_u32(bm.len());
                let hex = bm.to_hex();
                self.buf.put_u32(hex.len() as u32 + 1);
                self.buf.put_slice(hex.as_bytes());
                self.buf.put_u8(0);
            }
        }
    }
}

/// Encode/decode of one wire structure at a given protocol version.
pub trait WireCodec: Sized {
    /// Appends the structure to `p` as `version` lays it out.
    fn pack(&self, p: &mut Packer, version: crate::version::ProtocolVersion);
    /// Reads the structure as `version` lays it out.
    fn unpack(u: &mut Unpacker<'_>, version: crate::version::ProtocolVersion)
        -> DecodeResult<Self>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_null_vs_empty() {
        let mut p = Packer::new();
        p.str(None);
        p.str(Some(""));
        p.str(Some("ab"));
        assert_eq!(
            p.as_slice(),
            &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3, b'a', b'b', 0]
        );
        let mut u = Unpacker::new(p.as_slice());
        assert_eq!(u.str("a").unwrap(), None);
        assert_eq!(u.str("b").unwrap().as_deref(), Some(""));
        assert_eq!(u.str("c").unwrap().as_deref(), Some("ab"));
        u.finish("test").unwrap();
    }

    #[test]
    fn string_without_nul_is_rejected() {
        let mut u = Unpacker::new(&[0, 0, 0, 2, b'a', b'b']);
        assert_eq!(
            u.str("name"),
            Err(DecodeError::MissingNul { field: "name" })
        );
    }

    #[test]
    fn hostile_lengths_are_bounded() {
        // A string claiming 4 GiB in a 10-byte message.
        let mut u = Unpacker::new(&[0xff, 0xff, 0xff, 0xf0, 1, 2, 3, 4, 5, 6]);
        assert!(matches!(
            u.str("script"),
            Err(DecodeError::LengthTooLarge {
                field: "script",
                ..
            })
        ));
        // An array count far beyond what the bytes can hold.
        let mut u = Unpacker::new(&[0x10, 0, 0, 0, 0, 0]);
        assert!(matches!(
            u.u64_array("mem"),
            Err(DecodeError::LengthTooLarge { .. })
        ));
        let mut u = Unpacker::new(&[0, 0]);
        assert!(matches!(
            u.u32("x"),
            Err(DecodeError::Truncated {
                needed: 4,
                available: 2,
                ..
            })
        ));
    }

    #[test]
    fn bitmap_hex_matches_upstream_layout() {
        let mut bm = Bitmap::new(6);
        bm.set(0);
        bm.set(5);
        // Bit 0 is the low bit of the last digit; 6 bits need 2 digits.
        assert_eq!(bm.to_hex(), "0x21");
        assert_eq!(Bitmap::new(0).to_hex(), "0x0");
        let back = Bitmap::from_hex(6, b"0x21").unwrap();
        assert_eq!(back, bm);
        let mut p = Packer::new();
        p.bitmap(Some(&bm));
        p.bitmap(None);
        let mut u = Unpacker::new(p.as_slice());
        assert_eq!(u.bitmap("b").unwrap(), Some(bm));
        assert_eq!(u.bitmap("b").unwrap(), None);
    }

    #[test]
    fn wire_bitmap_costs_what_its_text_holds() {
        // A 16 Mi-bit bitmap in a few bytes: no 2 MiB of words behind it.
        let mut p = Packer::new();
        p.u32(Bitmap::MAX_BITS);
        p.mem(Some(b"0x0\0"));
        p.u32(Bitmap::MAX_BITS);
        p.mem(Some(b"0x8\0"));
        let mut u = Unpacker::new(p.as_slice());
        let empty = u.bitmap("b").unwrap().unwrap();
        assert_eq!(empty.len(), Bitmap::MAX_BITS);
        assert!(empty.words.is_empty() && empty.words.capacity() <= 1);
        let one = u.bitmap("b").unwrap().unwrap();
        assert_eq!(one.words.capacity(), 1);
        assert_eq!(one.ones().collect::<Vec<_>>(), vec![3]);
        // Long text for a short bitmap: only `len` bits' worth is kept.
        let long = Bitmap::from_hex(8, &[b'f'; 4096]).unwrap();
        assert_eq!(long.words.capacity(), 1);
        assert_eq!(long.count_ones(), 8);
        // Clearing the top bit keeps equal bitmaps equal.
        let mut a = Bitmap::new(200);
        a.set(3);
        a.set(150);
        a.clear(150);
        let mut b = Bitmap::new(200);
        b.set(3);
        assert_eq!(a, b);
        assert_eq!(Bitmap::from_hex(200, b"0x8").unwrap(), b);
    }

    #[test]
    fn bitmap_ranges_like_bit_fmt() {
        let mut bm = Bitmap::new(70);
        assert_eq!(bm.to_ranges(), "");
        for i in [0, 1, 3, 63, 64, 65, 69] {
            bm.set(i);
        }
        assert_eq!(bm.to_ranges(), "0-1,3,63-65,69");
    }

    #[test]
    fn scaled_double_round_trips() {
        let d = ScaledDouble::from_f64(2.5);
        assert_eq!(d.0, 2_500_000f64.to_bits());
        assert_eq!(d.to_f64(), 2.5);
    }
}
