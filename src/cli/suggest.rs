//! "Did you mean ...?" for a word the user typed: an option (`--gpus`), a
//! SPEC keyword (`nvidai`), a config key (`stirct`). Pure; runs only when
//! there is already an error to report.

/// The candidate closest to `word` (case-insensitively), when it is close
/// enough to be a typo of it: at most one edit for words of up to four
/// letters, two for longer ones, and never the whole word. A swap of two
/// neighbouring letters counts as one edit (`nvidai` -> `nvidia`).
pub fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let word = word.to_ascii_lowercase();
    let len = word.chars().count();
    let limit = if len <= 4 { 1 } else { 2 };
    candidates
        .into_iter()
        .map(|c| (distance(&word, &c.to_ascii_lowercase()), c))
        .filter(|&(d, _)| d <= limit && d < len)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// The edit distance between `a` and `b` (insertions, deletions,
/// substitutions and swaps of neighbouring characters, each one edit: the
/// "optimal string alignment" distance).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the table: two back (for swaps), one back, this one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut row: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            row[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("gpu", ""), 3);
        assert_eq!(distance("", "gpu"), 3);
        assert_eq!(distance("gpus", "gpu"), 1);
        assert_eq!(distance("nvidai", "nvidia"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("ca", "abc"), 3);
        assert_eq!(distance("dry-rn", "dry-run"), 1);
    }

    #[test]
    fn typos_find_their_word_and_strangers_find_nothing() {
        let keywords = ["auto", "default", "nvidia", "amd", "intel", "discrete"];
        assert_eq!(closest("nvidai", keywords), Some("nvidia"));
        assert_eq!(closest("NVIDAI", keywords), Some("nvidia"));
        assert_eq!(closest("nvida", keywords), Some("nvidia"));
        assert_eq!(closest("amdd", keywords), Some("amd"));
        assert_eq!(closest("discreet", keywords), Some("discrete"));
        assert_eq!(closest("intell", keywords), Some("intel"));
        assert_eq!(closest("bogus", keywords), None);
        assert_eq!(closest("x", keywords), None);
        assert_eq!(closest("am", keywords), Some("amd"));
        // One letter is never a typo of a two-letter word it shares nothing with.
        assert_eq!(closest("q", ["ab"]), None);
        assert_eq!(closest("gpus", ["gpu", "list", "json"]), Some("gpu"));
    }
}
