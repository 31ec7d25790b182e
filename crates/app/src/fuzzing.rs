//! The entry point of the catalog file's fuzz target in `fuzz/` (`cargo fuzz`, `make fuzz`) and of the test
//! that replays its corpus in `make test`, behind the `fuzzing` feature: not part of the app's API.

/// A catalog file (`config/catalog.toml`) as the service reads it at start-up; text that is not UTF-8 is
/// refused before it is parsed, as [`crate::catalog_file::read`] refuses it.
///
/// Properties: no input panics; a catalog accepted has a price for every product and passes the domain's
/// whole-catalog check.
pub fn catalog_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(products) = crate::catalog_file::parse(text) else { return };
    assert!(products.iter().all(|product| !product.prices.is_empty()), "a product without a price");
    assert!(payments_domain::check_catalog(&products).is_ok(), "an accepted catalog fails its own check");
}
