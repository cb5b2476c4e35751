"""The `file` scenario of bench/bench.py: `ctdl download file:///folder/` of a static-ct-api folder.

The folder is a copy of the bench log's tiles (checkpoint, tile/data/..., tile/<L>/..., issuer/...)
made once with tests/lib/tile_mirror.py from a `ctdl-testlog serve --origin bench.ctdl.invalid/static`
of the same log and kept inside the cached log folder (`<log>/static-mirror`; it goes when the log is
rebuilt, whose keys are new). A fixed origin makes the checkpoint independent of the port; the log
list names it through the tiled entry's submission_url (doc/sources.md). The ctdl run itself has no
server beside it: only ctdl's CPU counts (the files are in the page cache after the copy or the
first run). Beside it, `cat` of the same data tiles to /dev/null (the raw read).
"""

import json
import os
import shutil
import subprocess
import sys
import time

import benchlib as bl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lib"))
import tile_mirror  # noqa: E402

ORIGIN = "bench.ctdl.invalid/static"


class NoServer:
    """What ctdl_run needs of a server, for a run that reads only files."""

    def __init__(self, log_list):
        self.log_list = log_list

    def stats(self):
        return {}

    def cpu(self):
        return 0.0


def mirror_folder(ctx, log_dir, n):
    """The cached static-ct-api copy of log_dir and a log list naming it as file:///.../."""
    folder = os.path.join(log_dir, "static-mirror")
    done = os.path.join(log_dir, "static-mirror.json")
    lst_path = os.path.join(ctx.work, "file-log-list.json")
    with bl.Server(ctx.testlog, log_dir, os.path.join(ctx.work, "serve-file"),
                   ["--origin", ORIGIN]) as srv:
        fresh = True
        if os.path.exists(done):
            try:
                with open(done) as f:
                    fresh = json.load(f).get("entries") != n
            except (OSError, ValueError):
                pass
        if fresh:
            bl.log(f"copying the {n}-entry log's tiles into {folder} (once, cached)")
            shutil.rmtree(folder, ignore_errors=True)
            issuers = sorted(os.listdir(os.path.join(log_dir, "issuers")))
            got = tile_mirror.mirror(srv.static_url, folder, issuers)
            if got != n:
                raise RuntimeError(f"tile mirror holds {got} entries, expected {n}")
            with open(done, "w") as f:
                json.dump({"entries": n}, f)
        ctx.note_cmd("file: copy of the tiles (once, cached; tests/lib/tile_mirror.py from)", srv.cmd)
        with open(srv.log_list) as f:
            lst = json.load(f)
    op = lst["operators"][0]
    tiled = op["tiled_logs"][0]
    tiled["description"] = "ctdl bench log, folder copy"
    tiled["monitoring_url"] = "file://" + folder + "/"
    tiled["submission_url"] = "https://" + ORIGIN + "/"
    op["tiled_logs"] = [tiled]
    op["logs"] = []
    with open(lst_path, "w") as f:
        json.dump(lst, f)
    return folder, lst_path, tiled["monitoring_url"]


def cat_run(ctx, folder, n):
    """cat of every data tile to /dev/null (page cache): the raw read beside ctdl's file:// run."""
    paths = [os.path.join(folder, p) for p in tile_mirror.tile_paths(n) if p.startswith("tile/data/")]
    lst = os.path.join(ctx.work, "file-tiles.txt")
    with open(lst, "w") as f:
        f.write("\0".join(paths))
    cmd = ["xargs", "-0", "-a", lst, "cat"]
    ctx.note_cmd("file-raw: cat of the data tiles to /dev/null", cmd + [">", "/dev/null"])
    with open(os.devnull, "wb") as null:
        subprocess.run(cmd, stdout=null)  # once to warm the page cache
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=null)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
    rc = os.waitstatus_to_exitcode(status)
    size = sum(os.path.getsize(p) for p in paths)
    res = {"name": "file-raw", "ok": rc == 0, "wall": wall, "requests": len(paths),
           "parallel": 1, "entries": n, "bytes": size, "cpu": ru.ru_utime + ru.ru_stime,
           "maxrss_mb": ru.ru_maxrss / 1024,
           "rate": n / wall if wall > 0 else 0, "mbps": size / 1e6 / wall if wall > 0 else 0}
    bl.log(f"file-raw: {len(paths)} tiles ({bl.fmt_mb(size)} MB) in {wall:.2f} s = "
           f"{bl.fmt_rate(res['rate'])} entries/s")
    return res


def run(ctx, ctdl_run, log_dir, results):
    n = ctx.entries
    folder, lst, url = mirror_folder(ctx, log_dir, n)
    results["file_raw"] = cat_run(ctx, folder, n)
    results["file"] = ctdl_run(ctx, NoServer(lst), "file", url, expect=n,
                               timeout=max(60, n / 5000), check_lines=True)
