"""The model families trained as assets, each with its default settings."""

# Small enough that `make run` trains every family on 2 CPU cores in a few minutes (the
# Transformer, full attention over 500 steps, costs most: ~12 s an epoch); the launchpad raises
# them for real runs.
FAMILIES = {
    "user_mean": {"epochs": 30, "learning_rate": 0.5},
    "linear": {"epochs": 30, "learning_rate": 0.05},
    "physiological": {"epochs": 8, "learning_rate": 0.05},
    "hybrid": {"epochs": 8, "learning_rate": 0.05, "hyper": {"embedding_dim": 4}},
    "lstm": {"epochs": 8, "hyper": {"hidden": 32, "layers": 1}},
    "gru": {"epochs": 8, "hyper": {"hidden": 32, "layers": 1}},
    "lstm_embedding": {"epochs": 8, "hyper": {"hidden": 32, "layers": 1}},
    "transformer": {"epochs": 6, "hyper": {"d_model": 32, "heads": 4, "layers": 2}},
    "patchtst": {"epochs": 8, "hyper": {"d_model": 32, "heads": 4, "layers": 2}},
}
