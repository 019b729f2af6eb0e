"""Compare the OSC functional tests' outcomes on the real stack and on the demo cloud.

    python tests/osc/compare.py [tests/osc/results-real.json] [tests/osc/results-demo.json] [exceptions.json]

Prints tests collected, passed on real, passed on demo, and of those passed on real the share passed on
the demo. Exits 1 when a test passes on the real stack and not on the demo, unless exceptions.json (beside
this file: {"test id": "one line why"}) explains it. Both tables come from run.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    real_path = Path(argv[0]) if argv else HERE / "results-real.json"
    demo_path = Path(argv[1]) if len(argv) > 1 else HERE / "results-demo.json"
    if not real_path.exists():
        print(f"no real-stack table at {real_path}: run tests/osc/run.py --clouds-yaml ... --label real")
        return 2
    real = json.loads(real_path.read_text())["tests"]
    demo = json.loads(demo_path.read_text())["tests"]
    exceptions_file = Path(argv[2]) if len(argv) > 2 else HERE / "exceptions.json"
    explained = json.loads(exceptions_file.read_text()) if exceptions_file.exists() else {}
    passed_real = {t for t, r in real.items() if r["outcome"] == "passed"}
    passed_demo = {t for t, r in demo.items() if r["outcome"] == "passed"}
    both = passed_real & passed_demo
    lost = sorted(passed_real - passed_demo)
    share = 100.0 * len(both) / len(passed_real) if passed_real else 100.0
    print(f"collected {len(set(real) | set(demo))}; passed on real {len(passed_real)}; passed on demo "
          f"{len(passed_demo)}; of those passed on real, passed on demo {len(both)} ({share:.1f}%)")
    unexplained = [t for t in lost if t not in explained]
    for test in lost:
        why = explained.get(test) or (demo.get(test, {}).get("why") or "not run on the demo")
        print(f"  {'explained' if test in explained else 'LOST':9} {test}: {why}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
