//! Text normalization and the small local tokenizer the context rules use.
//!
//! Matching runs on a *normalized copy* of the note rather than on the note
//! itself, so that one automaton of lowercase ASCII patterns covers typographic
//! variants: curly apostrophes and quotes, en/em dashes and non-breaking
//! hyphens, non-breaking spaces, runs of whitespace, and upper case (ASCII plus
//! the Latin-1 capitals Spanish needs). Every folding either keeps the byte
//! length or shrinks a span, so the map back to the original is a short list of
//! breakpoints rather than a per-byte table: memory stays proportional to the
//! number of folded characters, not to the text.

/// A small multiply-rotate hasher (FxHash). Context lookups hash short words
/// many times per match; SipHash's DoS resistance buys nothing for a fixed,
/// built-in vocabulary and costs most of the lookup time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
        self.0 = h;
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = std::hash::BuildHasherDefault<FxHasher>;
pub(crate) type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuild>;
pub(crate) type FxHashSet<K> = std::collections::HashSet<K, FxBuild>;

/// Build a word set from a list.
pub(crate) fn word_set<S: AsRef<str>>(list: &[S]) -> FxHashSet<String> {
    list.iter().map(|s| s.as_ref().to_lowercase()).collect()
}

/// A normalized copy of a text plus enough information to map offsets back.
pub(crate) struct Normalized {
    /// Normalized text; always valid UTF-8 because every replacement is ASCII
    /// and untouched characters are copied whole.
    pub text: String,
    /// Breakpoints `(normalized offset, original offset)`; between two
    /// breakpoints the mapping is the identity plus a constant shift.
    breaks: Vec<(usize, usize)>,
    /// Quoted regions `[start, end)` in normalized offsets, sorted, disjoint.
    pub quotes: Vec<(usize, usize)>,
}

/// What a non-ASCII character folds to, if anything.
fn fold_char(c: char) -> Option<u8> {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '\u{02BC}' => Some(b'\''),
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{00AB}' | '\u{00BB}'
        | '\u{2033}' => Some(b'"'),
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => Some(b'-'),
        '\u{00A0}' | '\u{2007}' | '\u{2009}' | '\u{200A}' | '\u{202F}' | '\u{3000}' => Some(b' '),
        '\u{2028}' | '\u{2029}' | '\u{0085}' => Some(b'\n'),
        _ => None,
    }
}

thread_local! {
    /// One reusable output buffer per thread: allocating a fresh note-sized
    /// buffer per check was a measurable share of the run time.
    static NORM_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Buffers above this are not kept, so memory stays flat after a huge input.
const KEEP_BUF: usize = 1 << 20;

impl Drop for Normalized {
    fn drop(&mut self) {
        let text = std::mem::take(&mut self.text);
        if text.capacity() <= KEEP_BUF {
            let _ = NORM_BUF.try_with(|b| {
                if let Ok(mut b) = b.try_borrow_mut() {
                    if text.capacity() > b.capacity() {
                        *b = text.into_bytes();
                    }
                }
            });
        }
    }
}

/// The normalized form of a pattern or phrase (build time).
pub(crate) fn normalize(src: &str) -> String {
    Normalized::new(src).text.clone()
}

impl Normalized {
    pub fn new(src: &str) -> Normalized {
        let bytes = src.as_bytes();
        let mut out: Vec<u8> = NORM_BUF
            .try_with(|b| {
                b.try_borrow_mut()
                    .map(|mut b| std::mem::take(&mut *b))
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        out.clear();
        out.reserve(bytes.len());
        // Most notes are plain ASCII with single spaces: copy and lower-case in
        // bulk (both vectorize), no offset map needed.
        if is_plain(bytes) {
            out.extend_from_slice(bytes);
            out.make_ascii_lowercase();
            let text = String::from_utf8(out).unwrap_or_default();
            let quotes = find_quotes(text.as_bytes());
            return Normalized {
                text,
                breaks: Vec::new(),
                quotes,
            };
        }
        let mut breaks: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        // `pending_ws`: start of a whitespace run not yet emitted, and whether it held a newline.
        while i < bytes.len() {
            // fast path: a run of ASCII that needs at most lower-casing (done
            // in bulk at the end); a single space before a non-space stays as is
            let mut j = i;
            while j < bytes.len() {
                let b = bytes[j];
                if b > b' ' && b < 0x80 {
                    j += 1;
                } else if b == b' '
                    && j + 1 < bytes.len()
                    && bytes[j + 1] > b' '
                    && bytes[j + 1] < 0x80
                {
                    j += 2;
                } else {
                    break;
                }
            }
            if j > i {
                out.extend_from_slice(&bytes[i..j]);
                i = j;
                if i >= bytes.len() {
                    break;
                }
            }
            let b = bytes[i];
            if b < 0x80 {
                if b == b' ' || b == b'\t' || b == b'\r' || b == b'\n' || b == 0x0B || b == 0x0C {
                    // Collapse a whitespace run to one byte; keep a newline as
                    // '\n' because line breaks separate template fields.
                    let start = i;
                    let mut newline = false;
                    while i < bytes.len() {
                        match bytes[i] {
                            b' ' | b'\t' | b'\r' | 0x0B | 0x0C => i += 1,
                            b'\n' => {
                                newline = true;
                                i += 1
                            }
                            _ => {
                                // Non-ASCII spaces join the run as well.
                                if let Some(c) = src[i..].chars().next() {
                                    if let Some(f) = fold_char(c) {
                                        if f == b' ' || f == b'\n' {
                                            newline |= f == b'\n';
                                            i += c.len_utf8();
                                            continue;
                                        }
                                    }
                                }
                                break;
                            }
                        }
                    }
                    out.push(if newline { b'\n' } else { b' ' });
                    if i - start != 1 {
                        breaks.push((out.len(), i));
                    }
                    continue;
                }
                out.push(b);
                i += 1;
                continue;
            }
            // Non-ASCII: decode one char (src is valid UTF-8, so this always succeeds).
            let c = match src[i..].chars().next() {
                Some(c) => c,
                None => break,
            };
            let len = c.len_utf8();
            if let Some(f) = fold_char(c) {
                out.push(f);
                breaks.push((out.len(), i + len));
                i += len;
                continue;
            }
            if len == 2 && b == 0xC3 {
                // Latin-1 capitals À..Þ (except ×) lower-case by +0x20 on the
                // second byte: same length, no breakpoint needed.
                let b2 = bytes[i + 1];
                if (0x80..=0x9E).contains(&b2) && b2 != 0x97 {
                    out.push(0xC3);
                    out.push(b2 + 0x20);
                    i += 2;
                    continue;
                }
            }
            out.extend_from_slice(&bytes[i..i + len]);
            i += len;
        }
        out.make_ascii_lowercase();
        // Safe: we only ever pushed ASCII bytes or whole UTF-8 sequences copied
        // from a &str (the Latin-1 lowering maps a valid 2-byte sequence to another).
        let text = String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        let quotes = find_quotes(text.as_bytes());
        if !breaks.is_empty() {
            breaks.insert(0, (0, 0));
        }
        Normalized {
            text,
            breaks,
            quotes,
        }
    }

    /// Map a normalized offset (a char boundary) to the original text.
    pub fn to_orig(&self, pos: usize) -> usize {
        if self.breaks.is_empty() {
            return pos;
        }
        let idx = match self.breaks.binary_search_by(|&(n, _)| n.cmp(&pos)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let (n, o) = self.breaks[idx];
        o + (pos - n)
    }

    /// Map an original offset to the normalized text (exact for characters
    /// that were not folded, such as ASCII letters).
    pub fn to_norm(&self, pos: usize) -> usize {
        if self.breaks.is_empty() {
            return pos.min(self.text.len());
        }
        let idx = self
            .breaks
            .partition_point(|&(_, o)| o <= pos)
            .saturating_sub(1);
        let (n, o) = self.breaks[idx];
        (n + pos.saturating_sub(o)).min(self.text.len())
    }

    /// Whether normalized offset `pos` lies inside a quoted region.
    pub fn quote_at(&self, pos: usize) -> Option<(usize, usize)> {
        let idx = self.quotes.partition_point(|&(s, _)| s <= pos);
        if idx == 0 {
            return None;
        }
        let (s, e) = self.quotes[idx - 1];
        if pos >= s && pos < e {
            Some((s, e))
        } else {
            None
        }
    }
}

/// ASCII only, no tabs/CR/form feeds, no runs of whitespace: nothing to fold.
fn is_plain(bytes: &[u8]) -> bool {
    if !bytes.is_ascii() {
        return false;
    }
    let mut prev_ws = false;
    for &b in bytes {
        if b <= b' ' {
            if (b != b' ' && b != b'\n') || prev_ws {
                return false;
            }
            prev_ws = true;
        } else {
            prev_ws = false;
        }
    }
    true
}

/// Pair straight double quotes (after folding) into regions. An opening quote
/// with no partner closes at the end of its line, so one stray mark cannot
/// silence a whole note.
fn find_quotes(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    // most notes have no double quote at all; `contains` is a memchr
    if !b.contains(&b'"') {
        return out;
    }
    let mut open: Option<usize> = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'"' => match open {
                None => open = Some(i),
                Some(s) => {
                    out.push((s, i + 1));
                    open = None;
                }
            },
            b'\n' => {
                if let Some(s) = open.take() {
                    out.push((s, i));
                }
            }
            _ => {}
        }
    }
    if let Some(s) = open {
        out.push((s, b.len()));
    }
    out
}

/// Word characters for boundary checks: ASCII letters and digits, and any
/// non-ASCII alphanumeric character (accented letters, other scripts).
#[inline]
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (!c.is_ascii() && c.is_alphanumeric())
}

/// Character ending just before `pos` in `s` (pos must be a char boundary).
#[inline]
pub(crate) fn char_before(s: &str, pos: usize) -> Option<char> {
    s.get(..pos).and_then(|p| p.chars().next_back())
}

#[inline]
pub(crate) fn char_at(s: &str, pos: usize) -> Option<char> {
    s.get(pos..).and_then(|p| p.chars().next())
}

/// A match `[start, end)` of pattern `pat` sits on word boundaries: a pattern
/// that begins (ends) with a word character must not be glued to another word
/// character on that side.
pub(crate) fn on_word_boundaries(
    s: &str,
    start: usize,
    end: usize,
    pat_starts_word: bool,
    pat_ends_word: bool,
) -> bool {
    if pat_starts_word {
        if let Some(c) = char_before(s, start) {
            if is_word_char(c) {
                return false;
            }
        }
    }
    if pat_ends_word {
        if let Some(c) = char_at(s, end) {
            if is_word_char(c) {
                return false;
            }
        }
    }
    true
}

/// One word token of the normalized text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tok<'a> {
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
}

impl<'a> Tok<'a> {
    /// The token without a trailing possessive `'s` ("member's" → "member").
    pub fn base(&self) -> &'a str {
        self.text.strip_suffix("'s").unwrap_or(self.text)
    }
}

/// Up to `TOKBUF` tokens on the stack: context windows are small and hot,
/// and a heap allocation per window was a fifth of the run time.
pub(crate) const TOKBUF: usize = 16;

#[derive(Clone, Copy)]
pub(crate) struct TokBuf<'a> {
    buf: [Tok<'a>; TOKBUF],
    len: usize,
}

impl<'a> TokBuf<'a> {
    pub fn new() -> TokBuf<'a> {
        TokBuf {
            buf: [Tok {
                start: 0,
                end: 0,
                text: "",
            }; TOKBUF],
            len: 0,
        }
    }
    #[inline]
    pub fn push(&mut self, t: Tok<'a>) -> bool {
        if self.len < TOKBUF {
            self.buf[self.len] = t;
            self.len += 1;
            true
        } else {
            false
        }
    }
}

impl<'a> std::ops::Deref for TokBuf<'a> {
    type Target = [Tok<'a>];
    fn deref(&self) -> &[Tok<'a>] {
        &self.buf[..self.len]
    }
}

/// Characters that end a clause for context scoping.
#[inline]
fn is_clause_punct(c: char) -> bool {
    matches!(
        c,
        '.' | ';' | '!' | '?' | ':' | '\n' | '"' | '(' | ')' | '[' | ']' | '|' | '•'
    )
}

/// Words that end a clause for scoping even without punctuation.
pub(crate) fn is_clause_word(w: &str) -> bool {
    matches!(
        w,
        "but"
            | "however"
            | "although"
            | "though"
            | "whereas"
            | "except"
            | "yet"
            | "pero"
            | "aunque"
            | "sino"
    )
}

#[inline]
fn is_clause_punct_byte(c: u8) -> bool {
    matches!(
        c,
        b'.' | b';' | b'!' | b'?' | b':' | b'\n' | b'"' | b'(' | b')' | b'[' | b']' | b'|'
    )
}

/// Walk backwards from `pos` collecting up to `max` word tokens of the same
/// clause, nearest first. Returns the tokens and whether the clause start was
/// reached (rather than the limit). Byte-oriented: only non-ASCII characters
/// are decoded.
pub(crate) fn tokens_before(
    s: &str,
    pos: usize,
    max: usize,
    stop_words: bool,
) -> (TokBuf<'_>, bool) {
    let max = max.min(TOKBUF);
    let mut out = TokBuf::new();
    let b = s.as_bytes();
    let mut i = pos.min(b.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    loop {
        if out.len >= max {
            return (out, false);
        }
        // skip separators backwards
        loop {
            if i == 0 {
                return (out, true);
            }
            let c = b[i - 1];
            if c < 0x80 {
                if c.is_ascii_alphanumeric() || c == b'\'' {
                    break;
                }
                if is_clause_punct_byte(c) {
                    return (out, true);
                }
                i -= 1;
            } else {
                let ch = match char_before(s, i) {
                    Some(ch) => ch,
                    None => return (out, true),
                };
                if is_word_char(ch) {
                    break;
                }
                if is_clause_punct(ch) {
                    return (out, true);
                }
                i -= ch.len_utf8();
            }
        }
        let end = i;
        while i > 0 {
            let c = b[i - 1];
            if c < 0x80 {
                if c.is_ascii_alphanumeric() || c == b'\'' {
                    i -= 1;
                    continue;
                }
                break;
            }
            match char_before(s, i) {
                Some(ch) if is_word_char(ch) => i -= ch.len_utf8(),
                _ => break,
            }
        }
        let text = trim_quotes(&s[i..end]);
        if text.is_empty() {
            continue;
        }
        if stop_words && is_clause_word(text) {
            return (out, true);
        }
        out.push(Tok {
            start: i,
            end,
            text,
        });
    }
}

/// Walk forwards from `pos` collecting up to `max` word tokens of the same clause.
/// Returns the tokens and whether the clause end was reached.
pub(crate) fn tokens_after(
    s: &str,
    pos: usize,
    max: usize,
    stop_words: bool,
) -> (TokBuf<'_>, bool) {
    let max = max.min(TOKBUF);
    let mut out = TokBuf::new();
    let b = s.as_bytes();
    let mut i = pos.min(b.len());
    while i < b.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    loop {
        if out.len >= max {
            return (out, false);
        }
        loop {
            if i >= b.len() {
                return (out, true);
            }
            let c = b[i];
            if c < 0x80 {
                if c.is_ascii_alphanumeric() || c == b'\'' {
                    break;
                }
                if is_clause_punct_byte(c) {
                    return (out, true);
                }
                i += 1;
            } else {
                let ch = match char_at(s, i) {
                    Some(ch) => ch,
                    None => return (out, true),
                };
                if is_word_char(ch) {
                    break;
                }
                if is_clause_punct(ch) {
                    return (out, true);
                }
                i += ch.len_utf8();
            }
        }
        let start = i;
        while i < b.len() {
            let c = b[i];
            if c < 0x80 {
                if c.is_ascii_alphanumeric() || c == b'\'' {
                    i += 1;
                    continue;
                }
                break;
            }
            match char_at(s, i) {
                Some(ch) if is_word_char(ch) => i += ch.len_utf8(),
                _ => break,
            }
        }
        let text = trim_quotes(&s[start..i]);
        if text.is_empty() {
            continue;
        }
        if stop_words && is_clause_word(text) {
            return (out, true);
        }
        out.push(Tok {
            start,
            end: i,
            text,
        });
    }
}

/// Forward tokens into a growable vector (for whole sentences or quotes).
pub(crate) fn tokens_after_vec(s: &str, pos: usize, max: usize) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut i = pos.min(s.len());
    while out.len() < max {
        let (chunk, end) = tokens_after(s, i, TOKBUF, false);
        out.extend_from_slice(&chunk);
        match chunk.last() {
            Some(t) if !end && chunk.len() == TOKBUF => i = t.end,
            _ => break,
        }
    }
    out.truncate(max);
    out
}

/// Leading/trailing apostrophes are quote marks, not part of the word.
fn trim_quotes(w: &str) -> &str {
    let w = w.trim_start_matches('\'');
    if w.ends_with("s'") {
        // plural possessive ("members'") – keep the word, drop the mark
        return &w[..w.len() - 1];
    }
    w.trim_end_matches('\'')
}

/// The sentence around `[start, end)`: bounded by . ! ? or newline, and by a
/// window so that pathological input without punctuation stays cheap.
pub(crate) fn sentence_around(s: &str, start: usize, end: usize, window: usize) -> (usize, usize) {
    let b = s.as_bytes();
    let lo_limit = start.saturating_sub(window);
    let mut lo = start;
    while lo > lo_limit {
        let c = b[lo - 1];
        if c == b'.' || c == b'!' || c == b'?' || c == b'\n' {
            break;
        }
        lo -= 1;
    }
    let hi_limit = (end + window).min(b.len());
    let mut hi = end.min(b.len());
    while hi < hi_limit {
        let c = b[hi];
        if c == b'.' || c == b'!' || c == b'?' || c == b'\n' {
            break;
        }
        hi += 1;
    }
    while lo < b.len() && !s.is_char_boundary(lo) {
        lo += 1;
    }
    while hi > lo && !s.is_char_boundary(hi) {
        hi -= 1;
    }
    (lo, hi.max(lo))
}

/// Whether the token sequence `toks` (in reading order) starts with `phrase`.
pub(crate) fn starts_with_phrase(toks: &[Tok<'_>], phrase: &[String]) -> bool {
    phrase.len() <= toks.len()
        && phrase
            .iter()
            .zip(toks)
            .all(|(p, t)| p == t.text || p == t.base())
}

/// Whether the tokens before a position (nearest first) end with `phrase`
/// (given in reading order).
pub(crate) fn ends_with_phrase(before_nearest_first: &[Tok<'_>], phrase: &[String]) -> bool {
    let n = phrase.len();
    n <= before_nearest_first.len()
        && phrase
            .iter()
            .rev()
            .zip(before_nearest_first)
            .all(|(p, t)| p == t.text || p == t.base())
}

/// Split a phrase into lowercase word tokens the same way the tokenizer does.
pub(crate) fn phrase_tokens(p: &str) -> Vec<String> {
    let norm = normalize(p);
    tokens_after_vec(&norm, 0, 64)
        .iter()
        .map(|t| t.text.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_maps_back() {
        let src = "He’s  “clean” — Ég";
        let n = Normalized::new(src);
        assert_eq!(n.text, "he's \"clean\" - ég");
        let p = n.text.find("clean").unwrap_or(0);
        let o = n.to_orig(p);
        assert_eq!(&src[o..o + 5], "clean");
        let e = n.to_orig(n.text.len());
        assert_eq!(e, src.len());
        assert_eq!(n.quotes.len(), 1);
    }

    #[test]
    fn tokens_scope() {
        let s = "she said. the member is so tired, but he refused";
        let pos = s.find("refused").unwrap_or(0);
        let (t, start) = tokens_before(s, pos, 10, true);
        assert!(start);
        assert_eq!(t.iter().map(|t| t.text).collect::<Vec<_>>(), vec!["he"]);
    }
}

/// A set of token phrases indexed by first and last word, so a lookup costs a
/// hash probe instead of a scan of every phrase.
#[derive(Default)]
pub(crate) struct PhraseSet {
    by_first: FxHashMap<String, Vec<Vec<String>>>,
    by_last: FxHashMap<String, Vec<Vec<String>>>,
    /// Bitsets over (first byte, length) of the first and last words: most
    /// tokens are rejected here without hashing.
    sig_first: [u64; 4],
    sig_last: [u64; 4],
}

#[inline]
fn sig_bit(w: &str) -> usize {
    let b = w.as_bytes();
    let first = b.first().copied().unwrap_or(0) as usize;
    (first.wrapping_mul(31) ^ b.len().min(31)) & 255
}

#[inline]
fn sig_has(sig: &[u64; 4], w: &str) -> bool {
    let i = sig_bit(w);
    sig[i >> 6] & (1u64 << (i & 63)) != 0
}

#[inline]
fn sig_set(sig: &mut [u64; 4], w: &str) {
    let i = sig_bit(w);
    sig[i >> 6] |= 1u64 << (i & 63);
}

impl PhraseSet {
    pub fn new(phrases: Vec<Vec<String>>) -> PhraseSet {
        let mut ps = PhraseSet::default();
        for p in phrases {
            if let (Some(f), Some(l)) = (p.first().cloned(), p.last().cloned()) {
                sig_set(&mut ps.sig_first, &f);
                sig_set(&mut ps.sig_last, &l);
                ps.by_first.entry(f).or_default().push(p.clone());
                ps.by_last.entry(l).or_default().push(p);
            }
        }
        ps
    }

    pub fn from_strs<S: AsRef<str>>(list: &[S]) -> PhraseSet {
        PhraseSet::new(
            list.iter()
                .map(|p| phrase_tokens(p.as_ref()))
                .filter(|t| !t.is_empty())
                .collect(),
        )
    }

    fn candidates<'a>(
        map: &'a FxHashMap<String, Vec<Vec<String>>>,
        t: &Tok<'_>,
    ) -> impl Iterator<Item = &'a Vec<String>> {
        let a = map.get(t.text);
        let b = if t.base() != t.text {
            map.get(t.base())
        } else {
            None
        };
        a.into_iter().flatten().chain(b.into_iter().flatten())
    }

    /// Length of the longest phrase starting at `toks[i]` (reading order).
    pub fn match_at(&self, toks: &[Tok<'_>], i: usize) -> Option<usize> {
        let t = toks.get(i)?;
        if !sig_has(&self.sig_first, t.text) && !sig_has(&self.sig_first, t.base()) {
            return None;
        }
        Self::candidates(&self.by_first, t)
            .filter(|p| starts_with_phrase(&toks[i..], p))
            .map(|p| p.len())
            .max()
    }

    /// Whether a phrase starts the token list (reading order).
    pub fn starts(&self, toks: &[Tok<'_>]) -> bool {
        self.match_at(toks, 0).is_some()
    }

    /// Whether a phrase occurs anywhere in the token list (reading order).
    pub fn any_in(&self, toks: &[Tok<'_>]) -> bool {
        (0..toks.len()).any(|i| self.match_at(toks, i).is_some())
    }

    /// Whether a phrase ends right before a position, given the tokens before
    /// it nearest first.
    pub fn ends(&self, before_nearest_first: &[Tok<'_>]) -> bool {
        match before_nearest_first.first() {
            Some(t) if sig_has(&self.sig_last, t.text) || sig_has(&self.sig_last, t.base()) => {
                Self::candidates(&self.by_last, t)
                    .any(|p| ends_with_phrase(before_nearest_first, p))
            }
            _ => false,
        }
    }
}

/// Spans with an O(log n) overlap query (sorted starts + running max of ends).
#[derive(Default)]
pub(crate) struct SpanSet {
    spans: Vec<(usize, usize)>,
    max_end: Vec<usize>,
}

impl SpanSet {
    pub fn new(mut spans: Vec<(usize, usize)>) -> SpanSet {
        spans.sort_unstable();
        let mut max_end = Vec::with_capacity(spans.len());
        let mut m = 0;
        for &(_, e) in &spans {
            m = m.max(e);
            max_end.push(m);
        }
        SpanSet { spans, max_end }
    }

    /// Whether any span overlaps `[a, b)`.
    pub fn overlaps(&self, a: usize, b: usize) -> bool {
        let hi = self.spans.partition_point(|&(s, _)| s < b);
        hi > 0 && self.max_end[hi - 1] > a
    }

    /// Whether any span ends within `[lo, hi]` (used for markers just before a match).
    pub fn ends_within(&self, lo: usize, hi: usize) -> bool {
        // spans are few; starts before hi is a cheap bound
        let n = self.spans.partition_point(|&(s, _)| s < hi);
        self.spans[..n]
            .iter()
            .rev()
            .take(32)
            .any(|&(_, e)| e >= lo && e <= hi)
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}
