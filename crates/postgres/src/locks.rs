//! Transaction-scoped advisory locks on the ids a write touches.
//!
//! An event that names only a payment intent is kept when no order knows that payment intent. Without a
//! lock, one transaction could keep such an event while another gives an order that payment intent and
//! checks for kept events before the first commits: the kept event would never be adopted. Every write takes
//! the locks of every id it touches (`payments_commit`, ascending, before anything else), so one of the two
//! sees the other's committed work.

/// A stable 64-bit key for an id as `kind:id` (FNV-1a), the same in every process and release. A collision
/// only makes two unrelated transactions wait for each other.
pub(crate) fn key(id: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_distinguish_kinds() {
        assert_eq!(key("pi:pi_1"), key("pi:pi_1"));
        assert_ne!(key("pi:x"), key("cs:x"));
    }
}
