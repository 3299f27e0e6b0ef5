//! Shell-style file name patterns with Python's `fnmatch` semantics.
//!
//! `*` matches any run of characters (including `/`), `?` one character, `[seq]` one character
//! in the set and `[!seq]` one character outside it; there is no way to quote a metacharacter.
//! Sets follow Python's rules: a `]` right after `[` or `[!` is literal, a `-` at either end is
//! literal, a descending range such as `z-a` is dropped, and a `[` without a closing `]` is a
//! literal `[`. The pattern must match the whole name.

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    regex: Option<regex::Regex>,
}

impl Pattern {
    /// Compiles a pattern; it never fails (every string is a valid pattern).
    pub fn new(pattern: &str) -> Self {
        match translate(pattern) {
            Some(source) => {
                let regex = regex::RegexBuilder::new(&source).size_limit(64 << 20).build().ok();
                Self { regex }
            }
            None => Self { regex: None },
        }
    }

    /// True when `name` matches the whole pattern (case-sensitively).
    pub fn matches(&self, name: &str) -> bool {
        self.regex.as_ref().is_some_and(|re| re.is_match(name))
    }
}

fn push_literal(out: &mut String, c: char) {
    out.push_str(&format!("\\x{{{:x}}}", c as u32));
}

/// The regular expression for a pattern, or `None` when it can match nothing (an empty set).
fn translate(pattern: &str) -> Option<String> {
    let pat: Vec<char> = pattern.chars().collect();
    let n = pat.len();
    let mut out = String::from("^(?s:");
    let mut i = 0;
    let mut last_was_star = false;
    while i < n {
        let c = pat[i];
        i += 1;
        let is_star = c == '*';
        match c {
            '*' if last_was_star => {}
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => match set_end(&pat, i) {
                None => push_literal(&mut out, '['),
                Some(j) => {
                    let class = set_class(&pat, i, j)?;
                    out.push_str(&class);
                    i = j + 1;
                }
            },
            _ => push_literal(&mut out, c),
        }
        last_was_star = is_star;
    }
    out.push_str(")\\z");
    Some(out)
}

/// Index of the `]` that closes a set opened just before `start`.
fn set_end(pat: &[char], start: usize) -> Option<usize> {
    let mut j = start;
    if j < pat.len() && pat[j] == '!' {
        j += 1;
    }
    if j < pat.len() && pat[j] == ']' {
        j += 1;
    }
    while j < pat.len() && pat[j] != ']' {
        j += 1;
    }
    (j < pat.len()).then_some(j)
}

/// The regex class for the set `pat[start..end]`; `None` when the set is empty (no match).
fn set_class(pat: &[char], start: usize, end: usize) -> Option<String> {
    let negated = pat[start] == '!';
    // Split the set into chunks at the hyphens that form ranges: a range runs from the last
    // character of one chunk to the first of the next.
    let mut chunks: Vec<Vec<char>> = Vec::new();
    let mut chunk_start = start;
    let mut k = if negated { start + 2 } else { start + 1 };
    while k < end {
        match pat[k..end].iter().position(|&c| c == '-') {
            None => break,
            Some(offset) => {
                let hyphen = k + offset;
                chunks.push(pat[chunk_start..hyphen].to_vec());
                chunk_start = hyphen + 1;
                k = hyphen + 3;
            }
        }
    }
    let tail = pat[chunk_start..end].to_vec();
    if tail.is_empty() {
        // A trailing hyphen is literal.
        match chunks.last_mut() {
            Some(last) => last.push('-'),
            None => chunks.push(tail),
        }
    } else {
        chunks.push(tail);
    }
    // Drop descending ranges, merging their two chunks.
    let mut k = chunks.len();
    while k > 1 {
        k -= 1;
        let (Some(&last), Some(&first)) = (chunks[k - 1].last(), chunks[k].first()) else { continue };
        if last > first {
            let mut merged = chunks[k - 1][..chunks[k - 1].len() - 1].to_vec();
            merged.extend_from_slice(&chunks[k][1..]);
            chunks[k - 1] = merged;
            chunks.remove(k);
        }
    }
    // Flatten, remembering which positions start a range.
    let mut chars: Vec<char> = Vec::new();
    let mut range_starts: Vec<usize> = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        if index > 0 && !chars.is_empty() && !chunk.is_empty() {
            range_starts.push(chars.len() - 1);
        }
        chars.extend_from_slice(chunk);
    }
    let body_start = usize::from(negated && chars.first() == Some(&'!'));
    let body = &chars[body_start..];
    if body.is_empty() {
        // `[]`-like sets match nothing; a negated empty set matches any character.
        return if negated { Some(".".into()) } else { None };
    }
    let mut class = String::from(if negated { "[^" } else { "[" });
    let mut p = 0;
    while p < body.len() {
        let absolute = p + body_start;
        if range_starts.contains(&absolute) && p + 1 < body.len() {
            push_literal(&mut class, body[p]);
            class.push('-');
            push_literal(&mut class, body[p + 1]);
            p += 2;
        } else {
            push_literal(&mut class, body[p]);
            p += 1;
        }
    }
    class.push(']');
    Some(class)
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn m(pattern: &str, name: &str) -> bool {
        Pattern::new(pattern).matches(name)
    }

    #[test]
    fn wildcards() {
        assert!(m("*.py", "/srv/app/x.py"));
        assert!(!m("*.py", "/srv/app/x.pyc"));
        assert!(m("/srv/*/x.py", "/srv/a/b/x.py"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("**a", "xxa"));
        assert!(m("*", ""));
        assert!(m("a.b", "a.b"));
        assert!(!m("a.b", "axb"));
        assert!(m("(x)+", "(x)+"));
        assert!(m("a\\b", "a\\b"));
    }

    #[test]
    fn sets() {
        assert!(m("[hc]*.py", "cache.py"));
        assert!(!m("[hc]*.py", "render.py"));
        assert!(m("[!hc]*", "render.py"));
        assert!(!m("[!hc]*", "cache.py"));
        assert!(m("[]]", "]"));
        assert!(m("[!]]", "a"));
        assert!(!m("[!]]", "]"));
        assert!(m("[a-c]", "b"));
        assert!(!m("[a-c]", "-"));
        assert!(m("[a-]", "-"));
        assert!(m("[-a]", "-"));
        assert!(m("[a-c-e]", "-"));
        assert!(m("[a-c-e]", "e"));
        assert!(!m("[a-c-e]", "d"));
        // A descending range is dropped: nothing matches; negated, anything does.
        assert!(!m("[z-a]", "m"));
        assert!(m("[!z-a]", "m"));
        // An unclosed set is a literal bracket.
        assert!(m("[abc", "[abc"));
        assert!(m("[\\]", "\\"));
        assert!(m("[^a]", "^"));
        assert!(!m("[^a]", "b"));
    }
}
