"""The grid, the 14 causal features, the split schemes and the model-ready tensors."""
