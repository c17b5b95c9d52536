"""Handwriting templates to print, and extraction of the filled-in sheets (see layout.py)."""
