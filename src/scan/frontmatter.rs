//! Front matter: image-valued keys (stub).
