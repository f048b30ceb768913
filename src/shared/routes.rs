//! A router that remembers what it serves. axum cannot list a router's
//! routes, so every family registers through [`Routes`], and tests hold the
//! resulting table against the OpenAPI specs (served but undocumented, or
//! documented but not served, both fail) and against the families' prefixes
//! (a route outside its family's prefixes would get another family's error
//! shape, journal tag and faults).

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post, put};

use crate::shared::family::Family;

/// One (method, path) the server answers; `path` in axum's `{param}` syntax,
/// which is also OpenAPI's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    pub path: String,
    /// The family whose handler answers it.
    pub family: Family,
}

/// Routes of one family over its state `S`.
pub struct Routes<S = ()> {
    family: Family,
    router: Router<S>,
    table: Vec<Route>,
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    pub(crate) fn new(family: Family) -> Self {
        Self {
            family,
            router: Router::new(),
            table: Vec::new(),
        }
    }

    pub(crate) fn get<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.add(Method::GET, path, get(handler))
    }

    pub(crate) fn post<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.add(Method::POST, path, post(handler))
    }

    pub(crate) fn put<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.add(Method::PUT, path, put(handler))
    }

    pub(crate) fn patch<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.add(Method::PATCH, path, patch(handler))
    }

    pub(crate) fn delete<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.add(Method::DELETE, path, delete(handler))
    }

    /// Routes of `other`, served under `prefix`.
    pub(crate) fn nest(mut self, prefix: &str, other: Routes<S>) -> Self {
        self.table.extend(other.table.into_iter().map(|route| Route {
            path: format!("{prefix}{}", route.path),
            ..route
        }));
        self.router = self.router.nest(prefix, other.router);
        self
    }

    pub(crate) fn merge(mut self, other: Routes<S>) -> Self {
        self.table.extend(other.table);
        self.router = self.router.merge(other.router);
        self
    }

    pub fn table(&self) -> &[Route] {
        &self.table
    }

    /// The routes over their state, ready to merge with other families'.
    pub(crate) fn with_state(self, state: S) -> Routes<()> {
        Routes {
            family: self.family,
            router: self.router.with_state(state),
            table: self.table,
        }
    }

    pub(crate) fn into_router(self) -> Router<S> {
        self.router
    }

    fn add(mut self, method: Method, path: &str, handler: MethodRouter<S>) -> Self {
        // axum merges method routers registered on the same path.
        self.router = self.router.route(path, handler);
        self.table.push(Route {
            method,
            path: path.to_owned(),
            family: self.family,
        });
        self
    }
}
