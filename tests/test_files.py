"""Saving: files get the mode open() would give them, and a killed save leaves nothing a later save
cannot clean up (lstmx._files.atomic_write, used by every save)."""
import os
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lstmx
from lstmx._files import atomic_write, temporary_path


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_file_gets_the_umask_mode_and_a_replaced_file_keeps_its_mode(tmp_path, umask_022):
    path = tmp_path / "a.bin"
    with atomic_write(path) as f:
        f.write(b"one")
    assert mode_of(path) == 0o644            # was 0o600 whatever the umask (mkstemp)
    os.chmod(path, 0o640)
    with atomic_write(path) as f:
        f.write(b"two")
    assert path.read_bytes() == b"two" and mode_of(path) == 0o640


def test_model_and_vectors_saves_get_the_umask_mode(tmp_path, umask_022):
    model = lstmx.Sequential([lstmx.Dense(2)])
    model.build((None, 3))
    model.save(tmp_path / "m.npz")
    kv = lstmx.KeyedVectors(["a", "b"], np.ones((2, 3), np.float32))
    kv.save_word2vec_format(tmp_path / "v.txt")
    assert mode_of(tmp_path / "m.npz") == 0o644 and mode_of(tmp_path / "v.txt") == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz", "v.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as f:
            f.write(b"half")
            raise RuntimeError("disk full")
    assert path.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["a.bin"]


def test_a_killed_save_leaves_one_temporary_that_the_next_save_removes(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(b"old")
    script = textwrap.dedent(f"""
        import os, signal
        from lstmx._files import atomic_write
        with atomic_write({str(path)!r}) as f:
            f.write(b"x" * 1_000_000)
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    for _ in range(3):   # three kills leave one temporary, not three
        result = subprocess.run([sys.executable, "-c", script])
        assert result.returncode == -9
    assert path.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["m.npz", "m.npz.tmp"]
    os.chmod(temporary_path(path), 0o400)   # even one left read-only is replaced
    with atomic_write(path) as f:
        f.write(b"new")
    assert path.read_bytes() == b"new" and sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_saving_into_a_missing_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="cannot save the file to .*: the directory .*nowhere does not exist"):
        with atomic_write(tmp_path / "nowhere" / "a.bin") as f:
            f.write(b"x")
