"""Models of the clinical app."""
