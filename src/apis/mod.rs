//! One module per vendor API family. Families never import each other.

pub mod engine;
