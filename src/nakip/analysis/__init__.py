"""NAKIP analysis layer (see shared ARCHITECTURE)."""
