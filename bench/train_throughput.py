"""Benchmark: training samples/s (one sample = one 500-step window) and time-to-accuracy.

On a GPU, the same LSTM 128x2 on 14 features in (a) the research code's setting (batch 16, cuDNN
off, float32, each batch copied from the CPU) and (b) the project's default (cuDNN, bf16 autocast,
batch 1024, data resident on the GPU); target (b)/(a) >= 100x, with seconds per epoch of 28,000
windows. Random inputs: throughput does not depend on the values.

Time-to-accuracy (`--tensors`, a set packed by `--prepare`): the validation MAE the research
setting reaches in 10 epochs against the wall time the default setting needs to reach it (its
validation passes and checkpoints counted); target >= 20x. The research run's accuracy is
computed with its arithmetic (batch 16, float32, Adam at 1e-3, no weight decay, plateau schedule)
on cuDNN kernels, and its wall time from (a)'s measured rate without its validation passes, which
favours it.

On a CPU, samples/s of the default LSTM and Transformer (float32, batch 64).
Needs torch only, except `--prepare` (the project's full install: simulate, ingest, gate,
split and write tensors here; carry the .tar.xz to the GPU node).
"""

import argparse
import tarfile
import tempfile
import time
from pathlib import Path

import torch

from models.batches import masked_loss
from models.tensors import FEATURE_NAMES, load_metadata
from models.train import TrainConfig, train
from models.zoo import build_model

T, EPOCH_WINDOWS = 500, 28_000
FEATURES = len(FEATURE_NAMES)
TARGET_RATIO, TARGET_ACCURACY_RATIO, RESEARCH_EPOCHS = 100.0, 20.0, 10
LSTM = {"hidden": 128, "layers": 2, "dropout": 0.0}
RESEARCH = TrainConfig(
    model="lstm",
    hyper=LSTM,
    epochs=RESEARCH_EPOCHS,
    batch_size=16,
    learning_rate=1e-3,
    weight_decay=0.0,
    schedule="plateau",
    precision="fp32",
    patience=RESEARCH_EPOCHS,
    user_dropout=0.0,
)
# The GPU setting README recommends: the rate scaled up with the batch, warm-up then cosine.
DEFAULT_GPU = TrainConfig(
    model="lstm",
    hyper=LSTM,
    epochs=150,
    batch_size=1024,
    learning_rate=3e-3,
    warmup_epochs=5,
    patience=150,
    user_dropout=0.0,
)


def samples_per_second(
    model_name: str,
    hyper: dict,
    batch: int,
    device: torch.device,
    *,
    resident: bool,
    bf16: bool,
    cudnn: bool,
    seconds: float,
) -> float:
    torch.backends.cudnn.enabled = cudnn
    model = build_model(model_name, 0, **hyper).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    windows = max(batch * 4, 256)
    home = device if resident else torch.device("cpu")
    inputs = torch.randn(windows, T, FEATURES, device=home)
    target = 140 + 20 * torch.randn(windows, T, device=home)
    mask = torch.ones(windows, T, device=home)
    user = torch.full((batch,), -1, device=device)

    def step(start: int) -> None:
        rows = slice(start, start + batch)
        x, y, m = (t[rows].to(device) for t in (inputs, target, mask))
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            prediction = model(x, user)
        loss = masked_loss(prediction, y, m)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for start in range(0, 2 * batch, batch):  # warm-up (cuDNN plans, allocator)
        step(start % (windows - batch + 1))
    if device.type == "cuda":
        torch.cuda.synchronize()
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        step(done % (windows - batch + 1))
        done += batch
        if device.type == "cuda":
            torch.cuda.synchronize()
    torch.backends.cudnn.enabled = True
    return done / (time.perf_counter() - started)


def time_to_accuracy(tensors: Path, research_rate: float, research: TrainConfig, ours: TrainConfig):
    """(research seconds, research MAE after its epochs, default seconds to reach it or None,
    default epochs to reach it, best default MAE)."""
    windows = load_metadata(tensors)["counts"]["train"]["windows"]
    with tempfile.TemporaryDirectory() as work:
        reference = train(tensors, Path(work, "research.pt"), research)
        fast = train(tensors, Path(work, "default.pt"), ours)
    target = reference.best_val_mae
    research_seconds = research.epochs * windows / research_rate
    reached = [h for h in fast.history if h["val_mae"] <= target]
    if reached:
        return research_seconds, target, reached[0]["seconds"], reached[0]["epoch"] + 1, fast
    return research_seconds, target, None, None, fast


def prepare(out: Path, lines: int, seed: int) -> None:
    """Simulated FitRec lines through ingestion, gating, the user-disjoint split and the tensor
    writer, packed into `out` (.tar.xz) to carry to a GPU node."""
    from benchlib import simulated_silver
    from features import child_tensors

    with tempfile.TemporaryDirectory() as work:
        clean = simulated_silver(Path(work), lines, seed)
        clean.write_parquet(Path(work, "clean.parquet"))
        done = child_tensors(str(Path(work, "clean.parquet")), work)
        with tarfile.open(out, "w:xz", preset=6) as tar:
            tar.add(Path(work, "user_disjoint"), arcname="tensors")
    size = out.stat().st_size / 1e6
    print(f"{done['workouts']} workouts, {done['windows']} windows -> {out} ({size:.1f} MB)")


def unpacked(packed: Path, into: str) -> Path:
    with tarfile.open(packed) as tar:
        tar.extractall(into, filter="data")  # no member escapes `into`
    return Path(into, "tensors")


def gpu_comparison(device: torch.device, seconds: float, packed: Path | None) -> None:
    research = samples_per_second(
        "lstm", LSTM, 16, device, resident=False, bf16=False, cudnn=False, seconds=seconds
    )
    ours = samples_per_second(
        "lstm", LSTM, 1024, device, resident=True, bf16=True, cudnn=True, seconds=seconds
    )
    ratio = ours / research
    name = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    print(
        f"{name}: research setting {research:.0f} samples/s "
        f"({EPOCH_WINDOWS / research:.0f} s/epoch), project default {ours:.0f} samples/s "
        f"({EPOCH_WINDOWS / ours:.1f} s/epoch), {ratio:.0f}x"
    )
    fields = (
        f"device={device.type} research_samples_s={research:.0f} default_samples_s={ours:.0f} "
        f"ratio={ratio:.1f} target_ratio={TARGET_RATIO:.0f}"
    )
    met = ratio >= TARGET_RATIO
    if packed:
        with tempfile.TemporaryDirectory() as work:
            tensors = unpacked(packed, work)
            base, target, reached, epochs, fast = time_to_accuracy(
                tensors, research, RESEARCH, DEFAULT_GPU
            )
        speedup = base / reached if reached else 0.0
        for h in fast.history[::10]:
            mae, seconds = h["val_mae"], h["seconds"]
            print(f"  default epoch {h['epoch'] + 1}: val MAE {mae:.2f}, {seconds:.1f} s")
        print(
            f"time-to-accuracy: research val MAE {target:.2f} after {RESEARCH_EPOCHS} epochs "
            f"= {base:.0f} s at its rate; default reaches it "
            + (f"after {epochs} epochs, {reached:.1f} s: {speedup:.0f}x" if reached else "never")
            + f" (its best {fast.best_val_mae:.2f})"
        )
        fields += (
            f" research_val_mae={target:.2f} research_seconds={base:.0f} "
            f"default_seconds_to_it={reached or float('nan'):.1f} accuracy_ratio={speedup:.1f} "
            f"target_accuracy_ratio={TARGET_ACCURACY_RATIO:.0f}"
        )
        met = met and speedup >= TARGET_ACCURACY_RATIO
    print(f"BENCH train_throughput {fields} target_met={str(met).lower()}")


def cpu_rates(seconds: float) -> None:
    device = torch.device("cpu")
    rates = {
        name: samples_per_second(
            name, {}, 64, device, resident=True, bf16=False, cudnn=True, seconds=seconds
        )
        for name in ("lstm", "transformer")
    }
    for name, rate in rates.items():
        print(
            f"CPU {name} (default size, batch 64): {rate:.1f} samples/s, "
            f"{EPOCH_WINDOWS / rate / 60:.0f} min per 28,000-window epoch"
        )
    print(
        f"BENCH train_throughput device=cpu lstm_samples_s={rates['lstm']:.1f} "
        f"transformer_samples_s={rates['transformer']:.1f} target_met=false"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="timed seconds per setting")
    parser.add_argument("--tensors", type=Path, help="a .tar.xz from --prepare: time-to-accuracy")
    parser.add_argument("--prepare", type=Path, help="write a tensor set to this .tar.xz, stop")
    parser.add_argument("--lines", type=int, default=10_000, help="FitRec lines for --prepare")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, args.lines, args.seed)
    elif torch.cuda.is_available():
        gpu_comparison(torch.device("cuda"), args.seconds, args.tensors)
    else:
        cpu_rates(args.seconds)


if __name__ == "__main__":
    main()
