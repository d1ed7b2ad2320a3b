// Signs webhook payloads with the PSPs' OFFICIAL libraries, so LiasonPay's verifiers are tested
// against signatures they did not make themselves (used by test/psp/signatures_test.cpp).
// Input: a JSON file {stripe: [{payload, secret, timestamp}], adyen: [{item, key}]};
// output on stdout: {stripe: [header…], adyen: [{data, signature, valid}…]}.
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import adyen from '@adyen/api-library';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const stripe = new Stripe('sk_test_unused');
const validator = new adyen.hmacValidator();

const out = {
  stripe: (input.stripe ?? []).map((c) =>
    stripe.webhooks.generateTestHeaderString({
      payload: c.payload,
      secret: c.secret,
      timestamp: c.timestamp,
    })),
  adyen: (input.adyen ?? []).map((c) => {
    const signature = validator.calculateHmac(c.item, c.key);
    const item = { ...c.item, additionalData: { ...(c.item.additionalData ?? {}), hmacSignature: signature } };
    return { data: validator.getDataToSign(c.item), signature, valid: validator.validateHMAC(item, c.key) };
  }),
};
process.stdout.write(JSON.stringify(out));
