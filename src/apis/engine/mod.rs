//! Engine by MoneyLion: supply analytics (hourly cursor endpoints over
//! simulated lead funnels) and UI events (offer displays, session inits, the
//! pixel GIF).

pub mod auth;
pub mod error;
pub mod fixtures;
pub mod institutions;
pub mod models;

use std::sync::Arc;

use axum::Router;

use crate::state::AppState;
use auth::Companies;
use fixtures::EngineFixtures;

pub fn router() -> Router<AppState> {
    Router::new()
}

/// Engine's share of the application state.
#[derive(Debug, Clone)]
pub struct EngineState {
    pub companies: Arc<Companies>,
}

impl EngineState {
    pub fn new(fixtures: &EngineFixtures) -> Self {
        Self {
            companies: Arc::new(Companies::from_fixtures(fixtures)),
        }
    }

    /// Forgets everything clients posted.
    pub fn reset(&self) {}
}
