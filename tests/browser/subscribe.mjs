// Subscribes through the storefront in headless Chromium as a signed-in user: Subscribe on the monthly price,
// 4242 4242 4242 4242 on the emulated checkout page, then the success page until it shows the subscription
// granting the product.
// Usage: node subscribe.mjs http://127.0.0.1:PORT <user token>   (exit code 0 when access is granted)
import { payOnHostedPage, withPage } from "./common.mjs";

const [base, token] = process.argv.slice(2);
if (!base || !token) {
  console.error("usage: node subscribe.mjs <storefront base URL> <user token>");
  process.exit(2);
}

await withPage(async (page) => {
  await page.goto(base + "/?token=" + encodeURIComponent(token));
  await page.click('button[data-subscribe="rust-course-monthly-usd"]');

  const checkoutPage = await payOnHostedPage(page);
  if (!/every month/.test(checkoutPage)) throw new Error("the checkout page does not say it renews every month");
  await page.waitForSelector('#access li[data-sku="rust-course"][data-subscription="active"]');
  await page.waitForSelector('#status[data-final="true"]');
  const access = (await page.textContent('#access li[data-sku="rust-course"]')).trim();
  const status = (await page.textContent("#status")).trim();
  const sessionId = new URL(page.url()).searchParams.get("session_id");
  console.log(JSON.stringify({ status, access, sessionId }));
});
