# syntax=docker/dockerfile:1
#
# openpxl container image: build the release binary, then copy it alone into a small
# Debian image that runs it as an unprivileged user.
#
#   docker build -t openpxl .
#   docker run -p 8080:8080 -v openpxl-data:/data openpxl
#
# See docs/OPERATIONS.md ("Docker") for the details.

############################################################ build
# The crate needs Rust 1.88 or newer (edition 2024); `rust:1-bookworm` is the newest 1.x
# on Debian 12, the same Debian release as the runtime image below (same glibc).
FROM rust:1-bookworm AS builder
WORKDIR /build

# 1. Dependencies only, so that they are cached in their own layer and rebuilt only when
#    Cargo.toml or Cargo.lock change: build the locked dependency tree against an empty
#    library and an empty `main`.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src

# 2. The real sources. `migrations/`, `templates/`, `assets/` and `data/` must be here:
#    `sqlx::migrate!`, askama and `include_bytes!` embed them into the binary at compile
#    time. (Add any future build.rs or other compile-time input here too.)
COPY migrations ./migrations
COPY templates ./templates
COPY assets ./assets
COPY data ./data
COPY src ./src
# COPY keeps the files' original modification times, which can be older than the
# placeholder build above; forget the placeholder's fingerprints so cargo rebuilds the
# openpxl crate itself (the dependencies stay cached).
RUN rm -rf target/release/.fingerprint/openpxl-* \
    && cargo build --release --locked \
    && cp target/release/openpxl /usr/local/bin/openpxl

############################################################ runtime
FROM debian:bookworm-slim

LABEL org.opencontainers.image.title="openpxl" \
      org.opencontainers.image.description="Self-hostable link shortener and click-analytics server that speaks the Pxl REST API" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

# ca-certificates: the system trust store, for TLS connections to a Postgres server.
# Nothing else is installed: SQLite is compiled into the binary, and the health check
# below uses bash, which every Debian image already has, instead of curl.
# Versions are not pinned on purpose: the image should get Debian's security updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user with a fixed uid/gid (10001), owning the data directory.
# `--no-log-init` keeps a high uid from inflating /var/log/lastlog in the image.
RUN groupadd --gid 10001 openpxl \
    && useradd --no-log-init --uid 10001 --gid 10001 --no-create-home \
       --home-dir /data --shell /usr/sbin/nologin openpxl \
    && mkdir /data \
    && chown 10001:10001 /data

COPY --from=builder /usr/local/bin/openpxl /usr/local/bin/openpxl

USER 10001:10001
WORKDIR /data
# The SQLite database (the default backend) lives here. Unused with Postgres.
VOLUME ["/data"]

# sqlite:///data/openpxl.db is an absolute path (three slashes): /data/openpxl.db.
ENV DATABASE_URL=sqlite:///data/openpxl.db \
    OPENPXL_LISTEN=0.0.0.0:8080

EXPOSE 8080

# GET /healthz over bash's /dev/tcp (no curl needed); healthy when the status line says 200.
# It assumes the default port 8080: if you change OPENPXL_LISTEN, override the health
# check too (docker run --health-cmd, or `healthcheck:` in compose).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# openpxl is PID 1 and handles SIGTERM (docker stop) itself: it stops accepting
# connections, finishes the requests in flight and closes the database cleanly.
STOPSIGNAL SIGTERM
ENTRYPOINT ["openpxl"]
CMD ["serve"]
