// The official stripe-node client against the Stripe emulator (`payments emulator`), with the emulator's
// signed webhooks verified by stripe-node's own `webhooks.constructEvent`:
// - checkout: a product, a one-time price, a Checkout Session (mode payment) paid through the emulator's
//   control API, then `checkout.session.completed`;
// - subscription (the Stripe CLI's fixture flow): a customer with pm_card_visa as default payment method, a
//   monthly price, `subscriptions.create`, then `customer.subscription.created` and `invoice.paid`;
//   `cancel_at_period_end`, `subscriptions.cancel`, then `customer.subscription.deleted`;
// - payment intent: created, confirmed with pm_card_visa, then `payment_intent.succeeded`; another declined.
// The webhook endpoint is registered with `webhookEndpoints.create`, and deliveries are verified with the
// secret it returned (or with `--verify-with SECRET`, to see verification fail). Every wait has a deadline.
// Also: an idempotent replay, a 404 as StripeInvalidRequestError, auto-pagination over every event.
// Usage: node official-client.mjs <emulator base URL> [--api-version V] [--verify-with whsec_...]
// Prints one JSON line with what it saw; exits non-zero on any failure.
import http from "node:http";
import Stripe from "stripe";

const WAIT_MS = 15000;
const WHOLE_RUN_MS = 60000;

function parseArgs(argv) {
  const options = { base: null, apiVersion: null, verifyWith: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--api-version" || arg === "--verify-with") {
      const value = argv[++i];
      if (!value) throw new Error(`${arg} needs a value`);
      options[arg === "--api-version" ? "apiVersion" : "verifyWith"] = value;
    } else if (!options.base) {
      options.base = new URL(arg);
    } else {
      throw new Error(`unexpected argument ${arg}`);
    }
  }
  if (!options.base) {
    throw new Error("usage: node official-client.mjs <emulator base URL> [--api-version V] [--verify-with S]");
  }
  return options;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function verificationFailed(message) {
  return new Error(`a delivery failed verification: ${message}`);
}

// Receives the emulator's deliveries on 127.0.0.1 and verifies each with stripe-node; waits for events.
class WebhookReceiver {
  constructor(stripe) {
    this.stripe = stripe;
    this.secret = null;
    this.verified = [];
    this.rejected = [];
    this.waiters = new Set();
    this.server = http.createServer((req, res) => this.receive(req, res));
  }

  async listen() {
    await new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", resolve);
    });
    return `http://127.0.0.1:${this.server.address().port}/webhooks/stripe`;
  }

  receive(req, res) {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      let event;
      try {
        event = this.stripe.webhooks.constructEvent(raw, req.headers["stripe-signature"], this.secret);
      } catch (error) {
        this.rejected.push(error.message);
        res.writeHead(400, { "content-type": "text/plain" }).end(error.message);
        for (const waiter of this.waiters) waiter.fail(verificationFailed(error.message));
        return;
      }
      this.verified.push(event);
      res.writeHead(200, { "content-type": "application/json" }).end('{"received":true}');
      for (const waiter of this.waiters) waiter.offer(event);
    });
  }

  /// The first verified event of `type` (already received or still to come) for which `matches` holds.
  waitFor(type, matches = () => true) {
    const wanted = (event) => event.type === type && matches(event.data.object);
    if (this.rejected.length) return Promise.reject(verificationFailed(this.rejected[0]));
    const seen = this.verified.find(wanted);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        offer: (event) => wanted(event) && settle(() => resolve(event)),
        fail: (error) => settle(() => reject(error)),
      };
      const timeout = () => `no verified ${type} within ${WAIT_MS} ms (verified: ${this.types().join(", ")})`;
      const timer = setTimeout(() => waiter.fail(new Error(timeout())), WAIT_MS);
      const settle = (finish) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        finish();
      };
      this.waiters.add(waiter);
    });
  }

  types() {
    return this.verified.map((event) => event.type);
  }

  close() {
    this.server.closeAllConnections();
    this.server.close();
  }
}

// The emulator's control API (not Stripe's): pays a session as the hosted page would.
async function pay(base, sessionId) {
  const response = await fetch(new URL(`_emulator/checkout/sessions/${sessionId}/pay`, base), {
    method: "POST",
    body: new URLSearchParams({ card: "4242424242424242", email: "node-checkout@example.com" }),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const body = await response.json();
  check(response.ok, `paying ${sessionId} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

async function checkout(stripe, receiver, base) {
  // Sent twice under one Idempotency-Key: the second answer is the first one replayed.
  const once = { idempotencyKey: `official-client-course-${Date.now()}` };
  const product = await stripe.products.create({ name: "Official client course" }, once);
  const replayed = await stripe.products.create({ name: "Official client course" }, once);
  check(
    replayed.id === product.id && replayed.lastResponse.headers["idempotent-replayed"] === "true",
    `the replay: ${replayed.id} (${JSON.stringify(replayed.lastResponse.headers)}), first ${product.id}`,
  );
  const price = await stripe.prices.create({ product: product.id, unit_amount: 2500, currency: "usd" });
  const session = await stripe.checkout.sessions.create({
    mode: "payment",
    line_items: [{ price: price.id, quantity: 2 }],
    success_url: "http://127.0.0.1/success?session_id={CHECKOUT_SESSION_ID}",
    cancel_url: "http://127.0.0.1/cancel",
    metadata: { order: "node-1" },
  });
  check(session.status === "open" && session.url.startsWith(base.href), `new: ${JSON.stringify(session)}`);
  const paid = await pay(base, session.id);
  check(paid.outcome === "succeeded", `the payment's outcome: ${JSON.stringify(paid)}`);

  const completed = await receiver.waitFor("checkout.session.completed", (s) => s.id === session.id);
  const object = completed.data.object;
  check(object.payment_status === "paid" && object.amount_total === 5000, `completed: ${JSON.stringify(object)}`);
  check(object.metadata.order === "node-1", `the session's metadata: ${JSON.stringify(object.metadata)}`);
  const retrieved = await stripe.checkout.sessions.retrieve(session.id, { expand: ["payment_intent"] });
  check(retrieved.payment_intent.status === "succeeded", `its payment intent: ${JSON.stringify(retrieved)}`);
  const lines = await stripe.checkout.sessions.listLineItems(session.id);
  check(lines.data.length === 1 && lines.data[0].price.id === price.id, `its lines: ${JSON.stringify(lines)}`);
  return {
    session: session.id,
    status: retrieved.status,
    paymentStatus: retrieved.payment_status,
    paymentIntent: retrieved.payment_intent.id,
    completedEvent: completed.id,
  };
}

// The custom payment flow: a PaymentIntent created with automatic payment methods, confirmed with
// pm_card_visa (then `charge.succeeded`, `payment_intent.succeeded`); another declined with
// pm_card_chargeDeclined, which stripe-node raises as a StripeCardError.
async function paymentIntent(stripe, receiver) {
  const created = await stripe.paymentIntents.create({
    amount: 1999,
    currency: "usd",
    automatic_payment_methods: { enabled: true },
    metadata: { order_id: "node-pi-1" },
  });
  check(created.status === "requires_payment_method", `new: ${JSON.stringify(created)}`);
  check(created.client_secret?.startsWith(`${created.id}_secret_`), `its client secret: ${created.client_secret}`);
  const confirmed = await stripe.paymentIntents.confirm(created.id, { payment_method: "pm_card_visa" });
  check(confirmed.status === "succeeded" && confirmed.amount_received === 1999, `confirmed: ${JSON.stringify(confirmed)}`);
  const succeeded = await receiver.waitFor("payment_intent.succeeded", (pi) => pi.id === created.id);
  check(succeeded.data.object.metadata.order_id === "node-pi-1", `its event: ${JSON.stringify(succeeded)}`);

  const declining = await stripe.paymentIntents.create({ amount: 500, currency: "usd", payment_method_types: ["card"] });
  const declined = await stripe.paymentIntents
    .confirm(declining.id, { payment_method: "pm_card_chargeDeclined" })
    .then(
      (pi) => ({ unexpected: pi.status }),
      (error) => ({ type: error.type, code: error.code, declineCode: error.decline_code }),
    );
  check(declined.type === "StripeCardError" && declined.code === "card_declined", `declined: ${JSON.stringify(declined)}`);
  await receiver.waitFor("payment_intent.payment_failed", (pi) => pi.id === declining.id);
  const after = await stripe.paymentIntents.retrieve(declining.id);
  check(after.status === "requires_payment_method", `after the decline: ${JSON.stringify(after)}`);
  return { paid: confirmed.id, paidStatus: confirmed.status, declined: declining.id, declineCode: declined.declineCode };
}

async function subscription(stripe, receiver) {
  const customer = await stripe.customers.create({
    email: "node-subscriber@example.com",
    payment_method: "pm_card_visa",
    invoice_settings: { default_payment_method: "pm_card_visa" },
  });
  const defaultMethod = customer.invoice_settings.default_payment_method;
  check(defaultMethod?.startsWith("pm_"), `the customer: ${JSON.stringify(customer)}`);
  const product = await stripe.products.create({ name: "Official client membership" });
  const price = await stripe.prices.create({
    product: product.id,
    unit_amount: 1500,
    currency: "usd",
    recurring: { interval: "month" },
  });
  const created = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  check(created.status === "active", `the new subscription: ${JSON.stringify(created)}`);
  const item = created.items.data[0];
  check(
    item.price.id === price.id && item.current_period_end > item.current_period_start,
    `its items: ${JSON.stringify(created.items)}`,
  );

  const ofIt = (object) => object.id === created.id;
  const createdEvent = await receiver.waitFor("customer.subscription.created", ofIt);
  const paidEvent = await receiver.waitFor(
    "invoice.paid",
    (invoice) => invoice.parent?.subscription_details?.subscription === created.id,
  );
  const invoice = paidEvent.data.object;
  check(
    invoice.amount_paid === 1500 && invoice.billing_reason === "subscription_create",
    `paid: ${JSON.stringify(invoice)}`,
  );

  const invoices = await stripe.invoices.list({ subscription: created.id });
  check(invoices.data.length === 1 && invoices.data[0].id === invoice.id, `invoices: ${JSON.stringify(invoices)}`);
  check(invoices.data[0].status === "paid", `its invoice's status: ${invoices.data[0].status}`);

  const updated = await stripe.subscriptions.update(created.id, { cancel_at_period_end: true });
  check(updated.cancel_at_period_end === true, `after cancel_at_period_end: ${JSON.stringify(updated)}`);
  await receiver.waitFor("customer.subscription.updated", (s) => ofIt(s) && s.cancel_at_period_end === true);
  const retrieved = await stripe.subscriptions.retrieve(created.id);
  check(
    retrieved.cancel_at_period_end === true && retrieved.status === "active",
    `retrieved: ${JSON.stringify(retrieved)}`,
  );

  const canceled = await stripe.subscriptions.cancel(created.id);
  check(canceled.status === "canceled", `after cancel: ${JSON.stringify(canceled)}`);
  const deletedEvent = await receiver.waitFor("customer.subscription.deleted", ofIt);
  check(deletedEvent.data.object.status === "canceled", `deleted: ${JSON.stringify(deletedEvent.data.object)}`);
  const ended = await stripe.subscriptions.retrieve(created.id);
  const missing = await stripe.subscriptions.retrieve("sub_missing").then(
    () => null,
    (error) => error,
  );
  check(
    missing instanceof Stripe.errors.StripeInvalidRequestError &&
      missing.statusCode === 404 &&
      missing.code === "resource_missing",
    `retrieving a missing subscription: ${missing && JSON.stringify(missing.raw)}`,
  );
  return {
    customer: customer.id,
    subscription: created.id,
    invoice: invoice.id,
    statuses: [created.status, retrieved.status, ended.status],
    events: [createdEvent.id, paidEvent.id, deletedEvent.id],
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const base = options.base;
  const stripe = new Stripe("sk_test_official_node_client", {
    host: base.hostname,
    port: Number(base.port || 80),
    protocol: "http",
    ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
    maxNetworkRetries: 0,
    timeout: WAIT_MS,
    telemetry: false,
  });
  const receiver = new WebhookReceiver(stripe);
  try {
    const url = await receiver.listen();
    const endpoint = await stripe.webhookEndpoints.create({ url, enabled_events: ["*"] });
    check(endpoint.secret?.startsWith("whsec_"), `the new endpoint: ${JSON.stringify(endpoint)}`);
    receiver.secret = options.verifyWith ?? endpoint.secret;

    const seen = { apiVersion: stripe.getApiField("version"), endpoint: endpoint.id };
    seen.checkout = await checkout(stripe, receiver, base);
    seen.subscription = await subscription(stripe, receiver);
    seen.paymentIntent = await paymentIntent(stripe, receiver);
    check(!receiver.rejected.length, `deliveries failed verification: ${receiver.rejected.join("; ")}`);
    const envelope = ["id", "object", "api_version", "created", "data", "livemode", "pending_webhooks", "request"];
    for (const event of receiver.verified) {
      const missing = [...envelope, "type"].filter((key) => !(key in event));
      check(event.object === "event" && !missing.length, `${event.type} lacks ${missing.join(", ")}`);
    }
    // Auto-pagination follows the emulator's cursors (`has_more`, `starting_after`) two events at a time.
    const listed = await stripe.events.list({ limit: 2 }).autoPagingToArray({ limit: 1000 });
    const listedIds = new Set(listed.map((event) => event.id));
    check(listedIds.size === listed.length, "events.list pages overlap");
    const unlisted = receiver.verified.filter((event) => !listedIds.has(event.id)).map((event) => event.id);
    check(!unlisted.length, `events.list lacks delivered events ${unlisted.join(", ")}`);
    seen.listedEvents = listed.length;
    const versions = [...new Set(receiver.verified.map((event) => event.api_version))];
    seen.verified = receiver.types();
    seen.eventApiVersions = versions;
    console.log(JSON.stringify(seen));
  } finally {
    receiver.close();
  }
}

setTimeout(() => {
  console.error(`official-client: gave up after ${WHOLE_RUN_MS} ms`);
  process.exit(1);
}, WHOLE_RUN_MS).unref();

main().catch((error) => {
  const detail = error.raw ? ` (${error.type}, ${error.statusCode}: ${JSON.stringify(error.raw)})` : "";
  console.error(`official-client: ${error.stack || error.message}${detail}`);
  process.exit(1);
});
