"""Test helpers shared by the apps' test suites (factories). Not imported by application code."""
