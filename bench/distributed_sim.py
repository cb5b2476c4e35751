#!/usr/bin/env python3
"""Simulation of `ctdl download --distributed` on a 2.6-billion-entry log (doc/distributed.md).

A discrete-event model of what the state store sees: W workers lease chunks of 2^20 entries with
conditional writes (the same rules as src/sync/chunk_lease*.cc: pick a random takeable chunk among
the lowest 2 x (leased + 1), on a lost race pick another, re-list after 3 lost races in a row),
renew every lease/3, commit a position per segment, mark done, fold. It counts state items, writes
and reads, prices them at DynamoDB on-demand rates, and measures the start-up when all W workers
start at once: conditional-write failures and the time until every worker holds a chunk.

Python 3 stdlib only; deterministic (seeded). Usage:
  python3 bench/distributed_sim.py                 # the report for doc/distributed.md
  python3 bench/distributed_sim.py --workers 100 --rps 30 --json
"""
import argparse
import heapq
import json
import math
import random

# DynamoDB on-demand prices assumed (us-east-1, after the November 2024 cut):
PRICE_PER_M_WRU = 0.625  # USD per million write request units (1 WRU: a write of up to 1 KB)
PRICE_PER_M_RRU = 0.125  # USD per million read request units (1 RRU: strongly consistent 4 KB)
PRICE_GB_MONTH = 0.25    # USD per GB-month of table storage


def chunk_item_bytes(chunk_entries):
    """Size of a chunk item as DynamoDB counts it (attribute names + values), at its largest: a
    compact range of up to log2(chunk) hashes (base64, 44 chars each) while in progress."""
    names = len("url chunk size state owner counter expires_at position compact_range "
                "subtree_hash rejected updated_at".replace(" ", ""))
    url = 60  # e.g. https://sectigo.example/2026h1/
    numbers = 8 * 21 // 2 + 2 * 10  # a few N values of ~10 digits
    owner = 40  # host:pid:random
    hashes = int(math.log2(chunk_entries)) * 44 + 12
    return names + url + numbers + owner + len("leased") + hashes + 44


def wru(item_bytes):
    return max(1, math.ceil(item_bytes / 1024))


class Store:
    """Chunk items with lease counters; operations are atomic at the time they are served."""

    def __init__(self, chunks):
        self.counter = [0] * chunks
        self.state = ["free"] * chunks
        self.expires = [0.0] * chunks
        self.writes = 0
        self.failed_writes = 0
        self.queries = 0

    def takeable(self, i, now):
        return self.state[i] == "free" or (self.state[i] == "leased" and self.expires[i] <= now)

    def put(self, i, expected, state, now, expires=0.0):
        self.writes += 1
        if self.counter[i] != expected:
            self.failed_writes += 1
            return False
        self.counter[i] += 1
        self.state[i] = state
        self.expires[i] = expires
        return True


def pick(listing, now, rng, exclude, lost, naive=False):
    """The worker's rule: a random takeable chunk among the lowest max(16, 2 x (leased + 1)) takeable
    ones, the window doubled per race lost in a row. naive: always the lowest takeable one."""
    leased = sum(1 for s, _, e in listing if s == "leased" and e > now)
    window = 1 if naive else max(16, 2 * (leased + 1)) << min(lost, 10)
    cands = []
    for i, (s, _, e) in enumerate(listing):
        if i in exclude:
            continue
        if s == "free" or (s == "leased" and e <= now):
            cands.append(i)
            if len(cands) >= window:
                break
    return rng.choice(cands) if cands else None


def simulate(workers, chunks, chunk_entries, rps, entries_per_request, lease_s, segment_entries,
             seed=1, latency_ms=(5, 15), start_spread_s=0.0, stop_after_s=None, naive=False):
    rng = random.Random(seed)
    store = Store(chunks)
    chunk_s = chunk_entries / (rps * entries_per_request)  # download time of one chunk, one worker
    item = chunk_item_bytes(chunk_entries)
    query_rru = math.ceil(chunks * (item * 0.6) / 4096)  # average item ~60% of the largest
    events = []  # (time, seq, worker, kind, data)
    seq = 0

    def at(t, w, kind, data=None):
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, w, kind, data))

    def lat():
        return rng.uniform(*latency_ms) / 1000.0

    holding = {}       # worker -> (chunk, counter)
    first_lease = {}   # worker -> time its first lease was granted
    lost = {w: 0 for w in range(workers)}
    exclude = {w: set() for w in range(workers)}
    listing = {}
    renewals = commits = dones = folds = 0
    done_count = 0
    folded = 0
    t_end = 0.0
    for w in range(workers):
        at(rng.uniform(0, start_spread_s), w, "list")
    while events:
        t, _, w, kind, data = heapq.heappop(events)
        if stop_after_s is not None and t > stop_after_s:
            break
        if kind == "list":
            store.queries += 1
            listing[w] = [(store.state[i], store.counter[i], store.expires[i]) for i in range(chunks)]
            exclude[w] = set()
            at(t + 2 * lat() + 0.002 * query_rru / 100, w, "take")
        elif kind == "take":
            i = pick(listing[w], t, rng, exclude[w], lost[w], naive)
            if i is None:
                if done_count < chunks:
                    at(t + lease_s / 3, w, "list")  # nothing takeable now: look again later
                continue
            expected = listing[w][i][1]
            served = t + lat()
            dur = chunk_s * rng.uniform(0.9, 1.1)
            # Renewed every lease/3 while it works: it stays leased until done (+ a lease).
            ok = store.put(i, expected, "leased", served, served + dur + lease_s)
            if ok:
                holding[w] = (i, expected + 1)
                first_lease.setdefault(w, served)
                lost[w] = 0
                # Work: renewals every lease/3, one commit per segment, then done.
                n_renew = int(dur // (lease_s / 3))
                n_commit = math.ceil(chunk_entries / segment_entries)
                renewals += n_renew
                commits += n_commit
                store.writes += n_renew + n_commit
                at(served + dur, w, "done", i)
            else:
                exclude[w].add(i)
                lost[w] += 1
                at(served + lat(), w, "list" if lost[w] >= 3 else "take")
        elif kind == "done":
            i = data
            if not store.put(i, holding[w][1], "done", t):
                raise AssertionError(f"worker {w} lost chunk {i} it was renewing")
            dones += 1
            done_count += 1
            del holding[w]
            # Fold: whoever completes the lowest open chunk advances the log (one Advance per chunk).
            while folded < chunks and store.state[folded] == "done":
                folded += 1
                folds += 1
                store.writes += 1
            t_end = max(t_end, t)
            at(t + lat(), w, "list")
    spread = max(first_lease.values()) if len(first_lease) == workers else float("inf")
    total_wru = store.writes * wru(item)
    total_rru = store.queries * query_rru
    hours = t_end / 3600 if t_end else float("nan")
    return {
        "workers": workers,
        "chunks": chunks,
        "chunk_entries": chunk_entries,
        "entries": chunks * chunk_entries,
        "chunk_seconds": round(chunk_s, 1),
        "item_bytes_max": item,
        "wru_per_write": wru(item),
        "rru_per_list": query_rru,
        "writes": store.writes,
        "failed_conditional_writes": store.failed_writes,
        "lists": store.queries,
        "renewals": renewals,
        "segment_commits": commits,
        "done_writes": dones,
        "fold_writes": folds,
        "seconds_until_all_hold_a_lease": round(spread, 3),
        "hours": round(hours, 2),
        "writes_per_hour": round(store.writes / hours) if t_end else None,
        "lists_per_hour": round(store.queries / hours) if t_end else None,
        "wru": total_wru,
        "rru": total_rru,
        "cost_usd_writes": round(total_wru / 1e6 * PRICE_PER_M_WRU, 4),
        "cost_usd_reads": round(total_rru / 1e6 * PRICE_PER_M_RRU, 4),
        "storage_gb": round(chunks * item / 1e9, 4),
    }


def startup(workers, chunks, seed, **kw):
    """Only the first seconds: every worker starts at the same instant."""
    return simulate(workers, chunks, seed=seed, stop_after_s=30, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=2_600_000_000)
    ap.add_argument("--chunk-entries", type=int, default=1 << 20)
    ap.add_argument("--workers", type=int, default=100)
    ap.add_argument("--rps", type=float, default=30, help="requests/s per worker (Sectigo: 30 per IP)")
    ap.add_argument("--entries-per-request", type=int, default=256)
    ap.add_argument("--lease-seconds", type=float, default=60)
    ap.add_argument("--segment-entries", type=int, default=100000)
    ap.add_argument("--seeds", type=int, default=5, help="start-up runs (different seeds)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    chunks = math.ceil(a.entries / a.chunk_entries)
    kw = dict(chunk_entries=a.chunk_entries, rps=a.rps, entries_per_request=a.entries_per_request,
              lease_s=a.lease_seconds, segment_entries=a.segment_entries)
    full = simulate(a.workers, chunks, seed=1, **kw)
    starts = [startup(a.workers, chunks, seed=s, **kw) for s in range(1, a.seeds + 1)]
    if a.json:
        print(json.dumps({"full": full, "startup": starts}, indent=1))
        return
    print(f"# {a.entries:,} entries = {chunks:,} chunks of {a.chunk_entries:,}; {a.workers} workers at "
          f"{a.rps:g} req/s x {a.entries_per_request} entries; lease {a.lease_seconds:g} s\n")
    print(f"- one chunk takes one worker {full['chunk_seconds']} s; the whole log {full['hours']} h")
    print(f"- state items: {chunks:,} chunk items (<= {full['item_bytes_max']} bytes each, "
          f"{full['storage_gb']} GB) + 1 log item")
    print(f"- writes: {full['writes']:,} in all ({full['renewals']:,} renewals, "
          f"{full['segment_commits']:,} segment commits, {full['done_writes']:,} done, "
          f"{full['fold_writes']:,} folds, the rest leases); {full['writes_per_hour']:,} per hour")
    print(f"- reads: {full['lists']:,} chunk listings (Query, {full['rru_per_list']} RRU each); "
          f"{full['lists_per_hour']:,} per hour")
    print(f"- DynamoDB on-demand (${PRICE_PER_M_WRU}/M WRU, ${PRICE_PER_M_RRU}/M RRU): writes "
          f"{full['wru']:,} WRU = ${full['cost_usd_writes']}, reads {full['rru']:,} RRU = "
          f"${full['cost_usd_reads']} for the whole log; storage ${full['storage_gb'] * PRICE_GB_MONTH:.4f}/month")
    fails = [s["failed_conditional_writes"] for s in starts]
    spreads = [s["seconds_until_all_hold_a_lease"] for s in starts]
    lists = [s["lists"] for s in starts]
    print(f"- {a.workers} workers starting at the same instant ({a.seeds} seeds): "
          f"{min(fails)}-{max(fails)} failed conditional writes, every worker holds a chunk after "
          f"{min(spreads):.3f}-{max(spreads):.3f} s, {min(lists)}-{max(lists)} listings")
    naive = [startup(a.workers, chunks, seed=s, naive=True, **kw) for s in range(1, a.seeds + 1)]
    nf = [s["failed_conditional_writes"] for s in naive]
    ns = [s["seconds_until_all_hold_a_lease"] for s in naive]
    print(f"- the same start with the naive rule (everyone takes the lowest free chunk): "
          f"{min(nf)}-{max(nf)} failed conditional writes, every worker holds a chunk after "
          f"{min(ns):.3f}-{max(ns):.3f} s")


if __name__ == "__main__":
    main()
