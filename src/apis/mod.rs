//! One module per vendor API family. Families never import each other.

pub(crate) mod data_analytics;
pub(crate) mod engine;
pub(crate) mod finicity;
pub(crate) mod leadsquared;
