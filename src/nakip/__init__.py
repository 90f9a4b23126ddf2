"""NAKIP: the software that runs the NAKIP-AML trial, from design table to final report."""

__version__ = "0.1.0"
