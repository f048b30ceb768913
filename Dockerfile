# leadsim: build with the official Rust image, run on distroless as non-root.
#   docker build -t leadsim .
#   docker run --rm -p 8080:8080 leadsim
FROM rust:1-bookworm AS build
WORKDIR /src
# Dependencies first, so code edits do not refetch the registry.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo fetch --locked && rm -rf src
COPY src ./src
COPY fixtures ./fixtures
COPY openapi ./openapi
RUN cargo build --release --locked --bin leadsim && strip target/release/leadsim

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/leadsim /usr/local/bin/leadsim
# Fixtures are embedded in the binary; mount a directory and set
# LEADSIM_FIXTURES=/fixtures to replace them.
ENV LEADSIM_LISTEN=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/leadsim"]
