//! Shared, immutable strings for job records.
//!
//! A queue of 100,000 jobs repeats the same few partitions, directories,
//! output patterns and submit hosts over and over. Each job field holds a
//! [`Text`], one pointer wide, and the [`Interner`] hands out the same
//! allocation for equal strings, so a repeated value costs a pointer per job
//! instead of a heap string per job.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable, cheaply cloned string, one pointer wide (so an unset
/// `Option<Text>` field costs 8 bytes, not the 24 of `Option<String>`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(Arc<Box<str>>);

impl Text {
    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

// Hash and Eq of Text are those of its contents, so a set of Texts can be
// searched with a &str.
impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(Arc::new(s.into()))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(Arc::new(s.into_boxed_str()))
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Equal strings share one allocation.
#[derive(Debug, Default)]
pub struct Interner {
    set: HashSet<Text>,
    /// The last string seen in each field slot: jobs arrive (and are
    /// replayed) in runs with the same values, and a byte comparison is
    /// cheaper than hashing into `set`.
    recent: Vec<Option<Text>>,
}

impl Interner {
    /// The shared copy of `s`.
    pub fn get(&mut self, s: &str) -> Text {
        if let Some(t) = self.set.get(s) {
            return t.clone();
        }
        let t = Text::from(s);
        self.set.insert(t.clone());
        t
    }

    /// The shared copy of `s`, reusing its buffer when it is new.
    pub fn take(&mut self, s: String) -> Text {
        if let Some(t) = self.set.get(s.as_str()) {
            return t.clone();
        }
        let t = Text::from(s);
        self.set.insert(t.clone());
        t
    }

    /// [`Interner::take`] for an optional field.
    pub fn opt(&mut self, s: Option<String>) -> Option<Text> {
        s.map(|s| self.take(s))
    }

    fn recent_hit(&self, slot: usize, raw: &[u8]) -> Option<Text> {
        self.recent
            .get(slot)?
            .as_ref()
            .filter(|t| t.as_bytes() == raw)
            .cloned()
    }

    fn remember(&mut self, slot: usize, t: &Text) {
        if self.recent.len() <= slot {
            self.recent.resize(slot + 1, None);
        }
        self.recent[slot] = Some(t.clone());
    }

    /// [`Interner::take`] for the field numbered `slot` of a record.
    pub fn take_at(&mut self, slot: usize, s: String) -> Text {
        if let Some(t) = self.recent_hit(slot, s.as_bytes()) {
            return t;
        }
        let t = self.take(s);
        self.remember(slot, &t);
        t
    }

    /// The shared copy of the (UTF-8, else lossily converted) bytes `raw`,
    /// for the field numbered `slot` of a record.
    pub fn bytes_at(&mut self, slot: usize, raw: &[u8]) -> Text {
        if let Some(t) = self.recent_hit(slot, raw) {
            return t;
        }
        let t = match std::str::from_utf8(raw) {
            Ok(s) => self.get(s),
            Err(_) => self.take(String::from_utf8_lossy(raw).into_owned()),
        };
        self.remember(slot, &t);
        t
    }

    /// Forgets strings no job uses any more.
    pub fn sweep(&mut self) {
        self.recent.clear();
        self.set.retain(|t| Arc::strong_count(&t.0) > 1);
    }

    /// Distinct strings held.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_and_unused_ones_are_swept() {
        let mut i = Interner::default();
        let a = i.get("/home/alice");
        let b = i.take("/home/alice".to_string());
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "/home/alice");
        assert_eq!(
            std::mem::size_of::<Option<Text>>(),
            std::mem::size_of::<usize>()
        );
        drop(i.get("gone"));
        let c = i.bytes_at(3, b"/home/alice");
        assert!(Arc::ptr_eq(&a.0, &c.0));
        let d = i.take_at(3, "/home/alice".to_string());
        assert!(Arc::ptr_eq(&a.0, &d.0));
        assert_eq!(i.bytes_at(4, b"caf\xff"), "caf\u{fffd}");
        drop(i.bytes_at(4, b"gone too"));
        assert_eq!(i.len(), 4);
        i.sweep();
        assert_eq!(i.len(), 1, "only the string still in use stays");
    }
}
