"""Shared fixtures for Shoal's Python tests."""
