//! A table of objects kept in creation order, found by id.

use crate::model::Row;
use std::collections::HashMap;

/// Objects in creation order with an index by id.
#[derive(Debug)]
pub struct Table<T> {
    rows: Vec<T>,
    index: HashMap<String, usize>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { rows: Vec::new(), index: HashMap::new() }
    }
}

impl<T: Row> Table<T> {
    /// Adds an object (its id must be new).
    pub fn insert(&mut self, row: T) {
        self.index.insert(row.id().to_owned(), self.rows.len());
        self.rows.push(row);
    }

    /// Whether an object with `id` exists.
    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// The object with `id`.
    pub fn get(&self, id: &str) -> Option<&T> {
        self.index.get(id).map(|&i| &self.rows[i])
    }

    /// The object with `id`, to change it.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        self.index.get(id).map(|&i| &mut self.rows[i])
    }

    /// Removes and returns the object with `id`.
    pub fn remove(&mut self, id: &str) -> Option<T> {
        let i = self.index.remove(id)?;
        let row = self.rows.remove(i);
        for position in self.index.values_mut() {
            if *position > i {
                *position -= 1;
            }
        }
        Some(row)
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.rows.iter()
    }

    /// Newest first, as Stripe lists.
    pub fn newest_first(&self) -> impl Iterator<Item = &T> {
        self.rows.iter().rev()
    }
}
