"""Evaluation on the test sets, the model comparison, the production gate and the report."""
