// Clicks through the storefront in headless Chromium: add to cart, Pay, the emulated Stripe checkout page
// with 4242 4242 4242 4242, then the success page until the service says the order is paid.
// Usage: node checkout.mjs http://127.0.0.1:PORT   (exit code 0 when the order ends paid)
import { payOnHostedPage, withPage } from "./common.mjs";

const base = process.argv[2];
if (!base) {
  console.error("usage: node checkout.mjs <storefront base URL>");
  process.exit(2);
}

await withPage(async (page) => {
  await page.goto(base + "/");
  await page.click('button[data-product="rust-course"]');
  await page.click('button[data-product="stickers"]');
  await page.waitForFunction(() => document.getElementById("total").textContent === "$52.00");
  await page.fill("#email", "browser@example.com");
  await page.click("#pay");

  const checkoutPage = await payOnHostedPage(page);
  if (!checkoutPage.includes("52.00")) throw new Error("the checkout page does not show the total, 52.00");
  await page.waitForSelector('#status[data-final="true"]');
  const status = (await page.textContent("#status")).trim();
  const sessionId = new URL(page.url()).searchParams.get("session_id");
  console.log(JSON.stringify({ status, sessionId }));
  if (status !== "paid") throw new Error(`the success page ended on status ${status}, expected paid`);
});
