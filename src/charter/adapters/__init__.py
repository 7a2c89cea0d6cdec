"""Adapters at the edge: git (and later DVC and the forges). The core never imports them at module level."""
