"""Customer lifetime value: transaction summaries and probabilistic models."""
