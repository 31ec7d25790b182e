//! Payments against the built-in Stripe emulator, when no Stripe key is set (feature `emulator`).

use crate::settings::Settings;
use crate::StripeSide;
use anyhow::Context;
use payments_stripe_emulator::{Emulator, EmulatorConfig};
use secrecy::ExposeSecret;
use secrecy::SecretString;
use std::sync::Arc;

/// Starts the emulator, registers `{own_url}/webhook` with a fresh secret, and says loudly that payments
/// are emulated.
pub(crate) async fn start(settings: &Settings, own_url: &str) -> anyhow::Result<StripeSide> {
    let address = format!("{}:{}", settings.emulator.host, settings.emulator.port);
    let addr: std::net::SocketAddr = tokio::net::lookup_host(&address)
        .await
        .ok()
        .and_then(|mut addrs| addrs.next())
        .with_context(|| format!("emulator address {address} (emulator.host, emulator.port)"))?;
    let config = EmulatorConfig {
        retry_schedule: payments_stripe_emulator::exponential_backoff(
            settings.emulator.first_retry,
            settings.emulator.retries,
        ),
        public_base_url: settings.emulator.public_url.clone(),
        control_token: settings.emulator.control_token.as_ref().map(|token| token.expose_secret().to_owned()),
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(addr, config).await.with_context(|| {
        format!(
            "starting the Stripe emulator on {address} (set STRIPE_EMULATOR_PORT to another port, or \
             STRIPE_SECRET_KEY to use real Stripe)"
        )
    })?;
    let secret = emulator.register_webhook_endpoint(&format!("{own_url}/webhook"), &["*"]);
    let base = emulator.base_url();
    tracing::warn!(
        emulator = %base,
        "STRIPE IS EMULATED: no STRIPE_SECRET_KEY is set, so checkout and webhooks run against the built-in \
         Stripe emulator. No real money moves. Pay with card 4242 4242 4242 4242."
    );
    let demo_shop = if settings.server.storefront && settings.fulfilment.delivery.endpoints.is_empty() {
        format!(
            "Shop's deliveries: {own_url}/demo/fulfilment (order.paid, ... as the shop received them)\n  "
        )
    } else {
        String::new()
    };
    eprintln!(
        "\n  ==============================================================\n  \
         Stripe is EMULATED (no STRIPE_SECRET_KEY): no real money moves.\n  \
         Storefront:        {own_url}/\n  \
         {demo_shop}Emulated Stripe:   {base}\n  \
         Test card:         4242 4242 4242 4242, any future date, any CVC\n  \
         ==============================================================\n"
    );
    Ok(StripeSide {
        secret_key: SecretString::from("sk_test_emulated"),
        api_base: base,
        webhook_secrets: vec![SecretString::from(secret)],
        emulator: Some(Arc::new(emulator)),
    })
}
