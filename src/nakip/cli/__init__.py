"""NAKIP cli layer (see shared ARCHITECTURE)."""
