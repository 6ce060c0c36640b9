//! Encode (stub).
