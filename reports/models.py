"""Rollups, CDCI computation and rankings (built by the figures and CDCI issues)."""
