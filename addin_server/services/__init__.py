"""The use cases. Each function takes plain values and a unit of work, and owns the transaction."""
