// The demo storefront: the catalog's products (GET /api/v1/products), a cart, Pay -> a checkout of catalog
// items (POST /api/v1/checkout/sessions), and a success page that asks the service for the order's status
// until it is final. No build step, no framework.
"use strict";
var Shop = (function () {
  var FINAL = ["paid", "failed", "expired", "canceled", "refunded", "partially_refunded", "disputed", "needs_review"];

  // Amounts are integer minor units on the wire; the currency says how many of them make a unit.
  function money(minor, currency) {
    var code = (currency || "usd").toUpperCase();
    var format;
    try { format = new Intl.NumberFormat("en-US", { style: "currency", currency: code }); } catch (e) { format = null; }
    if (!format) return (minor / 100).toFixed(2) + " " + code;
    return format.format(minor / Math.pow(10, format.resolvedOptions().maximumFractionDigits));
  }
  function el(tag, text) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }
  function json(r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); }
  function failure(res, fallback) { return new Error(res.body && res.body.error ? res.body.error.message : fallback); }

  function storefront() {
    var cart = {};      // sku -> quantity
    var products = [];  // what GET /api/v1/products listed, in its order
    var currency = "usd";
    var list = document.getElementById("products");
    var error = document.getElementById("error");
    function showError(message) { error.textContent = message; error.hidden = false; }

    // A product is sold at its `price`: the first one-time price in the checkout currency (null: not sold here).
    function show(p) {
      var li = el("li");
      if (p.image) {
        var img = el("img");
        img.src = p.image;
        img.alt = "";
        img.width = 48;
        img.height = 48;
        img.loading = "lazy";
        img.addEventListener("error", function () { img.remove(); });
        li.appendChild(img);
      }
      li.appendChild(el("span", p.name + " — " + (p.price ? money(p.price.unitAmount, p.price.currency) : "not for sale")));
      var add = el("button", "Add to cart");
      add.type = "button";
      add.setAttribute("data-product", p.sku);
      if (p.price) {
        add.addEventListener("click", function () { cart[p.sku] = (cart[p.sku] || 0) + 1; render(); });
      } else {
        add.disabled = true;
      }
      li.appendChild(add);
      list.appendChild(li);
    }

    function lines() {
      return products.filter(function (p) { return p.price && cart[p.sku]; })
        .map(function (p) { return { product: p, quantity: cart[p.sku] }; });
    }
    function render() {
      var ul = document.getElementById("cart");
      ul.textContent = "";
      var total = 0;
      lines().forEach(function (line) {
        var amount = line.product.price.unitAmount * line.quantity;
        total += amount;
        ul.appendChild(el("li", line.quantity + " × " + line.product.name + " — " + money(amount, currency)));
      });
      if (!total) ul.appendChild(el("li", "Your cart is empty."));
      document.getElementById("total").textContent = money(total, currency);
      document.getElementById("pay").disabled = total === 0;
    }

    fetch("/api/v1/products", { headers: { accept: "application/json" } })
      .then(json)
      .then(function (res) {
        if (!res.ok) throw failure(res, "The products could not be loaded.");
        products = res.body.products;
        products.forEach(function (p) { if (p.price) currency = p.price.currency; });
        products.forEach(show);
        list.setAttribute("data-loaded", "true");
        render();
      })
      .catch(function (e) { showError(e.message); });

    // The server prices the cart from its catalog: only SKUs and quantities are sent.
    document.getElementById("checkout").addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      document.getElementById("pay").disabled = true;
      var items = lines().map(function (line) { return { sku: line.product.sku, quantity: line.quantity }; });
      fetch("/api/v1/checkout/sessions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ items: items, email: document.getElementById("email").value }),
      })
        .then(json)
        .then(function (res) {
          if (!res.ok) throw failure(res, "Checkout failed.");
          window.location.href = res.body.url;
        })
        .catch(function (e) {
          showError(e.message);
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
        .then(json)
        .then(function (res) {
          if (!res.ok) throw failure(res, "Unknown order.");
          var order = res.body;
          status.textContent = order.status;
          detail.textContent = "Order " + order.id + ", " + money(order.amount, order.currency) +
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
