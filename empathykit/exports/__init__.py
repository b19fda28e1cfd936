"""Aggregation of annotations, splits, and Hugging Face dataset export."""
