"""Models of the links app."""
