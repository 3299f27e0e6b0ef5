//! The snapshot's string table: every string decoded once into one buffer.

/// All strings of a snapshot, stored back to back in one UTF-8 buffer.
///
/// Memory: the decoded bytes plus 8 bytes per string.
#[derive(Clone, Debug, Default)]
pub struct StringTable {
    data: String,
    /// `ends[i]` is the end of string `i` in `data`; string `i` starts at `ends[i - 1]` (or 0).
    ends: Vec<u64>,
}

impl StringTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a string and returns its index.
    pub fn push(&mut self, s: &str) -> u32 {
        self.data.push_str(s);
        self.ends.push(self.data.len() as u64);
        (self.ends.len() - 1) as u32
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no strings.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// String `index`, or `""` when the index is out of range.
    pub fn get(&self, index: u32) -> &str {
        let i = index as usize;
        let Some(&end) = self.ends.get(i) else { return "" };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        // Every boundary was recorded after a whole `&str` was appended, so both ends fall on
        // character boundaries.
        self.data.get(start as usize..end as usize).unwrap_or("")
    }

    /// Total decoded bytes.
    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    /// Iterates over all strings in index order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len() as u32).map(move |i| self.get(i))
    }

    /// The indexes of the strings that contain `needle`, ascending: one search through the
    /// whole buffer rather than one per string. `needle` must not be able to overlap itself
    /// (no proper suffix of it is also a prefix), so no match can hide another.
    pub fn containing(&self, needle: &str) -> Vec<u32> {
        let mut found: Vec<u32> = Vec::new();
        for at in memchr::memmem::find_iter(self.data.as_bytes(), needle.as_bytes()) {
            // The string the match starts in; a match that runs into the next string is not
            // inside one string at all.
            let index = self.ends.partition_point(|&end| end <= at as u64);
            let inside = self.ends.get(index).is_some_and(|&end| (at + needle.len()) as u64 <= end);
            if inside && found.last() != Some(&(index as u32)) {
                found.push(index as u32);
            }
        }
        found
    }

    /// The indexes of the strings equal to `text`, ascending (V8 writes each string once, so
    /// usually one).
    pub fn indexes_of(&self, text: &str) -> Vec<u32> {
        let mut start = 0u64;
        let mut found = Vec::new();
        for (i, &end) in self.ends.iter().enumerate() {
            if end - start == text.len() as u64 && self.get(i as u32) == text {
                found.push(i as u32);
            }
            start = end;
        }
        found
    }

    /// Reserves room for about `strings` more strings holding `bytes` more bytes.
    pub fn reserve(&mut self, strings: usize, bytes: usize) {
        self.ends.reserve(strings);
        self.data.reserve(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containing_finds_each_string_once_and_no_match_across_two_strings() {
        let mut table = StringTable::new();
        for s in ["ab", "cd", "xabcdx", "", "abab", "b", "c"] {
            table.push(s);
        }
        assert_eq!(table.containing("bc"), [2]);
        assert_eq!(table.containing("ab"), [0, 2, 4]);
        assert_eq!(table.containing("zz"), [] as [u32; 0]);
        assert_eq!(table.indexes_of("b"), [5]);
        assert_eq!(table.indexes_of(""), [3]);
        assert_eq!(table.indexes_of("abc"), [] as [u32; 0]);
    }
}
