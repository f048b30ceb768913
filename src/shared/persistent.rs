//! Persistent (structurally shared) collections for state that merges
//! replace: cloning one costs the same whatever it holds, and an update
//! copies only the path to what changed, so a merge that adds one tenant
//! costs one tenant's work however many tenants exist. Readers hold an
//! immutable snapshot, as with the `ArcSwap`ped catalogs that hold these.

/// A hash map with foldhash: its keys (uuids, tokens, ids) are not chosen
/// to collide, and lookups sit on hot routes.
pub(crate) type Map<K, V> =
    imbl::GenericHashMap<K, V, foldhash::fast::RandomState, imbl::shared_ptr::DefaultSharedPtr>;

pub(crate) use imbl::Vector;

/// Sets the entry at `index`, or appends `item` when `index` is one past
/// the end: merges replace entries in place and append new ones, so
/// whatever is keyed by position stays valid.
pub(crate) fn put<T: Clone>(list: &mut Vector<T>, index: usize, item: T) {
    if index < list.len() {
        list.set(index, item);
    } else {
        list.push_back(item);
    }
}

/// Puts `item` where the entry with its identity is (`existing`), or at
/// the end; counts which in `count` and returns its position.
pub(crate) fn place<T: Clone>(
    list: &mut Vector<T>,
    existing: Option<usize>,
    item: T,
    count: &mut crate::shared::plugin::MergeCount,
) -> usize {
    let index = match existing {
        Some(index) => {
            count.replaced += 1;
            index
        }
        None => {
            count.added += 1;
            list.len()
        }
    };
    put(list, index, item);
    index
}
