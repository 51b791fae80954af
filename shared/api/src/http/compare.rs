//! Comparing secrets without telling an attacker, through the time taken, how much matched.

/// True when `a` and `b` are the same non-empty secret; the comparison takes the same time
/// whatever their contents (their lengths are not secret).
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}
