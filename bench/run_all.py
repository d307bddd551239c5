"""Run every benchmark (each in its own process) and print the collected figures."""
import json
import subprocess
import sys

from common import BENCH, OUT, env, ensure_big_db

ensure_big_db()
for script in ("bench_startup.py", "bench_filter.py", "bench_demo.py"):
    subprocess.run([sys.executable, str(BENCH / script)], check=True, env=env(), cwd=BENCH)
print(json.dumps(json.loads((OUT / "results.json").read_text()), indent=1))
