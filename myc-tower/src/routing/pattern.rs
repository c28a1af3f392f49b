//! Route patterns: wildmatch (`*` any run including `/`, `?` one character) and whether
//! two patterns can match a common path.

/// Wildmatch: `*` any run (including `/`), `?` one character.
pub fn wildmatch(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        // Bytes are characters: no allocation on the request path.
        return wildmatch_units(pattern.as_bytes(), text.as_bytes(), b'*', b'?');
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    wildmatch_units(&p, &t, '*', '?')
}

/// Iterative matching with a single backtrack point: linear-ish, no exponential blow-up.
fn wildmatch_units<T: PartialEq + Copy>(p: &[T], t: &[T], star_unit: T, any: T) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != star_unit && (p[pi] == any || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == star_unit {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == star_unit)
}

/// Whether some text matches both patterns.
pub fn patterns_intersect(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // reach[i][j]: a[..i] and b[..j] can be consumed by a common prefix of text.
    let mut reach = vec![vec![false; b.len() + 1]; a.len() + 1];
    reach[0][0] = true;
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            if !reach[i][j] {
                continue;
            }
            // A star may match the empty string.
            if i < a.len() && a[i] == '*' {
                reach[i + 1][j] = true;
            }
            if j < b.len() && b[j] == '*' {
                reach[i][j + 1] = true;
            }
            // Both consume one character of the text.
            if i < a.len() && j < b.len() {
                let (x, y) = (a[i], b[j]);
                let same_char = x == y || x == '?' || y == '?' || x == '*' || y == '*';
                if same_char {
                    // A star that consumes a character stays in place.
                    let ni = if x == '*' { i } else { i + 1 };
                    let nj = if y == '*' { j } else { j + 1 };
                    if (ni, nj) != (i, j) {
                        reach[ni][nj] = true;
                    }
                }
            }
        }
    }
    reach[a.len()][b.len()]
}
