//! Workloads shared by nodepack's benches and tests: each bench body also runs as a test at a
//! small size, from the same generator with the same fixed seed.

#![forbid(unsafe_code)]
