"""Screening instruments as versioned JSON data (shipped as package data)."""
