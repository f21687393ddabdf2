//! The 双随机 draw: merchants drawn at random from a population, weighted by risk, and two
//! inspectors drawn at random for each. Everything a draw depends on is published — the
//! sampling frame (USCCs with their weights, in order), the inspector pool (ids, in
//! order), the sample size and the seed — so that anyone can replay it with this function
//! and get the same merchants and inspectors.
//!
//! The algorithm, exactly: a ChaCha8 generator (`rand_chacha` 0.9) seeded with
//! `seed_from_u64(seed)`. For each of `n` rounds, draw `r` uniformly in `0..total weight`
//! of the merchants not yet drawn (`random_range`), walk the frame in order summing
//! weights, and take the merchant whose cumulative weight first exceeds `r`. Then, for
//! that merchant, draw two distinct inspectors: `i = random_range(0..k)`, then
//! `j = random_range(0..k-1)`, `j += 1` when `j >= i`. Integer arithmetic only, so the
//! result does not depend on the platform.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use crate::model::Grade;

/// The weight a merchant of each grade carries in a draw: riskier merchants are drawn
/// more often (SAMR's credit-risk classified supervision).
pub fn grade_weight(grade: Option<Grade>) -> u32 {
    match grade {
        Some(Grade::A) => 1,
        Some(Grade::B) => 2,
        Some(Grade::C) => 3,
        Some(Grade::D) => 4,
        None => 2,
    }
}

/// One drawn merchant: its position in the frame and the positions of its inspectors in
/// the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    pub frame_index: usize,
    pub inspectors: [usize; 2],
}

/// Why a draw cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("the population has {population} merchants, fewer than the {wanted} asked for")]
    PopulationTooSmall { population: usize, wanted: usize },
    #[error("a draw needs at least two active inspectors; the pool has {0}")]
    TooFewInspectors(usize),
    #[error("every merchant of the frame needs a weight above zero")]
    ZeroWeight,
}

/// Draws `n` merchants from `frame` (weights, in frame order) and two inspectors each
/// from a pool of `inspectors`; see the module documentation for the exact algorithm.
pub fn draw(
    frame: &[u32],
    inspectors: usize,
    n: usize,
    seed: u64,
) -> Result<Vec<Drawn>, DrawError> {
    if frame.len() < n {
        return Err(DrawError::PopulationTooSmall {
            population: frame.len(),
            wanted: n,
        });
    }
    if inspectors < 2 {
        return Err(DrawError::TooFewInspectors(inspectors));
    }
    if frame.contains(&0) {
        return Err(DrawError::ZeroWeight);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut taken = vec![false; frame.len()];
    let mut total: u64 = frame.iter().map(|w| u64::from(*w)).sum();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let r = rng.random_range(0..total);
        let mut acc = 0u64;
        let mut chosen = 0;
        for (i, w) in frame.iter().enumerate() {
            if taken[i] {
                continue;
            }
            acc += u64::from(*w);
            if acc > r {
                chosen = i;
                break;
            }
        }
        taken[chosen] = true;
        total -= u64::from(frame[chosen]);
        let first = rng.random_range(0..inspectors);
        let mut second = rng.random_range(0..inspectors - 1);
        if second >= first {
            second += 1;
        }
        out.push(Drawn {
            frame_index: chosen,
            inspectors: [first, second],
        });
    }
    Ok(out)
}

/// SHA-256 of a frame as published (`uscc,weight` lines), so a replay can check it has
/// the same frame.
pub fn frame_digest<'a>(frame: impl IntoIterator<Item = (&'a str, u32)>) -> String {
    let mut h = Sha256::new();
    for (uscc, weight) in frame {
        h.update(format!("{uscc},{weight}\n").as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same() {
        let frame: Vec<u32> = (0..500).map(|i| 1 + (i % 4)).collect();
        let a = draw(&frame, 7, 20, 42).unwrap();
        assert_eq!(a, draw(&frame, 7, 20, 42).unwrap());
        assert_ne!(a, draw(&frame, 7, 20, 43).unwrap());
        let mut picked: Vec<usize> = a.iter().map(|d| d.frame_index).collect();
        picked.sort_unstable();
        picked.dedup();
        assert_eq!(picked.len(), 20, "no merchant is drawn twice");
        assert!(
            a.iter()
                .all(|d| d.inspectors[0] != d.inspectors[1] && d.inspectors.iter().all(|i| *i < 7))
        );
    }

    #[test]
    fn riskier_merchants_are_drawn_more_often() {
        // Half A (weight 1), half D (weight 4): D should be about four fifths of draws.
        let frame: Vec<u32> = (0..1000).map(|i| if i < 500 { 1 } else { 4 }).collect();
        let mut d = 0;
        for seed in 0..50 {
            d += draw(&frame, 2, 10, seed)
                .unwrap()
                .iter()
                .filter(|x| x.frame_index >= 500)
                .count();
        }
        assert!((340..=460).contains(&d), "{d} of 500 draws were D");
    }

    #[test]
    fn refuses_what_cannot_be_drawn() {
        assert_eq!(
            draw(&[1, 1], 3, 3, 1),
            Err(DrawError::PopulationTooSmall {
                population: 2,
                wanted: 3
            })
        );
        assert_eq!(draw(&[1, 1], 1, 1, 1), Err(DrawError::TooFewInspectors(1)));
        assert_eq!(draw(&[1, 0], 2, 1, 1), Err(DrawError::ZeroWeight));
    }

    #[test]
    fn the_draw_is_pinned() {
        // A published draw must replay forever: this pins the algorithm and the generator.
        let frame = [1, 2, 3, 4, 1, 2, 3, 4];
        let d = draw(&frame, 5, 3, 2019).unwrap();
        let got: Vec<(usize, [usize; 2])> =
            d.iter().map(|x| (x.frame_index, x.inspectors)).collect();
        assert_eq!(got, PINNED);
    }

    const PINNED: [(usize, [usize; 2]); 3] = [(6, [0, 3]), (7, [1, 3]), (1, [4, 2])];
}
