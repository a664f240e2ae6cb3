// Builds the console into dist/: content-hashed JavaScript (the app, plus chunks loaded only
// when needed, such as the charts) and stylesheet under dist/assets, each also precompressed
// as .gz and .br, and dist/index.html naming them. produck-api embeds dist/ when it is
// compiled. Prints the first-load size (the entry and what it imports statically) and fails
// past the budget: 250 KB of gzipped JavaScript.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const BUDGET_GZ_BYTES = 250 * 1024;
const dist = new URL("./dist/", import.meta.url);
const assets = new URL("./assets/", dist);

rmSync(dist, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: { app: "src/main.tsx" },
  bundle: true,
  splitting: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  jsx: "automatic",
  jsxImportSource: "preact",
  write: false,
  outdir: "dist/assets",
  entryNames: "[name].[hash]",
  chunkNames: "chunk.[hash]",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
});

const gzipped = new Map();
let entry = "";
let css = "";
for (const file of result.outputFiles) {
  const name = basename(file.path);
  const gz = gzipSync(file.contents, { level: 9 });
  const br = brotliCompressSync(file.contents, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  writeFileSync(new URL(name, assets), file.contents);
  writeFileSync(new URL(`${name}.gz`, assets), gz);
  writeFileSync(new URL(`${name}.br`, assets), br);
  gzipped.set(name, gz.length);
  if (name.startsWith("app.") && name.endsWith(".js")) entry = name;
  if (name.endsWith(".css")) css = name;
  console.log(
    `  assets/${name.padEnd(28)} ${(file.contents.length / 1024).toFixed(1).padStart(7)} KB` +
      `  gzip ${(gz.length / 1024).toFixed(1).padStart(6)} KB  brotli ${(br.length / 1024).toFixed(1).padStart(6)} KB`,
  );
}

// First load: the entry and every chunk it imports statically (not the lazy ones).
const outputs = result.metafile.outputs;
const firstLoad = new Set();
const visit = (path) => {
  if (firstLoad.has(path)) return;
  firstLoad.add(path);
  for (const imp of outputs[path]?.imports ?? []) if (imp.kind === "import-statement") visit(imp.path);
};
visit(`dist/assets/${entry}`);
const firstGz = [...firstLoad].reduce((n, p) => n + (gzipped.get(basename(p)) ?? 0), 0);
const lazyGz = [...gzipped].filter(([n]) => n.endsWith(".js") && !firstLoad.has(`dist/assets/${n}`)).reduce((n, [, s]) => n + s, 0);

const icon =
  "data:image/svg+xml," +
  encodeURIComponent(
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><rect width='32' height='32' rx='8' fill='#4f46e5'/><path d='M9 22V10h7a4 4 0 0 1 0 8h-7' fill='none' stroke='white' stroke-width='3' stroke-linecap='round' stroke-linejoin='round'/></svg>",
  );
const html = readFileSync("src/index.html", "utf8")
  .replace("%ICON%", icon)
  .replace("%CSS%", `/app/assets/${css}`)
  .replace("%JS%", `/app/assets/${entry}`);
writeFileSync(new URL("index.html", dist), html);

console.log(
  `  first-load JavaScript: ${(firstGz / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_GZ_BYTES / 1024} KB); loaded when needed: ${(lazyGz / 1024).toFixed(1)} KB`,
);
if (firstGz > BUDGET_GZ_BYTES) {
  console.error("  over the JavaScript budget");
  process.exit(1);
}
