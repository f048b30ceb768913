//! One module per vendor API family. Families never import each other.

pub mod data_analytics;
pub mod engine;
pub mod finicity;
pub mod leadsquared;
