"""Models of the telemonitoring app."""
