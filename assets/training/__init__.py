"""Training assets: each model family trained through Dagster Pipes, the sweep and
the leaderboard."""
