"""The plan domain: model and validation, reverse timeline, checks, versions and diffs."""
