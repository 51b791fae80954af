//! The resident's access code: at least 80 random bits, shown once, stored only as a hash and
//! compared in constant time, so neither a database copy nor timing reveals it.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Crockford base32 alphabet: no I, L, O or U, so codes read aloud or typed are not misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Formats 10 random bytes (80 bits) as `XXXX-XXXX-XXXX-XXXX`.
pub fn format_code(random: [u8; 10]) -> String {
    let mut bits: u128 = 0;
    for b in random {
        bits = (bits << 8) | u128::from(b);
    }
    let mut chars = Vec::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            chars.push(b'-');
        }
        let shift = 75 - 5 * i;
        chars.push(ALPHABET[((bits >> shift) & 31) as usize]);
    }
    String::from_utf8(chars).expect("ascii")
}

/// Normalises what a resident typed: case, spaces and hyphens do not matter; O reads as 0, I and L as 1.
pub fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// The stored form of a code: hex SHA-256 of its normalised text.
pub fn hash_code(code: &str) -> String {
    let digest = Sha256::digest(normalise(code).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// True when `code` matches the stored hash, compared in constant time.
pub fn verify(code: &str, stored_hash: &str) -> bool {
    let given = hash_code(code);
    given.as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_80_bits_in_16_characters() {
        let c = format_code([0xff; 10]);
        assert_eq!(c, "ZZZZ-ZZZZ-ZZZZ-ZZZZ");
        assert_eq!(format_code([0; 10]), "0000-0000-0000-0000");
        assert_ne!(format_code([1; 10]), format_code([2; 10]));
    }

    #[test]
    fn a_code_verifies_however_it_is_typed_and_a_wrong_one_does_not() {
        let code = format_code([7, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let h = hash_code(&code);
        assert!(verify(&code, &h));
        assert!(verify(&code.to_lowercase().replace('-', " "), &h));
        assert!(!verify("0000-0000-0000-0000", &h));
        assert!(!verify("", &h));
    }
}
