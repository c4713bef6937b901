"""Exports and live syncs turned into store writes; the background keeper and the watched export folders."""
