"""Benchmarks that run each system in a child process (so that each peak resident memory is its own)."""
import json
import subprocess


def child_rows(cmd, system):
    """Run ``cmd``, echo its JSON lines as they come and yield each parsed; a failed child ends the
    benchmark, naming the system."""
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        for line in proc.stdout:
            print(line, end="", flush=True)
            yield json.loads(line)
    if proc.returncode:
        raise SystemExit(f"the {system} run failed (exit {proc.returncode})")
