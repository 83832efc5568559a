"""Database backends of the portal (DATABASES ENGINE)."""
