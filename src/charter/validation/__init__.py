"""Checks over parsed documents and the registry index; each returns findings, never raises on bad input."""
