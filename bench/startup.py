"""How long twin takes to start: `twin --help`, and a vault command with and without `twin unlock`.

    python bench/startup.py [--runs 7]

Each figure is the median wall time of `--runs` fresh processes. The vault commands run on a
throwaway home made with the real key derivation (Argon2id at twin's default cost), so the
difference between the two `twin stats` rows is what `twin unlock` saves on every command.
Targets (issue 15): `--help` under 0.2 s; a session of commands pays the key derivation once.
Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TWIN = [sys.executable, "-m", "twin"]


def median_seconds(args: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*TWIN, *args], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k not in ("TWIN_KDF", "TWIN_PASSPHRASE")}
        env["TWIN_HOME"] = str(Path(folder) / "home")
        with_passphrase = {**env, "TWIN_PASSPHRASE": "bench passphrase"}
        subprocess.run([*TWIN, "init"], env=with_passphrase, check=True, capture_output=True)
        figures = {
            "help_s": median_seconds(["--help"], env, runs),
            "stats_with_passphrase_s": median_seconds(["stats"], with_passphrase, runs),
        }
        subprocess.run([*TWIN, "unlock"], env=with_passphrase, check=True, capture_output=True)
        try:
            figures["stats_unlocked_s"] = median_seconds(["stats"], env, runs)
        finally:
            subprocess.run([*TWIN, "lock"], env=env, check=True, capture_output=True)
    figures["load_average_1m"] = os.getloadavg()[0]
    print(f"{'what':<34}{'seconds':>10}")
    print(f"{'twin --help':<34}{figures['help_s']:>10.3f}   target < 0.2")
    print(f"{'twin stats, passphrase each time':<34}{figures['stats_with_passphrase_s']:>10.3f}")
    print(f"{'twin stats, after twin unlock':<34}{figures['stats_unlocked_s']:>10.3f}")
    print(f"load average (1 min): {figures['load_average_1m']:.2f}")
    print(json.dumps({"bench": "startup", **{k: round(v, 4) for k, v in figures.items()}}))


if __name__ == "__main__":
    main()
