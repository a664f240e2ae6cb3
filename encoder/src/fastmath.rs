//! Branch-free `exp` and `erf` for the encoder's elementwise loops: written as plain
//! arithmetic so a loop over them vectorises, accurate to a few parts in 10⁷ (the unit tests
//! hold them to the standard library's functions).

const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in two, so `x - k·ln 2` keeps its precision for large `k`.
const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;
/// Adding then subtracting 1.5·2²³ rounds an f32 to the nearest integer.
const ROUND: f32 = 12_582_912.0;

/// e^x for x in [-87, 88]; inputs beyond are clamped (the results underflow or overflow anyway).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let k = (x * LOG2_E + ROUND) - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Taylor series of e^r on |r| <= ln2/2: the r^7 term is below 2e-7 of the result.
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    p * f32::from_bits(((k as i32 + 127) << 23) as u32)
}

/// The error function, by Abramowitz and Stegun's formula 7.1.26 (absolute error ≤ 1.5e-7).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp(-a * a);
    y.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference erf in f64 (series for small |x|, continued fraction beyond), independent of
    /// the approximation under test.
    fn erf_reference(x: f64) -> f64 {
        let a = x.abs();
        let value = if a < 2.5 {
            let (mut term, mut sum, mut n) = (a, a, 0.0);
            while term.abs() > 1e-17 {
                n += 1.0;
                term *= -a * a / n;
                sum += term / (2.0 * n + 1.0);
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            let mut f = 0.0;
            for k in (1..60).rev() {
                f = k as f64 / 2.0 / (a + f);
            }
            1.0 - (-a * a).exp() / std::f64::consts::PI.sqrt() / (a + f)
        };
        value.copysign(x)
    }

    #[test]
    fn exp_matches_the_standard_library() {
        let mut worst = 0.0f32;
        for i in -80_000..=80_000 {
            let x = i as f32 / 1000.0;
            let (got, want) = (exp(x), x.exp());
            worst = worst.max(((got - want) / want).abs());
        }
        assert!(worst < 4e-7, "relative error {worst}");
        let clamped = (-87.0f32).exp();
        assert!(((exp(-1000.0) - clamped) / clamped).abs() < 4e-7);
    }

    #[test]
    fn erf_matches_a_reference() {
        let mut worst = 0.0f64;
        for i in -6_000..=6_000 {
            let x = i as f32 / 1000.0;
            worst = worst.max((f64::from(erf(x)) - erf_reference(f64::from(x))).abs());
        }
        // The formula is good to 1.5e-7; f32 rounding of its steps adds a little.
        assert!(worst < 1e-6, "absolute error {worst}");
        // Odd by construction: erf(-x) = -erf(x).
        assert_eq!(erf(-0.7), -erf(0.7));
    }
}
