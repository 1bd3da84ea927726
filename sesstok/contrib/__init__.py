"""Integrations with third-party frameworks. Importing this package imports
none of them."""
