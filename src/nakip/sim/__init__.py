"""NAKIP sim layer (see shared ARCHITECTURE)."""
