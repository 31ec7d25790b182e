//! An async lock per key, dropped from the map when nobody holds or waits for it.

use futures::lock::{Mutex, OwnedMutexGuard};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

/// Serialises work per key (a user's first checkout) without a global lock.
#[derive(Debug)]
pub(crate) struct KeyedLock<K: Eq + Hash + Clone> {
    locks: std::sync::Mutex<HashMap<K, Arc<Mutex<()>>>>,
}

impl<K: Eq + Hash + Clone> Default for KeyedLock<K> {
    fn default() -> Self {
        Self { locks: std::sync::Mutex::new(HashMap::new()) }
    }
}

/// Held while the key is locked.
#[derive(Debug)]
pub(crate) struct KeyedGuard<'a, K: Eq + Hash + Clone> {
    owner: &'a KeyedLock<K>,
    key: K,
    guard: Option<OwnedMutexGuard<()>>,
}

impl<K: Eq + Hash + Clone> KeyedLock<K> {
    /// Waits until `key` is free and takes it.
    pub(crate) async fn lock(&self, key: K) -> KeyedGuard<'_, K> {
        let mutex = {
            let mut locks = self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(locks.entry(key.clone()).or_default())
        };
        let guard = mutex.lock_owned().await;
        KeyedGuard { owner: self, key, guard: Some(guard) }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }
}

impl<K: Eq + Hash + Clone> Drop for KeyedGuard<'_, K> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self.owner.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Only the map holds it: nobody else is waiting, so the entry can go.
        if locks.get(&self.key).is_some_and(|mutex| Arc::strong_count(mutex) == 1) {
            locks.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_holder_per_key_and_entries_are_dropped() {
        let lock = Arc::new(KeyedLock::<u32>::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (lock, inside, most) = (lock.clone(), inside.clone(), most.clone());
                tokio::spawn(async move {
                    let _guard = lock.lock(7).await;
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
        assert_eq!(lock.len(), 0);
        let _a = lock.lock(1).await;
        let _b = lock.lock(2).await;
        assert_eq!(lock.len(), 2);
    }
}
