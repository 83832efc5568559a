"""Helpers shared by test modules: import these, never another test module or a conftest."""
