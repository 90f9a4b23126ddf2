"""NAKIP stats layer (see shared ARCHITECTURE)."""
