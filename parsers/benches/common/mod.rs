//! What the benches share: a small deterministic generator (xorshift), so
//! that runs compare, and the addresses it draws.

#![allow(dead_code)]

/// A xorshift generator.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// One of `items`.
    pub fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.below(items.len() as u64) as usize]
    }

    /// An IPv4 address: a third each in 10/8, 172.31/16 and public space.
    pub fn ip(&mut self) -> String {
        match self.below(3) {
            0 => format!(
                "10.{}.{}.{}",
                self.below(256),
                self.below(256),
                1 + self.below(254)
            ),
            1 => format!("172.31.{}.{}", self.below(256), 1 + self.below(254)),
            _ => format!(
                "{}.{}.{}.{}",
                1 + self.below(222),
                self.below(256),
                self.below(256),
                1 + self.below(254)
            ),
        }
    }
}
