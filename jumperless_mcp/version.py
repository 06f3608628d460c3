"""The package version, in a leaf module every layer may read (pyproject.toml holds the same number)."""

__version__ = "0.1.0"
