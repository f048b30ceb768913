//! A small bounded cache for generated data, bounded both in entries and in
//! bytes: when either is reached, the oldest entry goes first. Generated
//! values are pure functions of their key, so an evicted entry is simply
//! generated again.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;

#[derive(Debug)]
pub(crate) struct BoundedCache<K, V> {
    inner: Mutex<Inner<K, V>>,
    capacity: usize,
    max_bytes: usize,
    /// What an entry costs in bytes (its key and value, heap included).
    weigh: fn(&K, &V) -> usize,
}

#[derive(Debug)]
struct Inner<K, V> {
    map: HashMap<K, (V, usize)>,
    order: VecDeque<K>,
    bytes: usize,
}

impl<K: Eq + Hash + Clone, V: Clone> BoundedCache<K, V> {
    /// At most `capacity` entries of a fixed size.
    pub(crate) fn new(capacity: usize) -> Self {
        Self::weighed(capacity, usize::MAX, |_, _| size_of::<(K, V)>())
    }

    /// At most `capacity` entries and `max_bytes` bytes as `weigh` counts
    /// them; a value heavier than the whole budget is returned, not kept.
    pub(crate) fn weighed(capacity: usize, max_bytes: usize, weigh: fn(&K, &V) -> usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                order: VecDeque::new(),
                bytes: 0,
            }),
            capacity,
            max_bytes,
            weigh,
        }
    }

    /// The cached value, if there is one.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.lock().map.get(key).map(|(v, _)| v.clone())
    }

    /// The cached value, or `make()` (computed outside the lock) stored and returned.
    pub(crate) fn get_or_insert_with(&self, key: K, make: impl FnOnce() -> V) -> V {
        if let Some(v) = self.get(&key) {
            return v;
        }
        let value = make();
        let weight = (self.weigh)(&key, &value);
        if self.capacity == 0 || weight > self.max_bytes {
            return value;
        }
        let mut inner = self.lock();
        if !inner.map.contains_key(&key) {
            while inner.order.len() >= self.capacity || inner.bytes + weight > self.max_bytes {
                let Some(old) = inner.order.pop_front() else { break };
                if let Some((_, w)) = inner.map.remove(&old) {
                    inner.bytes -= w;
                }
            }
            inner.order.push_back(key.clone());
            inner.map.insert(key, (value.clone(), weight));
            inner.bytes += weight;
        }
        value
    }

    /// Forgets every entry.
    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        inner.map.clear();
        inner.order.clear();
        inner.bytes = 0;
    }

    /// What the entries weigh now, in bytes.
    /// What the entries weigh now.
    pub(crate) fn bytes(&self) -> usize {
        self.lock().bytes
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().map.len()
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

    #[test]
    fn keeps_at_most_its_byte_budget() {
        let cache = BoundedCache::weighed(100, 1000, |_: &u32, v: &Vec<u8>| v.len());
        for k in 0..10 {
            cache.get_or_insert_with(k, || vec![0; 300]);
            assert!(cache.bytes() <= 1000, "{}", cache.bytes());
        }
        assert_eq!((cache.len(), cache.bytes()), (3, 900));
        let huge = cache.get_or_insert_with(99, || vec![1; 5000]);
        assert_eq!(huge.len(), 5000, "still answered");
        assert_eq!(cache.get(&99), None, "but never kept");
        assert_eq!(cache.len(), 3);
        cache.clear();
        assert_eq!(cache.bytes(), 0);
    }
}
