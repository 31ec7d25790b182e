//! Wires configuration, adapters and the HTTP server. Nothing else lives here.

pub mod catalog_file;
#[cfg(feature = "emulator")]
mod emulated;
pub mod fulfilment;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod metrics;
mod orphans;
mod reconcile;
pub mod settings;
pub mod telemetry;

use anyhow::Context;
use payments_domain::{
    Catalog, CatalogReport, CatalogStore, CustomerStore, Deliveries, OrderStore, Outbox, OutboxStore,
    ReconcileReport, ReconcileStore, SubscriptionStore,
};
use payments_domain::{Ports, Services, SystemClock};
use payments_postgres::{PgStore, PgStoreOptions};
use payments_sqlite::{SqliteStore, SqliteStoreOptions};
use payments_stripe::{StripeConfig, StripeGateway, StripeWebhookVerifier};
#[cfg(feature = "emulator")]
use payments_stripe_emulator::Emulator;
use secrecy::{ExposeSecret, SecretString};
use settings::{Settings, StripeMode};
use std::net::TcpListener;
use std::sync::Arc;

/// A built application: the bound listener, the server that will run on it, and the in-process Stripe
/// emulator when no Stripe key is configured.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    #[cfg(feature = "emulator")]
    emulator: Option<Arc<Emulator>>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("port", &self.port).finish_non_exhaustive()
    }
}

/// How the service reaches Stripe, once set up.
pub(crate) struct StripeSide {
    pub(crate) secret_key: SecretString,
    pub(crate) api_base: url::Url,
    pub(crate) webhook_secrets: Vec<SecretString>,
    #[cfg(feature = "emulator")]
    pub(crate) emulator: Option<Arc<Emulator>>,
}

impl Application {
    /// Builds adapters from `settings`, runs migrations unless turned off, binds the listener (port 0 picks a
    /// free port; see [`Application::port`]) and, with no Stripe key, starts the Stripe emulator and registers
    /// this service's webhook endpoint with it.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let store = open_store(settings).await?;
        if settings.database.migrate_on_start {
            store.migrate().await.context("applying database migrations")?;
        }
        let ports = store.ports();
        load_catalog(settings, &ports).await?;
        let currencies = sold_currencies(&ports, settings.checkout.currency).await?;

        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address).with_context(|| format!("binding {address}"))?;
        let port = listener.local_addr()?.port();
        let own_url = format!("http://{}:{port}", browser_host(&settings.server.host));

        let stripe = match &settings.stripe.mode {
            StripeMode::Real { key, webhook_secrets } => StripeSide {
                secret_key: key.secret.clone(),
                api_base: settings.stripe.api_base.clone(),
                webhook_secrets: webhook_secrets.clone(),
                #[cfg(feature = "emulator")]
                emulator: None,
            },
            #[cfg(feature = "emulator")]
            StripeMode::Emulated => emulated::start(settings, &own_url).await?,
            // Refused by the settings already: this build has no emulator.
            #[cfg(not(feature = "emulator"))]
            StripeMode::Emulated => {
                anyhow::bail!("STRIPE_SECRET_KEY is not set and this build has no Stripe emulator")
            }
        };
        let outbox = ports.outbox.clone();
        let services = wire(settings, ports, &stripe, &own_url)?;
        if let Some(every) = settings.reconcile.every {
            reconcile::spawn_periodic(services.reconciler.clone(), every);
        }
        let mut options = payments_http::HttpOptions {
            storefront: settings.server.storefront,
            auth: settings.auth.clone(),
            deadlines: payments_http::Deadlines {
                webhook: settings.webhook.deadline,
                checkout: settings.checkout.deadline,
                ..payments_http::Deadlines::default()
            },
            guest_checkouts: settings.checkout.guest_limit.map(|limit| {
                payments_http::GuestCheckoutLimit::new(limit, settings.server.trust_forwarded_for)
            }),
            front_end: payments_http::FrontEnd {
                publishable_key: settings.stripe.publishable_key.clone(),
                currencies,
            },
            demo_shop: None,
            metrics: Some(metrics::render()),
        };
        // Where the outbox goes: the shop's endpoints; else, with Stripe emulated and the storefront on, the
        // storefront's own demo shop, so `make run` shows deliveries working.
        let demo = settings.server.storefront
            && matches!(settings.stripe.mode, StripeMode::Emulated)
            && settings.fulfilment.delivery.endpoints.is_empty();
        let delivery = if demo {
            let secret = SecretString::from(format!(
                "demo_{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            ));
            let shop = Arc::new(payments_http::DemoShop::new(secret.clone()));
            options.demo_shop = Some(shop);
            let endpoint =
                url::Url::parse(&format!("{own_url}/demo/fulfilment")).context("the demo shop's URL")?;
            let delivery = payments_domain::DeliverySettings {
                endpoints: vec![endpoint],
                ..settings.fulfilment.delivery.clone()
            };
            Some((delivery, secret))
        } else {
            settings.fulfilment.secret.clone().map(|secret| (settings.fulfilment.delivery.clone(), secret))
        };
        if let Some((delivery, secret)) = delivery.filter(|(delivery, _)| !delivery.endpoints.is_empty()) {
            let sender = payments_fulfilment::HttpNoticeSender::new(secret, settings.fulfilment.timeout)
                .context("fulfilment.webhook_urls")?;
            let deliveries = Deliveries::new(outbox, Arc::new(sender), Arc::new(SystemClock), delivery);
            fulfilment::spawn_deliveries(deliveries, settings.fulfilment.poll_interval);
        }
        if let Some(age) = settings.webhook.orphan_report_after {
            orphans::spawn_report(services.ingest.clone(), age);
        }
        let server = payments_http::serve(listener, services, options)?;
        Ok(Self {
            port,
            server,
            #[cfg(feature = "emulator")]
            emulator: stripe.emulator,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The in-process Stripe emulator, when no Stripe key is configured.
    #[cfg(feature = "emulator")]
    pub fn emulator(&self) -> Option<Arc<Emulator>> {
        self.emulator.clone()
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes in-flight requests (graceful shutdown).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        #[cfg(feature = "emulator")]
        if let Some(emulator) = self.emulator.and_then(|e| Arc::try_unwrap(e).ok()) {
            emulator.stop().await;
        }
        result
    }
}

/// The services over the store's ports and Stripe (`own_url`: this service's address, for the checkout's
/// default return pages).
fn wire(
    settings: &Settings,
    ports: StorePorts,
    stripe: &StripeSide,
    own_url: &str,
) -> anyhow::Result<Services> {
    let gateway = StripeGateway::new(StripeConfig {
        secret_key: stripe.secret_key.clone(),
        api_base: stripe.api_base.clone(),
        timeout: settings.stripe.timeout,
        deadline: settings.stripe.deadline,
    })
    .context("building the Stripe client")?;
    let gateway = Arc::new(gateway);
    let verifier =
        StripeWebhookVerifier::new(stripe.webhook_secrets.clone(), settings.stripe.webhook_tolerance)
            .context("stripe.webhook_secret (STRIPE_WEBHOOK_SECRET)")?;
    Ok(Services::new(
        Ports {
            orders: ports.orders,
            outbox: ports.outbox.clone(),
            reconcile: ports.reconcile.clone(),
            events: gateway.clone(),
            subscriptions: ports.subscriptions,
            catalog: ports.catalog,
            customers: ports.customers,
            gateway: gateway.clone(),
            billing: gateway.clone(),
            refunds: gateway,
            verifier: Arc::new(verifier),
            clock: Arc::new(SystemClock),
        },
        payments_domain::CheckoutSettings {
            currency: settings.checkout.currency,
            success_url: settings.success_url(own_url),
            cancel_url: settings.cancel_url(own_url),
            portal_return_url: settings.portal_return_url(own_url),
            allow_client_prices: settings.checkout.allow_client_prices,
            allow_guest_checkout: settings.checkout.allow_guest_checkout,
            session_ttl: settings.checkout.session_ttl,
        },
        payments_domain::EventScope {
            livemode: matches!(&settings.stripe.mode, StripeMode::Real { key, .. } if key.live),
            connected_accounts: settings.webhook.connected_accounts.clone(),
        },
        settings.refunds,
        settings.reconcile.run.clone(),
    ))
}

/// A host browsers can open: an unspecified bind address becomes loopback.
fn browser_host(host: &str) -> &str {
    match host {
        "0.0.0.0" | "::" | "[::]" | "" => "127.0.0.1",
        other => other,
    }
}

/// `payments outbox ...`: the fulfilment outbox's dead entries, and redelivery (see [`fulfilment`]); the
/// lines to print.
pub async fn outbox_command(settings: &Settings, args: &[String]) -> anyhow::Result<Vec<String>> {
    let store = open_store(settings).await?;
    if settings.database.migrate_on_start {
        store.migrate().await.context("applying database migrations")?;
    }
    let outbox = Outbox::new(store.ports().outbox, Arc::new(SystemClock));
    fulfilment::command(&outbox, args).await
}

/// `payments reconcile [--since 72h]`: one reconciliation run against Stripe (needs STRIPE_SECRET_KEY; with no
/// key Stripe is emulated in process and there is nothing lasting to catch up with).
pub async fn reconcile_command(settings: &Settings, args: &[String]) -> anyhow::Result<ReconcileReport> {
    let lookback = match args {
        [] => None,
        [flag, value] if flag == "--since" => Some(payments_domain::parse_lookback(value)?),
        _ => anyhow::bail!("use `payments reconcile [--since 72h]` (a whole number and s, m, h or d)"),
    };
    let StripeMode::Real { key, webhook_secrets } = &settings.stripe.mode else {
        anyhow::bail!(
            "reconcile needs STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET): with no key, Stripe is emulated in \
             process and there is nothing lasting to reconcile with"
        );
    };
    let store = open_store(settings).await?;
    if settings.database.migrate_on_start {
        store.migrate().await.context("applying database migrations")?;
    }
    let side = StripeSide {
        secret_key: key.secret.clone(),
        api_base: settings.stripe.api_base.clone(),
        webhook_secrets: webhook_secrets.clone(),
        #[cfg(feature = "emulator")]
        emulator: None,
    };
    let services = wire(settings, store.ports(), &side, "http://127.0.0.1")?;
    Ok(services.reconciler.run(lookback).await)
}

/// Applies migrations and exits (`payments migrate`).
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    open_store(settings).await?.migrate().await.context("applying database migrations")
}

/// Loads `catalog.path` into the store, if set.
async fn load_catalog(settings: &Settings, ports: &StorePorts) -> anyhow::Result<()> {
    let Some(path) = &settings.catalog_path else {
        return Ok(());
    };
    let products = catalog_file::read(path)?;
    let report = Catalog::new(ports.catalog.clone(), Arc::new(SystemClock))
        .load(&products)
        .await
        .context("loading the catalog into the database")?;
    tracing::info!(products = report.products, retired = report.retired, path = %path.display(), "catalog loaded");
    Ok(())
}

/// The currencies a checkout may be priced in: the configured one first, then every other currency an active
/// one-time catalog price is in.
async fn sold_currencies(
    ports: &StorePorts,
    default: payments_domain::Currency,
) -> anyhow::Result<Vec<String>> {
    let products = ports.catalog.list_products().await.context("reading the catalog")?;
    let mut currencies = vec![default.to_string()];
    let mut others: Vec<String> = products
        .iter()
        .filter(|product| product.active)
        .flat_map(|product| product.prices.iter().filter(|price| price.is_one_time_and_active()))
        .map(|price| price.unit_amount.currency().to_string())
        .filter(|code| *code != currencies[0])
        .collect();
    others.sort();
    others.dedup();
    currencies.extend(others);
    Ok(currencies)
}

/// Loads the catalog, then creates in Stripe every product and price it lacks and stores their ids
/// (`payments catalog sync`). Needs STRIPE_SECRET_KEY: with no key there is no Stripe to sync to (point
/// STRIPE_API_BASE at `payments emulator` to try it offline).
pub async fn sync_catalog(settings: &Settings) -> anyhow::Result<CatalogReport> {
    let StripeMode::Real { key, .. } = &settings.stripe.mode else {
        anyhow::bail!(
            "catalog sync needs STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET): with no key, Stripe is emulated \
             in process and there is nothing lasting to sync to. To try it offline, run `payments emulator` and \
             set STRIPE_API_BASE=http://127.0.0.1:12111 with any sk_test_ key"
        );
    };
    let store = open_store(settings).await?;
    if settings.database.migrate_on_start {
        store.migrate().await.context("applying database migrations")?;
    }
    let ports = store.ports();
    load_catalog(settings, &ports).await?;
    let gateway = StripeGateway::new(StripeConfig {
        secret_key: key.secret.clone(),
        api_base: settings.stripe.api_base.clone(),
        timeout: settings.stripe.timeout,
        deadline: settings.stripe.deadline,
    })
    .context("building the Stripe client")?;
    let report = Catalog::new(ports.catalog, Arc::new(SystemClock))
        .sync(&gateway)
        .await
        .context("syncing the catalog to Stripe")?;
    Ok(report)
}

/// The order store `database.url` names: `sqlite://...` or `postgres://...`.
enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Store {
    async fn migrate(&self) -> Result<(), payments_domain::StoreError> {
        match self {
            Store::Sqlite(store) => store.migrate().await,
            Store::Postgres(store) => store.migrate().await,
        }
    }

    fn ports(self) -> StorePorts {
        match self {
            Store::Sqlite(store) => StorePorts::of(Arc::new(store)),
            Store::Postgres(store) => StorePorts::of(Arc::new(store)),
        }
    }
}

/// The storage ports, all served by one adapter.
struct StorePorts {
    orders: Arc<dyn OrderStore>,
    outbox: Arc<dyn OutboxStore>,
    reconcile: Arc<dyn ReconcileStore>,
    subscriptions: Arc<dyn SubscriptionStore>,
    catalog: Arc<dyn CatalogStore>,
    customers: Arc<dyn CustomerStore>,
}

impl StorePorts {
    fn of<S>(store: Arc<S>) -> Self
    where
        S: OrderStore + OutboxStore + ReconcileStore + SubscriptionStore + CatalogStore + CustomerStore,
    {
        Self {
            orders: store.clone(),
            outbox: store.clone(),
            reconcile: store.clone(),
            subscriptions: store.clone(),
            catalog: store.clone(),
            customers: store,
        }
    }
}

/// Which adapter a database URL picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:` URLs: an embedded file.
    Sqlite,
    /// `postgres:` / `postgresql:` URLs.
    Postgres,
}

impl Backend {
    /// The backend `url`'s scheme names, if any.
    pub fn of(url: &str) -> Option<Backend> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme.to_ascii_lowercase())?;
        match scheme.as_str() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }
}

async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = settings.database.url.expose_secret();
    let acquire_timeout = settings.database.acquire_timeout;
    match settings.database.backend {
        Backend::Sqlite => {
            let options = SqliteStoreOptions { acquire_timeout, ..SqliteStoreOptions::default() };
            let store = SqliteStore::connect(url, &options)
                .await
                .context("opening the SQLite database (DATABASE_URL)")?;
            Ok(Store::Sqlite(store))
        }
        Backend::Postgres => {
            let options = PgStoreOptions {
                max_connections: settings.database.max_connections,
                acquire_timeout,
                statement_timeout: settings.database.statement_timeout,
                lock_timeout: settings.database.lock_timeout,
                ..PgStoreOptions::default()
            };
            let store = PgStore::connect(url, &options).await.context("database.url (DATABASE_URL)")?;
            Ok(Store::Postgres(store))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Backend;

    #[test]
    fn the_url_scheme_picks_the_adapter() {
        assert_eq!(Backend::of("sqlite://data/payments.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of("sqlite:payments.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of("postgres://postgres@127.0.0.1/payments"), Some(Backend::Postgres));
        assert_eq!(Backend::of("postgresql://u:secret@db/payments"), Some(Backend::Postgres));
        assert_eq!(Backend::of("mysql://db/payments"), None);
        assert_eq!(Backend::of("payments.db"), None);
    }
}
