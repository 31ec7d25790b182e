//! `/v1/products`: create, retrieve, list.

use super::list::{self, Created};
use super::{found, Call};
use crate::error::ApiError;
use crate::ids;
use crate::model::product::Product;
use crate::store::Store;
use serde_json::Value;

const CREATE_PARAMS: &[&str] = &[
    "active",
    "default_price_data",
    "description",
    "expand",
    "features",
    "id",
    "images",
    "marketing_features",
    "metadata",
    "name",
    "package_dimensions",
    "shippable",
    "statement_descriptor",
    "tax_code",
    "unit_label",
    "url",
];

/// `POST /v1/products` (event `product.created`).
pub fn create(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(CREATE_PARAMS)?;
    if p.has("default_price_data") {
        return Err(ApiError::bad_value(
            "default_price_data",
            "The emulator does not support default_price_data: create the price with POST /v1/prices.",
        ));
    }
    let id = match p.opt_text("id")? {
        Some(id) if store.products.contains(id) => {
            return Err(ApiError::bad_value("id", format!("Product already exists: {id}"))
                .code("resource_already_exists"))
        }
        Some(id) => id.to_owned(),
        None => ids::new_id("prod_"),
    };
    let product = Product {
        id,
        created: store.now,
        updated: store.now,
        name: p.required_text("name")?.to_owned(),
        description: p.opt_text("description")?.map(str::to_owned),
        active: p.boolean("active")?.unwrap_or(true),
        images: p.text_list("images")?.into_iter().map(str::to_owned).collect(),
        metadata: p.metadata("metadata")?.map(|m| m.into_new()).unwrap_or_default(),
        url: p.opt_text("url")?.map(str::to_owned),
    };
    let json = product.to_json();
    store.emit("product.created", json.clone(), None);
    store.products.insert(product);
    Ok(json)
}

/// `GET /v1/products/{id}`.
pub fn retrieve(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    found(store.products.get(call.id), "product", call.id, Product::to_json)
}

/// `GET /v1/products`, filtered by `active`, `ids[]`, `url` and `created`.
pub fn list(store: &mut Store, call: &Call<'_>) -> Result<Value, ApiError> {
    let p = &call.params;
    p.allow_only(&[
        "active",
        "created",
        "ending_before",
        "expand",
        "ids",
        "limit",
        "shippable",
        "starting_after",
        "url",
    ])?;
    let active = p.boolean("active")?;
    let wanted_ids = p.text_list("ids")?;
    let url = p.opt_text("url")?;
    let created = Created::from(p)?;
    let items = store
        .products
        .newest_first()
        .filter(|x| active.is_none_or(|a| x.active == a))
        .filter(|x| wanted_ids.is_empty() || wanted_ids.contains(&x.id.as_str()))
        .filter(|x| url.is_none_or(|u| x.url.as_deref() == Some(u)) && created.admits(x.created))
        .map(Product::to_json)
        .collect();
    list::page("/v1/products", items, p)
}
