//! External clustering quality against known labels: normalised mutual information
//! (arithmetic mean normalisation) and the adjusted Rand index.

use std::{collections::HashMap, hash::Hash};

/// Joint counts and the two marginal counts of a pair of labelings.
struct Counts<A, B> {
    joint: HashMap<(A, B), f64>,
    a: HashMap<A, f64>,
    b: HashMap<B, f64>,
}

fn contingency<A: Eq + Hash + Copy, B: Eq + Hash + Copy>(a: &[A], b: &[B]) -> Counts<A, B> {
    let mut c = Counts {
        joint: HashMap::new(),
        a: HashMap::new(),
        b: HashMap::new(),
    };
    for (x, y) in a.iter().zip(b) {
        *c.joint.entry((*x, *y)).or_insert(0.0) += 1.0;
        *c.a.entry(*x).or_insert(0.0) += 1.0;
        *c.b.entry(*y).or_insert(0.0) += 1.0;
    }
    c
}

fn entropy<K>(counts: &HashMap<K, f64>, n: f64) -> f64 {
    counts
        .values()
        .map(|c| c / n)
        .filter(|p| *p > 0.0)
        .map(|p| -p * p.ln())
        .sum()
}

pub fn nmi<A: Eq + std::hash::Hash + Copy, B: Eq + std::hash::Hash + Copy>(
    truth: &[A],
    pred: &[B],
) -> f64 {
    let n = truth.len() as f64;
    if n == 0.0 {
        return 0.0;
    }
    let Counts {
        joint,
        a: ca,
        b: cb,
    } = contingency(truth, pred);
    let mi: f64 = joint
        .iter()
        .map(|((x, y), c)| (c / n) * ((c * n) / (ca[x] * cb[y])).ln())
        .sum();
    let (ha, hb) = (entropy(&ca, n), entropy(&cb, n));
    if ha + hb == 0.0 {
        1.0
    } else {
        2.0 * mi / (ha + hb)
    }
}

pub fn ari<A: Eq + std::hash::Hash + Copy, B: Eq + std::hash::Hash + Copy>(
    truth: &[A],
    pred: &[B],
) -> f64 {
    let comb = |x: f64| x * (x - 1.0) / 2.0;
    let n = truth.len() as f64;
    let Counts {
        joint,
        a: ca,
        b: cb,
    } = contingency(truth, pred);
    let index: f64 = joint.values().map(|c| comb(*c)).sum();
    let sa: f64 = ca.values().map(|c| comb(*c)).sum();
    let sb: f64 = cb.values().map(|c| comb(*c)).sum();
    let expected = sa * sb / comb(n);
    let max = (sa + sb) / 2.0;
    if max == expected {
        1.0
    } else {
        (index - expected) / (max - expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_partitions_score_one_and_independent_ones_near_zero() {
        let a = [0, 0, 1, 1, 2, 2];
        let relabelled = [5, 5, 3, 3, 9, 9];
        assert!((nmi(&a, &relabelled) - 1.0).abs() < 1e-9);
        assert!((ari(&a, &relabelled) - 1.0).abs() < 1e-9);
        let b = [0, 1, 0, 1, 0, 1];
        assert!(nmi(&a, &b) < 0.2);
        assert!(ari(&a, &b) < 0.1);
    }
}
