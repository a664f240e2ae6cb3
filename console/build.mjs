// Builds the console into dist/: one hashed JS bundle and one hashed stylesheet under
// dist/assets (each also precompressed as .gz and .br), and dist/index.html naming them.
// produck-api embeds dist/ when it is compiled. Prints the first-load size and fails past
// the budget (250 KB of gzipped JavaScript).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const BUDGET_GZ_BYTES = 250 * 1024;
const dist = new URL("./dist/", import.meta.url);
const assets = new URL("./assets/", dist);

rmSync(dist, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: ["src/main.tsx"],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  jsx: "automatic",
  jsxImportSource: "preact",
  write: false,
  outdir: "out",
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
});

const emitted = {};
let jsGz = 0;
for (const file of result.outputFiles) {
  const ext = file.path.endsWith(".css") ? "css" : "js";
  const hash = createHash("sha256").update(file.contents).digest("hex").slice(0, 12);
  const name = `${ext === "js" ? "app" : "styles"}.${hash}.${ext}`;
  const gz = gzipSync(file.contents, { level: 9 });
  const br = brotliCompressSync(file.contents, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
  });
  writeFileSync(new URL(name, assets), file.contents);
  writeFileSync(new URL(`${name}.gz`, assets), gz);
  writeFileSync(new URL(`${name}.br`, assets), br);
  emitted[ext] = name;
  if (ext === "js") jsGz += gz.length;
  console.log(
    `  assets/${name.padEnd(28)} ${(file.contents.length / 1024).toFixed(1).padStart(7)} KB` +
      `  gzip ${(gz.length / 1024).toFixed(1).padStart(6)} KB  brotli ${(br.length / 1024).toFixed(1).padStart(6)} KB`,
  );
}

const icon =
  "data:image/svg+xml," +
  encodeURIComponent(
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><rect width='32' height='32' rx='8' fill='#4f46e5'/><path d='M9 22V10h7a4 4 0 0 1 0 8h-7' fill='none' stroke='white' stroke-width='3' stroke-linecap='round' stroke-linejoin='round'/></svg>",
  );
const html = readFileSync("src/index.html", "utf8")
  .replace("%ICON%", icon)
  .replace("%CSS%", `/app/assets/${emitted.css}`)
  .replace("%JS%", `/app/assets/${emitted.js}`);
writeFileSync(new URL("index.html", dist), html);

console.log(
  `  first-load JavaScript: ${(jsGz / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_GZ_BYTES / 1024} KB)`,
);
if (jsGz > BUDGET_GZ_BYTES) {
  console.error("  over the JavaScript budget");
  process.exit(1);
}
