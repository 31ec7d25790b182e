//! Routing fallbacks, request ids, and the server on a real socket.

use super::{app, serve, HttpOptions};
use crate::test_support::{send, Ports};
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

#[actix_web::test]
async fn an_unknown_path_is_a_json_404() {
    let reply = send(Ports::new().services(), TestRequest::get().uri("/nope")).await;
    reply.assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[actix_web::test]
async fn a_wrong_method_is_a_json_405_naming_the_allowed_one() {
    for (method, uri, allowed) in [
        ("GET", "/create-checkout-session", "POST"),
        ("PUT", "/api/v1/checkout/sessions", "POST"),
        ("GET", "/webhook", "POST"),
        ("DELETE", "/api/v1/orders/01936b2e-8f3a-7c4d-9e5f-0a1b2c3d4e5f", "GET"),
        ("POST", "/healthz", "GET"),
        ("POST", "/api/v1/orders", "GET"),
        ("DELETE", "/api/v1/admin/orders", "GET"),
        ("PUT", "/api/v1/products", "GET"),
        ("POST", "/api/v1/products/course/purchase-status", "GET"),
        ("POST", "/api/v1/purchases", "GET"),
    ] {
        let request = TestRequest::default().method(method.parse().unwrap()).uri(uri);
        let reply = send(Ports::new().services(), request).await;
        reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        assert_eq!(reply.headers.get("allow").unwrap(), allowed, "{method} {uri}");
    }
}

#[actix_web::test]
async fn every_response_gets_a_request_id_and_a_sane_client_id_is_echoed() {
    let service = test::init_service(app(Ports::new().services(), HttpOptions::default())).await;

    let assigned = test::call_service(&service, TestRequest::get().uri("/healthz").to_request()).await;
    let id = assigned.headers().get("x-request-id").expect("an assigned id").to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    let not_found = test::call_service(&service, TestRequest::get().uri("/nope").to_request()).await;
    assert!(not_found.headers().contains_key("x-request-id"));

    let echoed =
        TestRequest::get().uri("/healthz").insert_header(("x-request-id", "client-7f3a")).to_request();
    let echoed = test::call_service(&service, echoed).await;
    assert_eq!(echoed.headers().get("x-request-id").unwrap(), "client-7f3a");

    let odd = TestRequest::get().uri("/healthz").insert_header(("x-request-id", "a\"b")).to_request();
    let odd = test::call_service(&service, odd).await;
    assert_ne!(odd.headers().get("x-request-id").unwrap(), "a\"b");
}

#[actix_web::test]
async fn serve_answers_on_the_listener_it_is_given() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve(listener, Ports::new().services(), HttpOptions::default()).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let response = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    })
    .await
    .unwrap();
    handle.stop(true).await;

    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("x-request-id: "), "{response}");
    assert!(response.ends_with(r#"{"status":"ok"}"#), "{response}");
}
