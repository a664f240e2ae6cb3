# Three-stage build: the console's bundle, then both binaries (the API embeds the bundle);
# used by compose.yaml.
FROM node:22-bookworm-slim AS console
WORKDIR /src
COPY openapi ./openapi
COPY console/package.json console/package-lock.json ./console/
RUN cd console && npm ci --no-audit --no-fund --loglevel=error
COPY console ./console
RUN cd console && node_modules/.bin/tsc --noEmit && node build.mjs

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
COPY --from=console /src/console/dist ./console/dist
RUN cargo build --release --locked -p api -p worker

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/target/release/produck-api /src/target/release/produck-worker /usr/local/bin/
COPY config ./config
COPY ai_config.yaml ./
ENV PRODUCK_CONFIG_DIR=/app/config
EXPOSE 8000
CMD ["produck-api", "serve"]
