//! [`DekStore`]: where wrapped DEKs live, and the in-memory implementation.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use uuid::Uuid;

use crate::{Result, WrappedDek};

/// A wrapped DEK with its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDek {
    /// Scope (tenant UUID, or nil for system secrets).
    pub scope: Uuid,
    /// DEK generation within the scope (1, 2, …).
    pub generation: u32,
    /// The wrapped key.
    pub wrapped: WrappedDek,
}

/// Outcome of [`DekStore::insert_if_absent`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Insert {
    /// Ours was stored.
    Inserted,
    /// Another writer got there first; this is theirs.
    Existing(WrappedDek),
}

/// Storage of wrapped DEKs by scope and generation.
///
/// The two conditional writes make concurrent writers agree: two processes that lazily create
/// a scope's first DEK both call `insert_if_absent`, one wins and the other adopts the winner's
/// key; a rewrap replaces a key only if it is still the one that was read.
pub trait DekStore: Send + Sync {
    /// The wrapped DEK of `scope` at `generation`.
    fn get(&self, scope: Uuid, generation: u32) -> Result<Option<WrappedDek>>;
    /// The newest generation of `scope` and its wrapped DEK.
    fn latest(&self, scope: Uuid) -> Result<Option<(u32, WrappedDek)>>;
    /// Stores `wrapped` unless the slot is taken, in which case the stored value is returned.
    fn insert_if_absent(
        &self,
        scope: Uuid,
        generation: u32,
        wrapped: &WrappedDek,
    ) -> Result<Insert>;
    /// Replaces the slot's value with `new` only if it still equals `expected`.
    fn compare_and_swap(
        &self,
        scope: Uuid,
        generation: u32,
        expected: &WrappedDek,
        new: &WrappedDek,
    ) -> Result<bool>;
    /// Every stored DEK.
    fn list(&self) -> Result<Vec<StoredDek>>;
}

impl<T: DekStore + ?Sized> DekStore for Arc<T> {
    fn get(&self, scope: Uuid, generation: u32) -> Result<Option<WrappedDek>> {
        (**self).get(scope, generation)
    }
    fn latest(&self, scope: Uuid) -> Result<Option<(u32, WrappedDek)>> {
        (**self).latest(scope)
    }
    fn insert_if_absent(
        &self,
        scope: Uuid,
        generation: u32,
        wrapped: &WrappedDek,
    ) -> Result<Insert> {
        (**self).insert_if_absent(scope, generation, wrapped)
    }
    fn compare_and_swap(
        &self,
        scope: Uuid,
        generation: u32,
        expected: &WrappedDek,
        new: &WrappedDek,
    ) -> Result<bool> {
        (**self).compare_and_swap(scope, generation, expected, new)
    }
    fn list(&self) -> Result<Vec<StoredDek>> {
        (**self).list()
    }
}

/// The map every simple store keeps: (scope, generation) → wrapped DEK.
pub(crate) type DekMap = BTreeMap<(Uuid, u32), WrappedDek>;

pub(crate) fn latest_in(map: &DekMap, scope: Uuid) -> Option<(u32, WrappedDek)> {
    map.range((scope, 0)..=(scope, u32::MAX))
        .next_back()
        .map(|((_, g), w)| (*g, w.clone()))
}

pub(crate) fn insert_in(
    map: &mut DekMap,
    scope: Uuid,
    generation: u32,
    wrapped: &WrappedDek,
) -> Insert {
    match map.get(&(scope, generation)) {
        Some(existing) => Insert::Existing(existing.clone()),
        None => {
            map.insert((scope, generation), wrapped.clone());
            Insert::Inserted
        }
    }
}

pub(crate) fn swap_in(
    map: &mut DekMap,
    scope: Uuid,
    generation: u32,
    expected: &WrappedDek,
    new: &WrappedDek,
) -> bool {
    match map.get_mut(&(scope, generation)) {
        Some(current) if current == expected => {
            *current = new.clone();
            true
        }
        _ => false,
    }
}

pub(crate) fn list_in(map: &DekMap) -> Vec<StoredDek> {
    map.iter()
        .map(|((scope, generation), wrapped)| StoredDek {
            scope: *scope,
            generation: *generation,
            wrapped: wrapped.clone(),
        })
        .collect()
}

/// An in-process [`DekStore`] (tests, examples, single-process tools).
#[derive(Debug, Default)]
pub struct MemoryDekStore {
    map: Mutex<DekMap>,
}

impl MemoryDekStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, DekMap> {
        // A panic while holding the lock cannot leave the map half-updated (every update is a
        // single insert or assignment), so a poisoned lock is safe to reuse.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl DekStore for MemoryDekStore {
    fn get(&self, scope: Uuid, generation: u32) -> Result<Option<WrappedDek>> {
        Ok(self.lock().get(&(scope, generation)).cloned())
    }
    fn latest(&self, scope: Uuid) -> Result<Option<(u32, WrappedDek)>> {
        Ok(latest_in(&self.lock(), scope))
    }
    fn insert_if_absent(
        &self,
        scope: Uuid,
        generation: u32,
        wrapped: &WrappedDek,
    ) -> Result<Insert> {
        Ok(insert_in(&mut self.lock(), scope, generation, wrapped))
    }
    fn compare_and_swap(
        &self,
        scope: Uuid,
        generation: u32,
        expected: &WrappedDek,
        new: &WrappedDek,
    ) -> Result<bool> {
        Ok(swap_in(&mut self.lock(), scope, generation, expected, new))
    }
    fn list(&self) -> Result<Vec<StoredDek>> {
        Ok(list_in(&self.lock()))
    }
}
