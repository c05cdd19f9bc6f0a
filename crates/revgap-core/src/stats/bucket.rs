//! A customer's salted bucket: the first eight bytes of SHA-256(salt ‖ 0x00 ‖ id), big-endian,
//! mod 10,000. Deterministic and independent across salts, so assignments and draws can be
//! reproduced byte for byte from the salt and the ids alone.

use sha2::{Digest, Sha256};

/// Buckets per salt: shares in basis points (1,000 = 10 %).
pub const BUCKETS: u64 = 10_000;

/// The customer's bucket for a salt.
pub fn bucket(salt: &str, customer_id: &str) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update([0u8]);
    hasher.update(customer_id.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % BUCKETS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_is_sha256_of_salt_zero_id() {
        // The first eight bytes of SHA-256("s" ‖ 0x00 ‖ "a"), big-endian, mod 10,000.
        let digest = Sha256::digest(b"s\0a");
        let expected = u64::from_be_bytes(digest[..8].try_into().unwrap()) % BUCKETS;
        assert_eq!(bucket("s", "a"), expected);
        assert_ne!(
            bucket("s", "a"),
            bucket("t", "a"),
            "the salt changes the bucket"
        );
    }
}
