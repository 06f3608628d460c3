"""Time to render a capture plot (PNG) and to analyse it: 10,000 samples x 4 channels (3 ADC sines and one INA
current), the issue's target being < 200 ms for the plot on the 2-core machine; also the PNG's size and the
statistics (min/max/mean/RMS, frequency and duty cycle) for the same samples. Median of `--repeats` runs.

    .venv/bin/python benchmarks/plot_render.py [--samples 10000] [--repeats 15] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import statistics
import time

from PIL import Image

from jumperless_mcp.signals.plot import Trace, render_png
from jumperless_mcp.signals.waveform import channel_stats


def samples(count: int, rate: float = 20_000.0) -> tuple[list[float], list[Trace]]:
    rng = random.Random(1)
    times = [i / rate + rng.uniform(0, 2e-6) for i in range(count)]
    traces = [
        Trace(f"ADC{k}", "V", [1.5 + (k + 1) * 0.5 * math.sin(2 * math.pi * 100 * (k + 1) * t) for t in times])
        for k in range(3)
    ]
    traces.append(Trace("INA0", "A", [0.02 if (t * 250) % 1 < 0.25 else 0.001 for t in times]))
    return times, traces


def median_ms(call, repeats: int) -> float:  # type: ignore[no-untyped-def]
    call()
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    times, traces = samples(options.samples)
    png = render_png(times, traces, title="benchmark")
    image = Image.open(io.BytesIO(png))
    result = {
        "samples": options.samples,
        "channels": len(traces),
        "render_ms": round(median_ms(lambda: render_png(times, traces, title="benchmark"), options.repeats), 1),
        "stats_ms": round(
            median_ms(lambda: [channel_stats(trace.values, times) for trace in traces], options.repeats), 1
        ),
        "png_bytes": len(png),
        "png_size": list(image.size),
        "target_render_ms": 200,
    }
    result["met"] = result["render_ms"] < result["target_render_ms"]
    if options.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:18} {value}")


if __name__ == "__main__":
    main()
