//! A tiny, frozen pseudo-random generator (splitmix64 seeding xoshiro256**).
//!
//! Written here rather than taken from `rand` so that a world generated from a seed never
//! changes when a crate is upgraded: tests and demo screenshots assert numbers from it.
//! The logarithm and exponential used for the distributions are computed with plain IEEE
//! arithmetic (+ − × ÷ are exactly rounded everywhere) instead of the platform's libm, whose
//! last bit may differ between systems and would shift a millisecond here and there.

/// splitmix64: used to expand a seed and to derive independent per-day seeds.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mix two values into one seed (for per-day and per-purpose streams).
pub fn derive_seed(seed: u64, salt: u64) -> u64 {
    let mut s = seed ^ salt.wrapping_mul(0xA24B_AED4_963E_E407);
    splitmix64(&mut s)
}

#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { s }
    }

    /// xoshiro256**.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n); n > 0. Multiply-shift keeps it branch-free and unbiased
    /// enough for simulation (bias < n / 2^64).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform integer in [lo, hi].
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Index drawn with probability proportional to `weights`.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// Exponential with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        // 1 − u is in (0, 1], so the logarithm is finite.
        -mean * ln(1.0 - self.unit())
    }

    /// Log-normal with the given median and shape sigma (sum of 4 uniforms ≈ normal,
    /// which is plenty for waiting and typing times and needs no transcendental function).
    pub fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        let z =
            (self.unit() + self.unit() + self.unit() + self.unit() - 2.0) * 1.732_050_807_568_877_2;
        median * exp(sigma * z)
    }
}

/// Natural logarithm from basic arithmetic: x = m·2^e with m in [1, 2), then
/// ln m = 2·atanh((m−1)/(m+1)) by its series, which converges fast for |t| ≤ 1/3.
pub fn ln(x: f64) -> f64 {
    assert!(x > 0.0 && x.is_finite(), "ln of {x}");
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if e == -1023 {
        // Subnormal: normalise by multiplying by 2^52 (exact).
        let y = x * (1u64 << 52) as f64;
        let b = y.to_bits();
        e = ((b >> 52) & 0x7ff) as i64 - 1023 - 52;
        m = f64::from_bits((b & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    }
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let mut term = t;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 60.0 {
        sum += term / k;
        term *= t2;
        k += 2.0;
    }
    2.0 * sum + e as f64 * std::f64::consts::LN_2
}

/// e^x from basic arithmetic: x = k·ln2 + r, e^r by its Taylor series, then scale by 2^k.
pub fn exp(x: f64) -> f64 {
    let k = (x / std::f64::consts::LN_2).round();
    let r = x - k * std::f64::consts::LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut n = 1.0;
    while n < 25.0 {
        term *= r / n;
        sum += term;
        n += 1.0;
    }
    let k = k as i32;
    sum * 2f64.powi(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_sequence_is_frozen() {
        // Reference values of splitmix64 from its published test vector (seed 0).
        let mut s = 0u64;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(&mut s), 0x6E78_9E6A_A1B9_65F4);
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::new(8).next_u64(), xs[0]);
    }

    #[test]
    fn ln_and_exp_match_libm_closely() {
        for x in [1e-300, 0.001, 0.5, 1.0, 2.0, 10.0, 12345.678] {
            assert!(
                (ln(x) - x.ln()).abs() < 1e-12 * x.ln().abs().max(1.0),
                "ln {x}"
            );
        }
        for x in [-20.0, -1.0, 0.0, 0.3, 1.0, 5.5] {
            assert!((exp(x) - x.exp()).abs() < 1e-12 * x.exp(), "exp {x}");
        }
    }

    #[test]
    fn distributions_have_their_means() {
        let mut r = Rng::new(1);
        let n = 20000;
        let mean: f64 = (0..n).map(|_| r.exponential(30.0)).sum::<f64>() / n as f64;
        assert!((mean - 30.0).abs() < 1.5, "{mean}");
        let mut counts = [0u32; 3];
        for _ in 0..n {
            counts[r.weighted(&[1.0, 2.0, 1.0])] += 1;
        }
        assert!((counts[1] as f64 / n as f64 - 0.5).abs() < 0.02);
        for _ in 0..1000 {
            let v = r.range(3, 5);
            assert!((3..=5).contains(&v));
        }
    }
}
