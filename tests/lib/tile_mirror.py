"""Copies a static-ct-api log served over HTTP into a folder with the same layout, the way a mirror
or tile cache would hold it (for `ctdl download file:///...`; doc/sources.md).

    mirror(static_url, out_dir, issuers=[hex, ...]) -> tree size

Writes <out>/checkpoint, every data tile and hash tile of the checkpoint's tree (full tiles as
tile/<L>/<N>, the last, partial one of each level as tile/<L>/<N>.p/<W>; L = "data" for entries) and
<out>/issuer/<hex> for each named issuer. Python 3 stdlib only; threads for speed (bench: 1M entries).
"""
import concurrent.futures
import os
import urllib.request


def tlog_path(n):
    """tlog tile index path: 1234067 -> x001/x234/067, 5 -> 005."""
    s = str(n)
    s = s.zfill((len(s) + 2) // 3 * 3)
    groups = [s[i:i + 3] for i in range(0, len(s), 3)]
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def tile_paths(size):
    """Every tile path of a tree of `size` entries: data tiles, then hash tiles level by level."""
    paths = []
    for level in ["data"] + list(range(0, 8)):
        nodes = size >> (8 * level) if level != "data" else size
        if nodes == 0:
            break
        for t in range(nodes // 256):
            paths.append(f"tile/{level}/{tlog_path(t)}")
        if nodes % 256:
            paths.append(f"tile/{level}/{tlog_path(nodes // 256)}.p/{nodes % 256}")
    return paths


def _get(url):
    with urllib.request.urlopen(url, timeout=120) as r:
        return r.read()


def _put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def mirror(static_url, out, issuers=(), threads=8):
    checkpoint = _get(static_url + "checkpoint")
    size = int(checkpoint.split(b"\n")[1])
    rel = tile_paths(size) + [f"issuer/{h}" for h in issuers]

    def copy(p):
        _put(os.path.join(out, p), _get(static_url + p))

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(copy, rel):
            pass
    _put(os.path.join(out, "checkpoint"), checkpoint)  # last: the folder is complete once it exists
    return size
