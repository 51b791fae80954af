//! Random ids and tokens for cookies and forms.

/// `n` random bytes from the operating system, as lowercase hex (`2n` characters).
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).expect("the operating system provides randomness");
    b.iter().map(|x| format!("{x:02x}")).collect()
}
