// The demo storefront: the catalog's products (GET /api/v1/products), a cart, Pay -> a checkout of catalog
// items (POST /api/v1/checkout/sessions), Subscribe -> a checkout of one recurring price, and a success page
// that asks the service for the order's status until it is final. A user token (pasted in, or `?token=` in
// the address) is kept for the tab and sent as `Authorization: Bearer`: the success page then shows what
// the user holds (GET /api/v1/purchases). No build step, no framework.
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
  function every(interval) { return interval.intervalCount === 1 ? interval.interval : interval.intervalCount + " " + interval.interval + "s"; }

  // The user's token, for this tab: `?token=` in the address, or what the sign-in field holds.
  function token() {
    var given = new URLSearchParams(window.location.search).get("token");
    if (given) sessionStorage.setItem("token", given);
    return sessionStorage.getItem("token") || "";
  }
  function headers(extra) {
    var h = extra || {};
    h.accept = "application/json";
    if (token()) h.authorization = "Bearer " + token();
    return h;
  }
  function startCheckout(body, onError) {
    fetch("/api/v1/checkout/sessions", {
      method: "POST",
      headers: headers({ "content-type": "application/json" }),
      body: JSON.stringify(body),
    })
      .then(json)
      .then(function (res) {
        if (!res.ok) throw failure(res, "Checkout failed.");
        window.location.href = res.body.url;
      })
      .catch(onError);
  }

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
      (p.prices || []).filter(function (price) { return price.recurring; }).forEach(function (price) {
        var trial = price.recurring.trialPeriodDays ? " (" + price.recurring.trialPeriodDays + "-day free trial)" : "";
        var subscribe = el("button", "Subscribe — " + money(price.unitAmount, price.currency) + " / " + every(price.recurring) + trial);
        subscribe.type = "button";
        subscribe.setAttribute("data-subscribe", price.id);
        subscribe.addEventListener("click", function () {
          error.hidden = true;
          subscribe.disabled = true;
          var body = { items: [{ price_id: price.id, quantity: 1 }] };
          if (!token()) body.email = document.getElementById("email").value;
          startCheckout(body, function (e) { showError(e.message); subscribe.disabled = false; });
        });
        li.appendChild(subscribe);
      });
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
      var body = { items: items };
      if (!token()) body.email = document.getElementById("email").value;
      startCheckout(body, function (e) {
        showError(e.message);
        document.getElementById("pay").disabled = false;
      });
    });
    var signIn = document.getElementById("token");
    signIn.value = token();
    signIn.addEventListener("change", function () { sessionStorage.setItem("token", signIn.value.trim()); });
  }

  // What a signed-in user holds: one line per purchase, a subscription's with its status and period.
  function holdings() {
    var list = document.getElementById("access");
    if (!token()) return;
    fetch("/api/v1/purchases", { headers: headers() })
      .then(json)
      .then(function (res) {
        if (!res.ok) throw failure(res, "Your purchases could not be read.");
        list.textContent = "";
        res.body.purchases.forEach(function (p) {
          var sub = p.subscription;
          var text = p.name + ": " + p.status + (sub ? " (subscription " + sub.status +
            (sub.currentPeriodEnd ? ", until " + sub.currentPeriodEnd.slice(0, 10) : "") + ")" : "");
          var li = el("li", text);
          li.setAttribute("data-sku", p.sku);
          li.setAttribute("data-status", p.status);
          if (sub) li.setAttribute("data-subscription", sub.status);
          list.appendChild(li);
        });
        if (!res.body.purchases.length) list.appendChild(el("li", "Nothing yet."));
      })
      .catch(function (e) { list.textContent = e.message; });
  }

  function success() {
    var status = document.getElementById("status");
    var detail = document.getElementById("detail");
    var sessionId = new URLSearchParams(window.location.search).get("session_id");
    if (!sessionId) { status.textContent = "unknown (no session_id in the address)"; return; }
    var tries = 0;
    function poll() {
      tries += 1;
      fetch("/api/v1/checkout/sessions/" + encodeURIComponent(sessionId), { headers: headers() })
        .then(json)
        .then(function (res) {
          if (!res.ok) throw failure(res, "Unknown order.");
          var order = res.body;
          status.textContent = order.status;
          detail.textContent = "Order " + order.id + ", " + money(order.amount, order.currency) +
            (order.failureReason ? " (" + order.failureReason + ")" : "");
          if (FINAL.indexOf(order.status) >= 0) { status.setAttribute("data-final", "true"); }
          holdings();
          if (tries < 600 && (FINAL.indexOf(order.status) < 0 || (token() && tries < 30))) setTimeout(poll, 1000);
        })
        .catch(function (e) { detail.textContent = e.message; if (tries < 600) setTimeout(poll, 1000); });
    }
    poll();
  }

  return { storefront: storefront, success: success };
})();
