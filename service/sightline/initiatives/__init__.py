"""Initiatives: the work and the money behind key results — allocation shares and append-only spend."""
