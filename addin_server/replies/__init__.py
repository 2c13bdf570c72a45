"""Understanding a customer's reply: MIME intake, new text, edits and intent."""

from .extract import extract_reply

__all__ = ["extract_reply"]
