"""NAKIP clinical layer (see shared ARCHITECTURE)."""
