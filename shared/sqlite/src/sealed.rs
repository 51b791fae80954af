//! Idempotency records kept sealed. The reply to a new complaint carries its access code, and
//! a retry with the same `Idempotency-Key` must get that same reply back; but the store must
//! not hold the code in clear. So a record is filed under a hash of the scoped key, and its
//! body is encrypted (ChaCha20-Poly1305, a random nonce per record) with a key derived from
//! the scoped key by a second, separate hash. Only a client presenting the same key can find
//! the record and open it; the file (a copy, a backup, free pages) holds neither the key nor
//! the code. The client's key is theirs: a page's form makes 128 random bits for it.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};

/// How a sealed body starts, so a record written in clear by an earlier version is told
/// apart (and purged).
pub const PREFIX: &str = "sealed1:";

fn hash(purpose: &str, key: &str) -> [u8; 32] {
    let mut input = Vec::with_capacity(purpose.len() + 1 + key.len());
    input.extend_from_slice(purpose.as_bytes());
    input.push(0);
    input.extend_from_slice(key.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, &input).as_ref());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// What a record is filed under: a hash of the scoped key, never the key itself.
pub fn lookup(key: &str) -> String {
    hex(&hash("p3 idempotency lookup", key))
}

fn cipher(key: &str) -> LessSafeKey {
    let secret = hash("p3 idempotency seal", key);
    // A 32-byte key is always valid for ChaCha20-Poly1305.
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &secret).expect("a 32-byte key"))
}

/// `body` sealed under the scoped key; `None` only if the system has no randomness.
pub fn seal(key: &str, body: &str) -> Option<String> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new().fill(&mut nonce).ok()?;
    let mut data = body.as_bytes().to_vec();
    let lookup = lookup(key);
    cipher(key)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(lookup.as_bytes()),
            &mut data,
        )
        .ok()?;
    Some(format!("{PREFIX}{}{}", hex(&nonce), hex(&data)))
}

/// The body a record was sealed with under the scoped key; `None` if it cannot be opened.
pub fn open(key: &str, sealed: &str) -> Option<String> {
    let bytes = unhex(sealed.strip_prefix(PREFIX)?)?;
    if bytes.len() < NONCE_LEN {
        return None;
    }
    let (nonce, data) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut data = data.to_vec();
    let lookup = lookup(key);
    let plain = cipher(key)
        .open_in_place(nonce, Aad::from(lookup.as_bytes()), &mut data)
        .ok()?;
    String::from_utf8(plain.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_key_opens_a_sealed_reply_and_the_text_is_not_in_it() {
        let body = r#"{"reference":"CMP-2026-00001","access_code":"K7QX-M2PB-9RTA"}"#;
        let sealed = seal("public POST /complaints 0123abcd", body).unwrap();
        assert!(!sealed.contains("K7QX"), "{sealed}");
        assert_eq!(
            open("public POST /complaints 0123abcd", &sealed).as_deref(),
            Some(body)
        );
        assert_eq!(open("public POST /complaints 0123abce", &sealed), None);
        assert_ne!(seal("k", body), seal("k", body), "a fresh nonce each time");
        assert_ne!(lookup("k"), lookup("l"));
        assert!(!lookup("public POST /complaints 0123abcd").contains("0123abcd"));
    }
}
