"""Time `import lstmx` in fresh processes (target < 0.3 s) and list heavy modules it loaded. JSON lines."""
import json
import statistics
import subprocess
import sys

CODE = ("import sys, time; t = time.perf_counter(); import lstmx; dt = time.perf_counter() - t; "
        "print(dt, [m for m in ('numba', 'matplotlib', 'scipy', 'torch') if m in sys.modules])")
times = []
for _ in range(7):
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout
    dt, heavy = out.split(maxsplit=1)
    times.append(float(dt))
print(json.dumps(dict(bench="import", median_s=round(statistics.median(times), 4), max_s=round(max(times), 4),
                      target_s=0.3, heavy_modules=heavy.strip())))
