"""Planning the next cycle: carrying objectives and key results over, and templates."""
