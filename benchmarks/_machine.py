"""The machine a benchmark ran on, for its JSON lines: these machines change between sessions."""
import platform


def cpu_name():
    """The CPU's model name from /proc/cpuinfo (``AMD EPYC``, ``Intel(R) Xeon(R) ...``), else the architecture."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
