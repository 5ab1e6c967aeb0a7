"""Versioned treatment data files (regimens), shipped as package data."""
