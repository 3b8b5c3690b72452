"""Benchmark: training throughput (samples/s, one sample = one 500-step window).

On a GPU, the same LSTM 128x2 on 14 features in (a) the research code's setting (batch 16, cuDNN
off, float32, each batch copied from the CPU) and (b) the project's default (cuDNN, bf16 autocast,
batch 1024, data resident on the GPU); target (b)/(a) >= 100x, with seconds per epoch of 28,000
windows. On a CPU, samples/s of the default LSTM and Transformer (float32, batch 64).
Random inputs: throughput does not depend on the values. Needs torch only (runs on a GPU node).
"""

import argparse
import time

import torch

from models.train import masked_loss
from models.zoo import build_model

T, FEATURES, EPOCH_WINDOWS, TARGET_RATIO = 500, 14, 28_000, 100.0


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
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="timed seconds per setting")
    args = parser.parse_args()
    if torch.cuda.is_available():
        device = torch.device("cuda")
        lstm = {"hidden": 128, "layers": 2, "dropout": 0.0}
        research = samples_per_second(
            "lstm", lstm, 16, device, resident=False, bf16=False, cudnn=False, seconds=args.seconds
        )
        ours = samples_per_second(
            "lstm", lstm, 1024, device, resident=True, bf16=True, cudnn=True, seconds=args.seconds
        )
        ratio = ours / research
        print(
            f"{torch.cuda.get_device_name()}: research setting {research:.0f} samples/s "
            f"({EPOCH_WINDOWS / research:.0f} s/epoch), project default {ours:.0f} samples/s "
            f"({EPOCH_WINDOWS / ours:.1f} s/epoch), {ratio:.0f}x"
        )
        print(
            f"BENCH train_throughput device=cuda research_samples_s={research:.0f} "
            f"default_samples_s={ours:.0f} ratio={ratio:.1f} target_ratio={TARGET_RATIO:.0f} "
            f"target_met={str(ratio >= TARGET_RATIO).lower()}"
        )
        return
    device = torch.device("cpu")
    rates = {
        name: samples_per_second(
            name, {}, 64, device, resident=True, bf16=False, cudnn=True, seconds=args.seconds
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


if __name__ == "__main__":
    main()
