"""Alignment and line of sight: links between objectives and key results, roll-up, graph reads."""
