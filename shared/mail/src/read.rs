//! Reading a message back: its parts, decoded. What the tests of both hosts do with what was
//! sent (the outbox's `.eml` files, the raw messages the SES emulator keeps); the service
//! itself reads no mail.

use base64::Engine;

/// One part of a message (or the message itself, when it is not multipart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its headers, unfolded, in lower case.
    pub headers: String,
    /// Its headers, unfolded, as written (a file name keeps its case).
    original: String,
    /// Its body, decoded from its transfer encoding.
    pub content: Vec<u8>,
}

impl Part {
    /// A header's value up to its first `;` (`content-type` gives the media type).
    pub fn header(&self, name: &str) -> Option<&str> {
        let at = self.headers.find(&format!("{name}:"))?;
        self.headers[at + name.len() + 1..]
            .split([';', '\r', '\n'])
            .next()
            .map(str::trim)
    }

    /// The media type, as `text/plain`.
    pub fn media_type(&self) -> &str {
        self.header("content-type").unwrap_or("text/plain")
    }

    /// The file name of an attachment.
    pub fn filename(&self) -> Option<&str> {
        if self.header("content-disposition") != Some("attachment") {
            return None;
        }
        // Found in the lower-case copy, read from the original: the offsets are the same.
        let at = self.headers.find("filename=")?;
        self.original[at + "filename=".len()..]
            .split([';', '\r', '\n'])
            .next()
            .map(|v| v.trim().trim_matches('"'))
    }

    /// The body as text, with `\n` line ends.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.content).replace("\r\n", "\n")
    }
}

fn unfold(head: &str) -> String {
    head.replace("\r\n ", " ").replace("\r\n\t", " ")
}

fn decode(headers: &str, body: &str) -> Vec<u8> {
    if headers.contains("content-transfer-encoding: quoted-printable") {
        let mut out = Vec::new();
        let bytes = body.replace("=\r\n", "").into_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let hex = (bytes[i] == b'=' && i + 2 < bytes.len())
                .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
                .flatten()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(b) => {
                    out.push(b);
                    i += 3;
                }
                None => {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
        }
        out
    } else if headers.contains("content-transfer-encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(joined)
            .unwrap_or_default()
    } else {
        body.as_bytes().to_vec()
    }
}

/// The parts of `raw` (CRLF line ends): of a `multipart/*` message each part, else the message
/// itself as one part. Nested multiparts are not opened (the service writes none).
pub fn parts(raw: &str) -> Vec<Part> {
    let Some((head, body)) = raw.split_once("\r\n\r\n") else {
        return Vec::new();
    };
    let head = unfold(head);
    let lower = head.to_ascii_lowercase();
    let boundary = lower
        .contains("content-type: multipart/")
        .then(|| lower.find("boundary="))
        .flatten()
        .and_then(|at| {
            head[at + "boundary=".len()..]
                .split([';', '\r', '\n'])
                .next()
        })
        .map(|b| b.trim().trim_matches('"').to_string());
    let Some(boundary) = boundary else {
        return vec![Part {
            content: decode(&lower, body),
            headers: lower,
            original: head,
        }];
    };
    body.split(&format!("--{boundary}"))
        .skip(1)
        .filter(|part| !part.starts_with("--"))
        .filter_map(|part| {
            let (h, b) = part.trim_start_matches("\r\n").split_once("\r\n\r\n")?;
            let original = unfold(h);
            let headers = original.to_ascii_lowercase();
            Some(Part {
                content: decode(&headers, b.trim_end_matches("\r\n")),
                headers,
                original,
            })
        })
        .collect()
}
