//! The demo storefront: `GET /` (products and a cart), `GET /success` (asks the service for the order's
//! status until it is final) and `GET /cancel`, plus their script and style. Plain files, no build step.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

const INDEX: &str = include_str!("../../storefront/index.html");
const SUCCESS: &str = include_str!("../../storefront/success.html");
const CANCEL: &str = include_str!("../../storefront/cancel.html");
const SCRIPT: &str = include_str!("../../storefront/shop.js");
const STYLE: &str = include_str!("../../storefront/shop.css");

/// Registers the storefront's pages and assets.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::get(&["/"], || page(INDEX)))
        .service(super::get(&["/success"], || page(SUCCESS)))
        .service(super::get(&["/cancel"], || page(CANCEL)))
        .service(super::get(&["/storefront/shop.js"], || asset("text/javascript; charset=utf-8", SCRIPT)))
        .service(super::get(&["/storefront/shop.css"], || asset("text/css; charset=utf-8", STYLE)));
}

async fn page(html: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            "content-security-policy",
            // Product images come from the catalog's image URLs, wherever they are hosted.
            "default-src 'self'; script-src 'self' 'unsafe-inline'; img-src 'self' https: http: data:",
        ))
        .body(html)
}

async fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok().content_type(content_type).body(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{test, App};

    #[actix_web::test]
    async fn the_pages_and_assets_are_served_with_their_types() {
        let app = test::init_service(App::new().configure(configure)).await;
        for (path, kind, marker) in [
            ("/", "text/html", "id=\"checkout\""),
            ("/success?session_id=cs_test_1", "text/html", "id=\"status\""),
            ("/cancel", "text/html", "nothing was charged"),
            ("/storefront/shop.js", "text/javascript", "/api/v1/checkout/sessions"),
            ("/storefront/shop.css", "text/css", "body"),
        ] {
            let response = test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
            assert_eq!(response.status(), 200, "{path}");
            let content_type =
                response.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap().to_owned();
            assert!(content_type.starts_with(kind), "{path}: {content_type}");
            let body = test::read_body(response).await;
            assert!(String::from_utf8_lossy(&body).contains(marker), "{path}");
        }
    }

    #[actix_web::test]
    async fn the_shop_lists_the_catalog_and_sends_only_skus_and_quantities() {
        assert!(SCRIPT.contains("fetch(\"/api/v1/products\""));
        assert!(SCRIPT.contains("{ sku: line.product.sku, quantity: line.quantity }"));
        assert!(!SCRIPT.contains("/create-checkout-session"), "the seed's client-priced path is not used");
        // The browser test's selectors.
        assert!(SCRIPT.contains("data-product"));
        for id in
            ["id=\"products\"", "id=\"cart\"", "id=\"total\"", "id=\"email\"", "id=\"pay\"", "id=\"error\""]
        {
            assert!(INDEX.contains(id), "{id}");
        }
    }

    #[actix_web::test]
    async fn the_success_page_reads_the_status_from_the_service_not_the_redirect() {
        assert!(SCRIPT.contains("/api/v1/checkout/sessions/"));
        assert!(!SUCCESS.contains("paid"), "the page must not claim a status on its own");
    }
}
