"""Models of the cures app."""
