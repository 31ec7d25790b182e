// The demo storefront: a few products, a cart, Pay -> checkout, and a success page that asks the service
// for the order's status until it is final. No build step, no framework.
"use strict";
var Shop = (function () {
  var PRODUCTS = [
    { id: "rust-course", name: "Rust for payments (video course)", price: 4900 },
    { id: "ebook", name: "Idempotency, the e-book", price: 1500 },
    { id: "stickers", name: "Ferris sticker pack", price: 300 },
  ];
  var FINAL = ["paid", "failed", "expired", "canceled", "refunded", "partially_refunded", "disputed", "needs_review"];

  function money(minor) { return "$" + (minor / 100).toFixed(2); }
  function el(tag, text) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }

  function storefront() {
    var cart = {};
    var list = document.getElementById("products");
    PRODUCTS.forEach(function (p) {
      var li = el("li");
      li.appendChild(el("span", p.name + " — " + money(p.price)));
      var add = el("button", "Add to cart");
      add.type = "button";
      add.setAttribute("data-product", p.id);
      add.addEventListener("click", function () { cart[p.id] = (cart[p.id] || 0) + 1; render(); });
      li.appendChild(add);
      list.appendChild(li);
    });

    function items() {
      return PRODUCTS.filter(function (p) { return cart[p.id]; })
        .map(function (p) { return { name: p.name, price: p.price, quantity: cart[p.id] }; });
    }
    function render() {
      var ul = document.getElementById("cart");
      ul.textContent = "";
      var total = 0;
      items().forEach(function (i) {
        total += i.price * i.quantity;
        ul.appendChild(el("li", i.quantity + " × " + i.name + " — " + money(i.price * i.quantity)));
      });
      if (!total) ul.appendChild(el("li", "Your cart is empty."));
      document.getElementById("total").textContent = money(total);
      document.getElementById("pay").disabled = total === 0;
    }

    document.getElementById("checkout").addEventListener("submit", function (event) {
      event.preventDefault();
      var error = document.getElementById("error");
      error.hidden = true;
      document.getElementById("pay").disabled = true;
      fetch("/create-checkout-session", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: document.getElementById("email").value, cartItems: items() }),
      })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (!res.ok) throw new Error(res.body.error ? res.body.error.message : "Checkout failed.");
          window.location.href = res.body.url;
        })
        .catch(function (e) {
          error.textContent = e.message;
          error.hidden = false;
          document.getElementById("pay").disabled = false;
        });
    });
  }

  function success() {
    var status = document.getElementById("status");
    var detail = document.getElementById("detail");
    var sessionId = new URLSearchParams(window.location.search).get("session_id");
    if (!sessionId) { status.textContent = "unknown (no session_id in the address)"; return; }
    var tries = 0;
    function poll() {
      tries += 1;
      fetch("/api/v1/checkout/sessions/" + encodeURIComponent(sessionId))
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (!res.ok) throw new Error(res.body.error ? res.body.error.message : "Unknown order.");
          var order = res.body;
          status.textContent = order.status;
          detail.textContent = "Order " + order.id + ", " + money(order.amount) + " " + order.currency.toUpperCase() +
            (order.failureReason ? " (" + order.failureReason + ")" : "");
          if (FINAL.indexOf(order.status) >= 0) { status.setAttribute("data-final", "true"); return; }
          if (tries < 600) setTimeout(poll, 1000);
        })
        .catch(function (e) { detail.textContent = e.message; if (tries < 600) setTimeout(poll, 1000); });
    }
    poll();
  }

  return { storefront: storefront, success: success };
})();
