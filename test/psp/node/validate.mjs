// Validates request bodies against a schema of an official OpenAPI 3.1 spec with Ajv (JSON Schema
// 2020-12). Used for Adyen: Prism 5 mocks the full Checkout v71 spec but does not validate its
// /payments and modification bodies (an empty object passes), so the shape tests validate the
// bodies here and use Prism for the HTTP exchange and the example answers.
// Input: a JSON file {spec, cases: [{schema, body}]}; output: [{valid, errors}].
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const spec = JSON.parse(readFileSync(input.spec, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'spec', components: spec.components });
const out = input.cases.map((c) => {
  const validate = ajv.getSchema(`spec#/components/schemas/${c.schema}`) ??
    ajv.compile({ $ref: `spec#/components/schemas/${c.schema}` });
  const valid = validate(c.body);
  return { valid, errors: valid ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message}`) };
});
process.stdout.write(JSON.stringify(out));
