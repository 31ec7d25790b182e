// What both browser runs share: headless Chromium (Debian's, or CHROMIUM_PATH) and the emulated Stripe
// checkout page paid with 4242 4242 4242 4242.
import { chromium } from "playwright-core";

/// Runs `run(page)` in a fresh headless Chromium, closed afterwards whatever happens.
export async function withPage(run) {
  const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(20000);
    await run(page);
  } finally {
    await browser.close();
  }
}

/// Waits for the emulated checkout page, pays it with Stripe's 4242 test card, and waits for the success page.
export async function payOnHostedPage(page) {
  await page.waitForURL((url) => url.pathname.startsWith("/checkout/cs_test_"));
  const body = await page.textContent("body");
  await page.fill('input[name="card_number"]', "4242 4242 4242 4242");
  await page.fill('input[name="card_expiry"]', "12 / 34");
  await page.fill('input[name="card_cvc"]', "123");
  await page.click("#pay");
  await page.waitForURL((url) => url.pathname === "/success" && url.searchParams.has("session_id"));
  return body;
}
