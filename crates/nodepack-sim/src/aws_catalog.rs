//! The built-in AWS catalog.
