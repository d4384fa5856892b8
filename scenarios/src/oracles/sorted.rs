//! Small ordered maps and sets for the judges' per-run bookkeeping: a vector sorted by key.
//!
//! A judge's maps hold a handful of entries for one run and are built and dropped thousands
//! of times a second; a sorted vector answers the same questions as a `BTreeMap` in the same
//! (key) order, with one allocation per map and no node bookkeeping. Owns nothing else: no
//! judging happens here.

use std::borrow::Borrow;

/// A map kept sorted by key; iterates in key order, like `BTreeMap`.
#[derive(Debug, Clone)]
pub struct SortedMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap { entries: Vec::new() }
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// An empty map (no allocation until the first insertion).
    pub fn new() -> Self {
        SortedMap::default()
    }

    /// Removes every entry, keeping the room they took.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    fn find<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// Inserts or replaces; returns the value replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(at) => Some(std::mem::replace(&mut self.entries[at].1, value)),
            Err(at) => {
                self.entries.insert(at, (key, value));
                None
            }
        }
    }

    /// Removes `key`'s entry; returns its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|at| self.entries.remove(at).1)
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|at| &self.entries[at].1)
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|at| &mut self.entries[at].1)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).is_ok()
    }

    /// `key`'s value, inserted as `V::default()` if absent (`BTreeMap`'s
    /// `entry(key).or_default()`).
    pub fn or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        let at = match self.find(&key) {
            Ok(at) => at,
            Err(at) => {
                self.entries.insert(at, (key, V::default()));
                at
            }
        };
        &mut self.entries[at].1
    }

    /// Keeps only the entries `keep` accepts, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.iter_mut().map(|(_, v)| v)
    }
}

/// A set kept sorted; iterates in order, like `BTreeSet`.
#[derive(Debug, Clone)]
pub struct SortedSet<T> {
    items: Vec<T>,
}

impl<T> Default for SortedSet<T> {
    fn default() -> Self {
        SortedSet { items: Vec::new() }
    }
}

impl<T: Ord> SortedSet<T> {
    /// An empty set (no allocation until the first insertion).
    pub fn new() -> Self {
        SortedSet::default()
    }

    /// Removes every item, keeping the room they took.
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// Adds `item`; returns whether it was new.
    pub fn insert(&mut self, item: T) -> bool {
        match self.items.binary_search(&item) {
            Ok(_) => false,
            Err(at) => {
                self.items.insert(at, item);
                true
            }
        }
    }

    /// Removes `item`; returns whether it was there.
    pub fn remove<Q>(&mut self, item: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.items.binary_search_by(|t| t.borrow().cmp(item)) {
            Ok(at) => {
                self.items.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    pub fn contains<Q>(&self, item: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.items.binary_search_by(|t| t.borrow().cmp(item)).is_ok()
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }
}

impl<'a, K, V> IntoIterator for &'a SortedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<'a, T> IntoIterator for &'a SortedSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// The same operations on a `BTreeMap`/`BTreeSet` and on the sorted vectors leave the
    /// same contents in the same order.
    #[test]
    fn sorted_vectors_answer_as_btree_collections_do() {
        let mut map = SortedMap::new();
        let mut reference = BTreeMap::new();
        let mut set = SortedSet::new();
        let mut reference_set = BTreeSet::new();
        let mut x: u64 = 7;
        for step in 0..2_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let key = (x >> 33) % 37;
            match step % 5 {
                0 | 1 => assert_eq!(map.insert(key, step), reference.insert(key, step)),
                2 => assert_eq!(map.remove(&key), reference.remove(&key)),
                3 => *map.or_default(key) += 1,
                _ => {
                    assert_eq!(set.insert(key), reference_set.insert(key));
                    assert_eq!(set.remove(&(key / 2)), reference_set.remove(&(key / 2)));
                }
            }
            if step % 5 == 3 {
                *reference.entry(key).or_default() += 1;
            }
            assert_eq!(map.get(&key), reference.get(&key));
            assert_eq!(map.contains_key(&key), reference.contains_key(&key));
            assert_eq!(set.contains(&key), reference_set.contains(&key));
        }
        map.retain(|k, _| k % 3 != 0);
        reference.retain(|k, _| k % 3 != 0);
        assert!(map.iter().eq(reference.iter()));
        assert!(set.iter().eq(reference_set.iter()));
        assert_eq!(set.len(), reference_set.len());
    }
}
