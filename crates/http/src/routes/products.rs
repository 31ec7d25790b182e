//! The catalog and what users own: `GET /api/v1/products` (public), `GET /api/v1/products/{sku}/purchase-status`
//! and `GET /api/v1/purchases` (a signed-in user's).

use crate::auth::Authenticated;
use crate::dto::catalog::{ProductList, PurchaseList, PurchaseStatusView};
use crate::error::ApiError;
use actix_web::{web, HttpResponse};
use payments_domain::{Checkout, GetOrderError, Queries, Sku};

/// Registers the catalog and purchase routes.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::get(&["/api/v1/products"], products))
        .service(super::get(&["/api/v1/products/{id}/purchase-status"], purchase_status))
        .service(super::get(&["/api/v1/purchases"], purchases));
}

/// The products for sale with their active prices, each with the `price` a checkout by SKU uses.
/// Public: any `Authorization` header is ignored.
#[tracing::instrument(skip_all)]
async fn products(
    queries: web::Data<Queries>,
    checkout: web::Data<Checkout>,
) -> Result<HttpResponse, ApiError> {
    let products = queries.products().await.map_err(|e| ApiError::store(&e))?;
    Ok(HttpResponse::Ok().json(ProductList::new(&products, checkout.settings().currency)))
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
