//! The catalog and what users own: `GET /api/v1/products` (public), `GET /api/v1/products/{sku}/purchase-status`
//! and `GET /api/v1/purchases` (a signed-in user's).

use crate::auth::Authenticated;
use crate::dto::catalog::{ProductList, PurchaseList, PurchaseStatusView};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use actix_web::{web, HttpResponse};
use payments_domain::{Checkout, Currency, GetOrderError, Queries, Sku};

/// Registers the catalog and purchase routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::get(&["/api/v1/products"], products))
        .service(super::get(&["/api/v1/products/{id}/purchase-status"], purchase_status))
        .service(super::get(&["/api/v1/purchases"], purchases));
}

/// `?currency=eur`: the currency whose price a product's `price` shows.
#[derive(Debug, serde::Deserialize)]
struct ProductsQuery {
    #[serde(default)]
    currency: Option<String>,
}

/// The products for sale with their active prices, each with the `price` a checkout by SKU uses (in
/// `?currency=`, else the configured checkout currency). Public: any `Authorization` header is ignored.
#[tracing::instrument(skip_all)]
async fn products(
    queries: web::Data<Queries>,
    checkout: web::Data<Checkout>,
    query: web::Query<ProductsQuery>,
) -> Result<HttpResponse, ApiError> {
    let currency = match query.currency.as_deref() {
        None | Some("") => checkout.settings().currency,
        Some(code) => Currency::parse(code).map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidQuery,
                format!("currency must be a three-letter ISO 4217 code such as \"eur\", got {code:?}."),
            )
        })?,
    };
    let products = queries.products().await.map_err(|e| ApiError::store(&e))?;
    Ok(HttpResponse::Ok().json(ProductList::new(&products, currency)))
}

/// Whether the signed-in user owns the product with this SKU.
#[tracing::instrument(skip_all)]
async fn purchase_status(
    queries: web::Data<Queries>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // Who asks is answered first: a guest or the admin learns nothing about the catalog here.
    super::users_only(&caller.0)?;
    // A SKU that cannot exist names no product.
    let sku = Sku::parse(&id).map_err(|_| super::read_error(&GetOrderError::ProductNotFound))?;
    let purchase = queries.purchase_status(&caller.0, &sku).await.map_err(|e| super::read_error(&e))?;
    Ok(super::private_json(PurchaseStatusView::new(purchase.as_ref())))
}

/// The signed-in user's completed purchases, newest first.
#[tracing::instrument(skip_all)]
async fn purchases(queries: web::Data<Queries>, caller: Authenticated) -> Result<HttpResponse, ApiError> {
    let purchases = queries.purchases(&caller.0).await.map_err(|e| super::read_error(&e))?;
    Ok(super::private_json(PurchaseList::new(&purchases)))
}

#[cfg(test)]
#[path = "products_tests.rs"]
mod tests;
