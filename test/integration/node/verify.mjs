// Verifies LiasonPay webhook deliveries with the official Standard Webhooks library
// (npm "standardwebhooks"), independently of the server's own signer. Used by test_webhooks.py.
//
// stdin: one JSON object
//   {"secret": "whsec_...", "headers": {"webhook-id": ..., "webhook-timestamp": ...,
//    "webhook-signature": ...}, "body": "<raw body as a string>"}
// ("body_base64" may replace "body" to pass the exact bytes).
// stdout: "ok" and exit 0 when `new Webhook(secret).verify(body, headers)` passes; otherwise the
// error on stderr and exit 1.
//
// A JSON array of such objects is also accepted: one line per item ("ok" or "error: <message>"),
// exit 0 only if every item verified.
//
// Setup: cd test/integration/node && npm ci

import { Webhook } from "standardwebhooks";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function verifyOne(item) {
  if (!item || typeof item !== "object") throw new Error("input item is not an object");
  if (typeof item.secret !== "string") throw new Error("input has no secret");
  if (!item.headers || typeof item.headers !== "object") throw new Error("input has no headers");
  let body;
  if (typeof item.body_base64 === "string") {
    body = Buffer.from(item.body_base64, "base64");
  } else if (typeof item.body === "string") {
    body = item.body;
  } else {
    throw new Error("input has no body");
  }
  // verify() throws WebhookVerificationError on a bad signature, a missing header or a
  // timestamp outside the library's 5-minute tolerance.
  new Webhook(item.secret).verify(body, item.headers, { jsonParse: false });
}

function describe(err) {
  return `${err && err.name ? err.name : "Error"}: ${err && err.message ? err.message : err}`;
}

let input;
try {
  input = JSON.parse(await readStdin());
} catch (err) {
  process.stderr.write(`verify.mjs: stdin is not JSON: ${describe(err)}\n`);
  process.exit(2);
}

if (Array.isArray(input)) {
  let allOk = true;
  const lines = input.map((item) => {
    try {
      verifyOne(item);
      return "ok";
    } catch (err) {
      allOk = false;
      return `error: ${describe(err)}`;
    }
  });
  process.stdout.write(lines.join("\n") + "\n");
  process.exit(allOk ? 0 : 1);
} else {
  try {
    verifyOne(input);
  } catch (err) {
    process.stderr.write(`${describe(err)}\n`);
    process.exit(1);
  }
  process.stdout.write("ok\n");
}
