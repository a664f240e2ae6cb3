# Two-stage build of both binaries; used by compose.yaml.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
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
