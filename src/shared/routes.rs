//! A router that remembers what it serves. axum cannot list a router's
//! routes, so every family registers through [`Routes`], and a test holds
//! the resulting table against the OpenAPI specs (served but undocumented,
//! or documented but not served, both fail).

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, post, put};

use crate::state::AppState;

/// One (method, path) the server answers; `path` in axum's `{param}` syntax,
/// which is also OpenAPI's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    pub path: String,
}

#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<Route>,
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, get(handler))
    }

    pub fn post<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, post(handler))
    }

    pub fn put<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::PUT, path, put(handler))
    }

    pub fn delete<H, T>(self, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::DELETE, path, delete(handler))
    }

    /// Routes of `other`, served under `prefix`.
    pub fn nest(mut self, prefix: &str, other: Routes) -> Self {
        self.table.extend(other.table.into_iter().map(|route| Route {
            method: route.method,
            path: format!("{prefix}{}", route.path),
        }));
        self.router = self.router.nest(prefix, other.router);
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.table.extend(other.table);
        self.router = self.router.merge(other.router);
        self
    }

    pub fn table(&self) -> &[Route] {
        &self.table
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }

    fn add(mut self, method: Method, path: &str, handler: MethodRouter<AppState>) -> Self {
        // axum merges method routers registered on the same path.
        self.router = self.router.route(path, handler);
        self.table.push(Route {
            method,
            path: path.to_owned(),
        });
        self
    }
}
