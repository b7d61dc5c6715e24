//! Checks over the final objects — what the API server and its admission would say of what
//! maestroc emits, after patches, `extra` files and each environment. `emit` runs them on the
//! typed objects it builds; nothing here depends on `emit`.

pub mod admission;
pub mod api_rules;
pub mod harden;
pub mod pod_security;
