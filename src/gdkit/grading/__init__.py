"""Grading: hidden pytest suites run against sandboxed submissions."""
