"""One test per attack on the safety guarantees: each failed on the code before its fix."""
