"""The reality check: the lake's models and the baselines on a folder of real activity files."""
