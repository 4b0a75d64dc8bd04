//! Text normalization: case and accent folding, word splitting and a light,
//! predictable stemmer (plural forms only).

/// Fold one character to lower-case ASCII where a plain Latin letter exists
/// (é → e, ñ → n, ò → o). Other letters and digits are kept lower-cased.
fn fold(c: char, out: &mut String) {
    let mapped = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        _ => {
            for l in c.to_lowercase() {
                out.push(l);
            }
            return;
        }
    };
    out.push(mapped);
}

/// Split text into folded words (runs of letters and digits). Apostrophes
/// inside a word are dropped ("women's" → "womens"), everything else
/// separates words. The literal two-character sequence `\n` (common in CSV
/// exports) also separates words.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            fold(c, &mut cur);
        } else if (c == '\'' || c == '’') && !cur.is_empty() && chars.peek().is_some_and(|n| n.is_alphanumeric()) {
            // apostrophe inside a word: skip it
        } else if c == '\\' && matches!(chars.peek(), Some('n') | Some('t') | Some('r')) {
            chars.next();
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Words that carry no meaning for ranking. They are neither indexed nor
/// required in a query.
pub const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into", "is", "it",
    "its", "of", "on", "or", "our", "that", "the", "their", "them", "they", "this", "to", "was", "we", "were",
    "will", "with", "who", "you", "your", "s",
];

/// Words typed in requests that say nothing about the service wanted.
pub const QUERY_STOPWORDS: &[&str] = &[
    "i", "me", "my", "need", "needs", "looking", "find", "where", "can", "get", "some", "please", "want", "someone",
    "somewhere", "place", "places", "any",
];

pub fn is_stopword(w: &str) -> bool {
    STOPWORDS.contains(&w)
}

/// Light stemmer: only plural forms, so its effect is easy to predict.
/// `services` → `service`, `pantries` → `pantry`, `classes` → `class`,
/// `churches` → `church`, `children` → `child`; words of three letters or
/// fewer, and words ending in `ss`, `us`, `is` are kept (`crisis`, `aids`
/// → `aid` is the one surprise: "aids" is stemmed like any plural).
pub fn stem(word: &str) -> String {
    match word {
        "children" => return "child".into(),
        "women" => return "woman".into(),
        "men" => return "man".into(),
        "people" => return "person".into(),
        "feet" => return "foot".into(),
        "teeth" => return "tooth".into(),
        "mice" => return "mouse".into(),
        _ => {}
    }
    let n = word.len();
    if n <= 3 || !word.is_ascii() || word.bytes().any(|b| b.is_ascii_digit()) {
        return word.to_string();
    }
    if word.ends_with("sses") {
        return word[..n - 2].to_string();
    }
    if word.ends_with("ies") && n > 4 {
        return format!("{}y", &word[..n - 3]);
    }
    for suf in ["xes", "ches", "shes", "zzes"] {
        if word.ends_with(suf) {
            return word[..n - 2].to_string();
        }
    }
    if word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") && !word.ends_with("is") {
        return word[..n - 1].to_string();
    }
    word.to_string()
}

/// Words → index terms (stemmed, stopwords removed).
pub fn terms(text: &str) -> Vec<String> {
    words(text).into_iter().filter(|w| !is_stopword(w)).map(|w| stem(&w)).collect()
}

/// Optimal string alignment distance (Damerau–Levenshtein with adjacent
/// transpositions), stopping early once `max` is exceeded.
pub fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let w = b.len() + 1;
    let mut prev2 = vec![0usize; w];
    let mut prev: Vec<usize> = (0..w).collect();
    let mut cur = vec![0usize; w];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// The typo budget for a query word: 1 edit from 4 letters, 2 from 8.
pub fn typo_budget(word: &str) -> usize {
    let n = word.chars().count();
    if n >= 8 {
        2
    } else if n >= 4 {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_case_accents_and_csv_newlines() {
        assert_eq!(words("Español, KREYÒL\\nFood-Bank women's"), ["espanol", "kreyol", "food", "bank", "womens"]);
    }

    #[test]
    fn stems_plurals_only() {
        for (w, s) in [
            ("services", "service"),
            ("pantries", "pantry"),
            ("classes", "class"),
            ("churches", "church"),
            ("crisis", "crisis"),
            ("status", "status"),
            ("houses", "house"),
            ("alcoholics", "alcoholic"),
            ("counseling", "counseling"),
            ("children", "child"),
            ("bus", "bus"),
            ("33125", "33125"),
        ] {
            assert_eq!(stem(w), s, "{w}");
        }
    }

    #[test]
    fn edit_distance_counts_transpositions_as_one() {
        assert_eq!(edit_distance("fod", "food", 1), Some(1));
        assert_eq!(edit_distance("pnatry", "pantry", 1), Some(1));
        assert_eq!(edit_distance("shleter", "shelter", 1), Some(1));
        assert_eq!(edit_distance("housing", "hosting", 1), None);
        assert_eq!(edit_distance("housing", "hosting", 2), Some(2));
        assert_eq!(edit_distance("abc", "abcdef", 2), None);
    }
}
