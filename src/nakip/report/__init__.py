"""NAKIP report layer (see shared ARCHITECTURE)."""
