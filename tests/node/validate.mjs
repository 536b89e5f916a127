// validate.mjs - an independent JSON Schema check of exante's exports (tests/cli/test_export_bom.sh),
// with ajv 8 and ajv-formats 3, against the official schemas in ../shared/data/schemas, offline:
//
//   node validate.mjs spdx|cyclonedx SCHEMAS FILE...
//
// spdx: spdx-3.0.1/spdx-json-schema.json, draft 2020-12, ajv's strict mode. cyclonedx:
// cyclonedx-1.6/bom-1.6.schema.json with its two siblings (spdx.schema.json, jsf-0.82) that it
// refers to, draft-07, strictSchema off (its `meta:enum` keyword). ajv-formats is loaded in
// both, so `format: date-time` (and uri, email, ...) are checked, not skipped. One line per file:
// "ok FILE" or "bad FILE: the first errors"; exit 0 when every file was read and checked (valid or
// not: the caller decides which must fail), 2 on a usage error or an unreadable file.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020Module from "ajv/dist/2020.js";
import AjvModule from "ajv";
import addFormatsModule from "ajv-formats";

const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const Ajv7 = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

const [kind, dir, ...files] = process.argv.slice(2);
if (!["spdx", "cyclonedx"].includes(kind) || !dir || files.length === 0) {
  console.error("usage: node validate.mjs spdx|cyclonedx SCHEMAS FILE...");
  process.exit(2);
}
const load = (p) => JSON.parse(readFileSync(p, "utf8"));

let validate;
if (kind === "spdx") {
  const ajv = new Ajv2020({ allErrors: false });
  addFormats(ajv);
  validate = ajv.compile(load(join(dir, "spdx-3.0.1", "spdx-json-schema.json")));
} else {
  const ajv = new Ajv7({ strictSchema: false, allErrors: false, logger: false });
  addFormats(ajv);
  ajv.addSchema(load(join(dir, "cyclonedx-1.6", "spdx.schema.json")));
  ajv.addSchema(load(join(dir, "cyclonedx-1.6", "jsf-0.82.schema.json")));
  validate = ajv.compile(load(join(dir, "cyclonedx-1.6", "bom-1.6.schema.json")));
}

for (const f of files) {
  let doc;
  try {
    doc = load(f);
  } catch (e) {
    console.error(`validate: ${f}: ${e.message}`);
    process.exit(2);
  }
  if (validate(doc)) {
    console.log(`ok ${f}`);
  } else {
    const why = (validate.errors ?? [])
      .slice(0, 3)
      .map((e) => `${e.instancePath || "/"} ${e.message}`)
      .join("; ");
    console.log(`bad ${f}: ${why}`);
  }
}
