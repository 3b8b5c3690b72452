"""Personalisation: a base model adapted to one runner's own workouts."""
