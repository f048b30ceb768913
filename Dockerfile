# leadsim: build with the official Rust image, run on distroless as non-root.
#   docker build -t leadsim .
#   docker run --rm -p 8080:8080 leadsim
# CI replays the build stage without a daemon (tests/docker/replay.py):
# every COPY and RUN below runs there as written.
FROM rust:1-bookworm AS build
WORKDIR /src
# Dependencies first, so code edits do not refetch the registry. Cargo reads
# every target the manifest declares, so each gets a stub here.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && echo 'fn main() {}' > benches/hot_paths.rs \
    && cargo fetch --locked && rm -rf src benches
COPY src ./src
COPY benches ./benches
COPY fixtures ./fixtures
COPY openapi ./openapi
RUN cargo build --release --locked --bin leadsim && strip target/release/leadsim

FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="leadsim" \
      org.opencontainers.image.description="A deterministic, controllable simulator of five third-party analytics APIs for integration testing" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/leadsim/leadsim"
COPY --from=build /src/target/release/leadsim /usr/local/bin/leadsim
# Fixtures are embedded in the binary; mount a directory and set
# LEADSIM_FIXTURES=/fixtures to replace them. Every flag has a LEADSIM_*
# twin; the listen address comes from the environment.
ENV LEADSIM_LISTEN=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
# distroless has no curl: the binary probes its own /__admin/health.
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 \
    CMD ["/usr/local/bin/leadsim", "health"]
ENTRYPOINT ["/usr/local/bin/leadsim"]
