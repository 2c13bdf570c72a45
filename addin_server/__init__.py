"""MAP add-in server: Mutual Action Plans written from call notes, sent and tracked by email."""

from .app import create_app

__all__ = ["create_app"]
