//! Principal component projection by subspace iteration on the covariance matrix:
//! deterministic (fixed start), no linear-algebra dependency, fast for d = 384.

/// Projects mean-centred `vectors` onto their top `k` principal components.
pub fn project(vectors: &[Vec<f32>], k: usize) -> Vec<Vec<f32>> {
    let n = vectors.len();
    let d = vectors.first().map_or(0, Vec::len);
    if n == 0 || d == 0 || k == 0 {
        return vec![Vec::new(); n];
    }
    let k = k.min(d);
    let mut mean = vec![0.0f64; d];
    for v in vectors {
        mean.iter_mut().zip(v).for_each(|(m, x)| *m += *x as f64);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    // Covariance, upper triangle then mirrored.
    let mut cov = vec![0.0f64; d * d];
    let mut centred = vec![0.0f64; d];
    for v in vectors {
        centred
            .iter_mut()
            .zip(v.iter().zip(&mean))
            .for_each(|(c, (x, m))| *c = *x as f64 - m);
        for i in 0..d {
            let ci = centred[i];
            let row = &mut cov[i * d..(i + 1) * d];
            for j in i..d {
                row[j] += ci * centred[j];
            }
        }
    }
    for i in 0..d {
        for j in 0..i {
            cov[i * d + j] = cov[j * d + i];
        }
    }
    // Subspace iteration from a fixed pseudo-random start.
    let mut q: Vec<Vec<f64>> = (0..k)
        .map(|c| {
            (0..d)
                .map(|r| (((r * 7919 + c * 104_729) % 1009) as f64 / 1009.0) - 0.5)
                .collect()
        })
        .collect();
    orthonormalise(&mut q);
    for _ in 0..40 {
        let mut z: Vec<Vec<f64>> = q
            .iter()
            .map(|col| {
                (0..d)
                    .map(|i| {
                        cov[i * d..(i + 1) * d]
                            .iter()
                            .zip(col)
                            .map(|(a, b)| a * b)
                            .sum()
                    })
                    .collect()
            })
            .collect();
        orthonormalise(&mut z);
        q = z;
    }
    vectors
        .iter()
        .map(|v| {
            q.iter()
                .map(|col| {
                    col.iter()
                        .zip(v.iter().zip(&mean))
                        .map(|(c, (x, m))| c * (*x as f64 - m))
                        .sum::<f64>() as f32
                })
                .collect()
        })
        .collect()
}

/// Modified Gram-Schmidt on the columns.
fn orthonormalise(cols: &mut [Vec<f64>]) {
    for i in 0..cols.len() {
        for j in 0..i {
            let dot: f64 = cols[i].iter().zip(&cols[j]).map(|(a, b)| a * b).sum();
            let (left, right) = cols.split_at_mut(i);
            right[0]
                .iter_mut()
                .zip(&left[j])
                .for_each(|(a, b)| *a -= dot * b);
        }
        let norm = cols[i].iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 1e-12 {
            cols[i].iter_mut().for_each(|x| *x /= norm);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_component_follows_the_spread() {
        // Points spread along (1, 1, 0) with small noise on the other axes.
        let pts: Vec<Vec<f32>> = (0..50)
            .map(|i| {
                let t = i as f32 - 25.0;
                vec![
                    t + 0.01 * (i % 3) as f32,
                    t - 0.01 * (i % 5) as f32,
                    0.02 * (i % 7) as f32,
                ]
            })
            .collect();
        let proj = project(&pts, 1);
        let spread: f32 = proj.iter().map(|p| p[0] * p[0]).sum::<f32>() / 50.0;
        assert!(spread > 200.0, "{spread}");
    }
}
