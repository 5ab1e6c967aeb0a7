"""Models of the fasttrack app."""
