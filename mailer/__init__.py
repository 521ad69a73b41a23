"""The ODEI newsletter and announcement mailer."""

__version__ = "0.1.0"
