"""Training entry point: `python -m models.entry`. Launched by Dagster through Pipes (the tensor
folder, checkpoint path and training config arrive as Pipes extras; every epoch is logged and
sent back as a custom message) or by hand on any GPU node with the same options as flags.
Needs torch and, under Pipes, the dependency-free `dagster-pipes`; never dagster itself."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict

from models.personalize import FinetuneConfig, personalize
from models.train import TrainConfig, train

PIPES_CONTEXT_ENV = "DAGSTER_PIPES_CONTEXT"
TASKS = ("train", "personalize")


def run_under_pipes() -> None:
    from dagster_pipes import open_dagster_pipes

    with open_dagster_pipes() as pipes:
        extras = pipes.extras
        config = TrainConfig(**extras["config"])
        task = extras.get("task", "train")
        if task not in TASKS:
            raise ValueError(
                f"unknown task {task!r} (known: {TASKS}): a trainer image of another version?"
            )
        if task == "personalize":
            finetune = FinetuneConfig(**extras["finetune"])
            rows = personalize(extras["tensors"], extras["out"], config, finetune)
            pipes.report_custom_message({"personalisation": rows})
            return

        def on_epoch(metrics: dict) -> None:
            pipes.log.info(f"epoch {metrics['epoch']}: " + json.dumps(metrics))
            pipes.report_custom_message({"epoch_metrics": metrics})

        result = train(extras["tensors"], extras["checkpoint"], config, on_epoch)
        summary = {key: value for key, value in asdict(result).items() if key != "history"}
        pipes.report_custom_message({"result": summary})


def run_from_flags() -> None:
    parser = argparse.ArgumentParser(description="Train one model on a tensor folder.")
    parser.add_argument("--tensors", required=True, help="e.g. data_lake/tensors/user_disjoint")
    parser.add_argument("--checkpoint", required=True, help="where the best model is written")
    parser.add_argument("--config", default="{}", help="TrainConfig fields as JSON")
    args = parser.parse_args()
    result = train(args.tensors, args.checkpoint, TrainConfig(**json.loads(args.config)), print)
    print(json.dumps({k: v for k, v in asdict(result).items() if k != "history"}))


if __name__ == "__main__":
    run_under_pipes() if os.environ.get(PIPES_CONTEXT_ENV) else run_from_flags()
