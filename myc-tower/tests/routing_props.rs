//! Property tests of the routing primitives against brute force.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use myc_tower::routing::{normalize, patterns_intersect, wildmatch};
use proptest::prelude::*;

fn texts(max: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut frontier = vec![String::new()];
    for _ in 0..max {
        let mut next = Vec::new();
        for t in &frontier {
            for c in ['a', 'b', '/'] {
                next.push(format!("{t}{c}"));
            }
        }
        all.extend(next.iter().cloned());
        frontier = next;
    }
    all
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// `patterns_intersect` agrees with a search for a common text (patterns of ≤ 3 symbols
    /// have a shortest common text of ≤ 6 characters).
    #[test]
    fn intersection_matches_brute_force(a in "[ab/*?]{0,3}", b in "[ab/*?]{0,3}") {
        let witness = texts(6).into_iter().any(|t| wildmatch(&a, &t) && wildmatch(&b, &t));
        prop_assert_eq!(patterns_intersect(&a, &b), witness, "{:?} {:?}", a, b);
    }

    /// Whatever normalize accepts has no dot segment and no separator smuggled by encoding.
    #[test]
    fn normalized_paths_are_safe(raw in "/[a-z./%25fFeE2c\\\\]{0,24}") {
        if let Ok(path) = normalize(&raw) {
            prop_assert!(path.starts_with('/'));
            prop_assert!(path.split('/').all(|s| s != "." && s != ".."));
            prop_assert!(!path.contains('\\'));
            prop_assert_eq!(path.matches('/').count(), raw.matches('/').count());
        }
    }
}
