//! A small D-Bus codec for the test servers, written apart from
//! `notify.rs` so that a marshalling mistake there is not repeated here:
//! little-endian out, either byte order in.

use std::collections::HashMap;

pub struct Encoder(pub Vec<u8>);

impl Encoder {
    pub fn align(&mut self, a: usize) {
        while self.0.len() % a != 0 {
            self.0.push(0);
        }
    }
    pub fn byte(&mut self, b: u8) {
        self.0.push(b);
    }
    pub fn u32(&mut self, v: u32) {
        self.align(4);
        self.0.extend(v.to_le_bytes());
    }
    pub fn string(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend(s.as_bytes());
        self.0.push(0);
    }
    pub fn signature(&mut self, s: &str) {
        self.byte(s.len() as u8);
        self.0.extend(s.as_bytes());
        self.0.push(0);
    }
}

/// Field values: (code, signature char, value).
pub enum Field<'a> {
    Str(u8, char, &'a str),
    U32(u8, u32),
}

/// A whole message: the header with `fields`, then the body `body` writes.
pub fn message(
    kind: u8,
    flags: u8,
    serial: u32,
    fields: &[Field<'_>],
    body: impl FnOnce(&mut Encoder),
) -> Vec<u8> {
    let mut e = Encoder(vec![b'l', kind, flags, 1]);
    e.u32(0);
    e.u32(serial);
    e.u32(0);
    for f in fields {
        e.align(8);
        match f {
            Field::Str(code, 'g', v) => {
                e.byte(*code);
                e.signature("g");
                e.signature(v);
            }
            Field::Str(code, c, v) => {
                e.byte(*code);
                e.signature(&c.to_string());
                e.string(v);
            }
            Field::U32(code, v) => {
                e.byte(*code);
                e.signature("u");
                e.u32(*v);
            }
        }
    }
    let fields_len = (e.0.len() - 16) as u32;
    e.0[12..16].copy_from_slice(&fields_len.to_le_bytes());
    e.align(8);
    let start = e.0.len();
    body(&mut e);
    let body_len = (e.0.len() - start) as u32;
    e.0[4..8].copy_from_slice(&body_len.to_le_bytes());
    e.0
}

/// A received message.
#[derive(Debug, Clone)]
pub struct Message {
    pub kind: u8,
    pub serial: u32,
    pub big: bool,
    pub fields: HashMap<u8, String>,
    pub reply_serial: Option<u32>,
    /// The whole message; the body starts at `body_at`.
    pub bytes: Vec<u8>,
    pub body_at: usize,
}

impl Message {
    fn field(&self, code: u8) -> Option<&str> {
        self.fields.get(&code).map(String::as_str)
    }
    pub fn member(&self) -> Option<&str> {
        self.field(3)
    }
    pub fn sender(&self) -> Option<&str> {
        self.field(7)
    }
    pub fn signature(&self) -> Option<&str> {
        self.field(8)
    }
}

/// Reads values at their alignment from a message's bytes.
pub struct Decoder<'a> {
    bytes: &'a [u8],
    pub pos: usize,
    big: bool,
}

impl<'a> Decoder<'a> {
    pub fn body(m: &'a Message) -> Decoder<'a> {
        Decoder {
            bytes: &m.bytes,
            pos: m.body_at,
            big: m.big,
        }
    }
    pub fn align(&mut self, a: usize) {
        self.pos = self.pos.next_multiple_of(a);
    }
    pub fn byte(&mut self) -> u8 {
        let b = self.bytes[self.pos];
        self.pos += 1;
        b
    }
    pub fn u32(&mut self) -> u32 {
        self.align(4);
        let b: [u8; 4] = self.bytes[self.pos..self.pos + 4].try_into().unwrap();
        self.pos += 4;
        if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }
    pub fn string(&mut self) -> String {
        let len = self.u32() as usize;
        let s = String::from_utf8(self.bytes[self.pos..self.pos + len].to_vec()).unwrap();
        assert_eq!(self.bytes[self.pos + len], 0, "string without its NUL");
        self.pos += len + 1;
        s
    }
    pub fn signature(&mut self) -> String {
        let len = self.byte() as usize;
        let s = String::from_utf8(self.bytes[self.pos..self.pos + len].to_vec()).unwrap();
        self.pos += len + 1;
        s
    }
}

/// Splits one whole message off the front of `buf`, if there is one.
pub fn take_message(buf: &mut Vec<u8>) -> Option<Message> {
    if buf.len() < 16 {
        return None;
    }
    let big = buf[0] == b'B';
    let word = |at: usize| {
        let b: [u8; 4] = buf[at..at + 4].try_into().unwrap();
        if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    let body_len = word(4) as usize;
    let fields_len = word(12) as usize;
    let body_at = (16 + fields_len).next_multiple_of(8);
    if buf.len() < body_at + body_len {
        return None;
    }
    let bytes: Vec<u8> = buf.drain(..body_at + body_len).collect();
    let mut m = Message {
        kind: bytes[1],
        serial: word_of(&bytes, 8, big),
        big,
        fields: HashMap::new(),
        reply_serial: None,
        bytes,
        body_at,
    };
    let mut d = Decoder {
        bytes: &m.bytes,
        pos: 16,
        big,
    };
    while d.pos < 16 + fields_len {
        d.align(8);
        let code = d.byte();
        let sig = d.signature();
        match sig.as_str() {
            "s" | "o" => {
                let s = d.string();
                m.fields.insert(code, s);
            }
            "g" => {
                let s = d.signature();
                m.fields.insert(code, s);
            }
            "u" => {
                let v = d.u32();
                if code == 5 {
                    m.reply_serial = Some(v);
                }
            }
            other => panic!("unexpected header field type {other}"),
        }
    }
    Some(m)
}

fn word_of(b: &[u8], at: usize, big: bool) -> u32 {
    let w: [u8; 4] = b[at..at + 4].try_into().unwrap();
    if big {
        u32::from_be_bytes(w)
    } else {
        u32::from_le_bytes(w)
    }
}
