//! A small bounded cache for generated data: when full, the oldest entry
//! goes first. Generated values are pure functions of their key, so an
//! evicted entry is simply generated again.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;

#[derive(Debug)]
pub struct BoundedCache<K, V> {
    inner: Mutex<Inner<K, V>>,
    capacity: usize,
}

#[derive(Debug)]
struct Inner<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K: Eq + Hash + Clone, V: Clone> BoundedCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                order: VecDeque::new(),
            }),
            capacity,
        }
    }

    /// The cached value, if there is one.
    pub fn get(&self, key: &K) -> Option<V> {
        self.lock().map.get(key).cloned()
    }

    /// The cached value, or `make()` (computed outside the lock) stored and returned.
    pub fn get_or_insert_with(&self, key: K, make: impl FnOnce() -> V) -> V {
        if let Some(v) = self.lock().map.get(&key) {
            return v.clone();
        }
        let value = make();
        if self.capacity == 0 {
            return value;
        }
        let mut inner = self.lock();
        if !inner.map.contains_key(&key) {
            while inner.order.len() >= self.capacity {
                if let Some(old) = inner.order.pop_front() {
                    inner.map.remove(&old);
                }
            }
            inner.order.push_back(key.clone());
            inner.map.insert(key, value.clone());
        }
        value
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.map.clear();
        inner.order.clear();
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        // Inserts and evictions leave map and order consistent; reuse a poisoned lock.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_at_most_capacity_and_evicts_oldest() {
        let cache = BoundedCache::new(2);
        for k in 0..5 {
            cache.get_or_insert_with(k, || k * 10);
        }
        assert_eq!(cache.len(), 2);
        let mut made = false;
        assert_eq!(
            cache.get_or_insert_with(4, || {
                made = true;
                0
            }),
            40
        );
        assert!(!made, "4 is still cached");
        assert_eq!(
            cache.get_or_insert_with(0, || 99),
            99,
            "0 was evicted and made again"
        );
    }
}
