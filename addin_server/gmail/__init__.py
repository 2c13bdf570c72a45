"""The Gmail add-on (Google Workspace add-on, HTTP runtime): events in, card JSON out."""
