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
