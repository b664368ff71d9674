//! The lease table of the lease-coordination extension: per stream and application, the
//! leases consumer workers share, changed only by compare-and-set on their counters, and
//! written through to the catalog store before anyone sees a change.

use std::collections::BTreeMap;
use std::sync::Mutex;

use riffle_meta::{LeaseRecord, MetaStore};

use crate::error::{Result, StreamsError};

type Key = (u64, String, String);

#[derive(Default)]
pub struct LeaseTable {
    inner: Mutex<BTreeMap<Key, LeaseRecord>>,
}

fn key(uid: u64, app: &str, lease: &str) -> Key {
    (uid, app.to_string(), lease.to_string())
}

impl LeaseTable {
    pub fn new(records: Vec<LeaseRecord>) -> Self {
        let map = records.into_iter().map(|r| (key(r.stream_uid, &r.application, &r.lease_key), r)).collect();
        LeaseTable { inner: Mutex::new(map) }
    }

    /// Every lease of `app` on stream `uid`, in key order.
    pub fn list(&self, uid: u64, app: &str) -> Vec<LeaseRecord> {
        let t = self.inner.lock().expect("lease lock");
        t.range(key(uid, app, "")..).take_while(|(k, _)| k.0 == uid && k.1 == app).map(|(_, v)| v.clone()).collect()
    }

    /// Adds `lease` unless one with its key exists.
    pub fn create(&self, meta: &dyn MetaStore, lease: LeaseRecord) -> Result<LeaseRecord> {
        let mut t = self.inner.lock().expect("lease lock");
        let k = key(lease.stream_uid, &lease.application, &lease.lease_key);
        if t.contains_key(&k) {
            return Err(StreamsError::ConditionalCheckFailed(format!("Lease {} already exists.", lease.lease_key)));
        }
        meta.put_lease(&lease)?;
        t.insert(k, lease.clone());
        Ok(lease)
    }

    /// Changes a lease with `f` if its counter is `expected`, and bumps the counter.
    pub fn update(
        &self,
        meta: &dyn MetaStore,
        (uid, app, lease): (u64, &str, &str),
        expected: u64,
        f: impl FnOnce(&mut LeaseRecord),
    ) -> Result<LeaseRecord> {
        let mut t = self.inner.lock().expect("lease lock");
        let current = t.get_mut(&key(uid, app, lease)).ok_or_else(|| not_found(app, lease))?;
        check(current, expected)?;
        let mut next = current.clone();
        f(&mut next);
        next.counter = current.counter + 1;
        meta.put_lease(&next)?;
        *current = next.clone();
        Ok(next)
    }

    /// Removes a lease if its counter is `expected`.
    pub fn delete(&self, meta: &dyn MetaStore, (uid, app, lease): (u64, &str, &str), expected: u64) -> Result<()> {
        let mut t = self.inner.lock().expect("lease lock");
        let k = key(uid, app, lease);
        check(t.get(&k).ok_or_else(|| not_found(app, lease))?, expected)?;
        meta.delete_lease(uid, app, lease)?;
        t.remove(&k);
        Ok(())
    }
}

fn not_found(app: &str, lease: &str) -> StreamsError {
    StreamsError::NotFound(format!("Lease {lease} of application {app} not found."))
}

fn check(current: &LeaseRecord, expected: u64) -> Result<()> {
    if current.counter != expected {
        return Err(StreamsError::ConditionalCheckFailed(format!(
            "Lease {} has counter {}, not {expected}.",
            current.lease_key, current.counter
        )));
    }
    Ok(())
}
