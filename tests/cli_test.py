"""Integration test of the ctdl command surface: init, status (table and --json), update-tree-size,
seed aliases, confirmation, bad inputs (messages, exit codes, nothing half-written).
Runs against ctdl-testlog on 127.0.0.1 plus crafted log lists with unreachable, rejected and test logs.
Exit codes are the ones documented in doc/exit-codes.md."""

import json
import os
import pty
import re
import sqlite3
import subprocess
import time

import ctdltest
from ctdltest import check, run_ctdl

OK, ERROR, USAGE, BAD_INPUT, STATE, ARCHIVE, NETWORK, UNIMPLEMENTED = 0, 1, 2, 3, 4, 5, 6, 9


def expect(r, code, *needles, stream="stderr"):
    """Checks the exit code and that each needle appears in the stream."""
    out = getattr(r, stream)
    check(r.returncode == code,
          f"exit {r.returncode}, want {code}\nargs: {r.args}\nstdout: {r.stdout}\nstderr: {r.stderr}")
    for n in needles:
        check(n in out, f"{n!r} not in {stream}: {out}")


def status_json(state):
    r = run_ctdl(["--state", state, "status", "--json"], input="")
    expect(r, OK)
    return {o["url"]: o for o in map(json.loads, r.stdout.splitlines())}


def crafted_list(path, test_log_list, unreachable_port):
    """The test log's own list plus: an unreachable RFC 6962 log, an unreachable tiled log, a rejected
    log and a log_type test log (both reachable URLs, to show they are skipped, not fetched)."""
    with open(test_log_list) as f:
        doc = json.load(f)
    base = f"http://127.0.0.1:{unreachable_port}"
    doc["operators"].append({
        "name": "Elsewhere", "email": ["x@example.invalid"], "unknown_field": {"a": 1},
        "logs": [
            {"description": "Unreachable 2026", "log_id": "dW5yZWFjaA==", "key": "a2V5",
             "url": f"{base}/unreachable", "mmd": 86400, "state": {"usable": {}}},
            {"description": "Rejected 2020", "log_id": "cmVq", "key": "a2V5",
             "url": f"{base}/rejected/", "mmd": 86400, "state": {"rejected": {}}},
            {"description": "Test log", "log_id": "dGVzdA==", "key": "a2V5",
             "url": f"{base}/testonly/", "mmd": 60, "log_type": "test"},
        ],
        "tiled_logs": [
            {"description": "Unreachable tiled", "log_id": "dGlsZWQ=", "key": "a2V5",
             "monitoring_url": f"{base}/tiled", "submission_url": f"{base}/submit",
             "mmd": 60, "state": {"qualified": {}}},
        ],
    })
    with open(path, "w") as f:
        json.dump(doc, f)
    return doc


def set_db(db_path, sql, *params):
    con = sqlite3.connect(db_path)
    with con:
        con.execute(sql, params)
    con.close()


def run_with_tty(args, answer):
    """Runs ctdl with a pseudo-terminal on stdin and types answer."""
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([ctdltest.binary("ctdl")] + args, stdin=slave, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        os.write(master, answer.encode())
        out, err = p.communicate(timeout=120)
        return subprocess.CompletedProcess(p.args, p.returncode, out, err)
    finally:
        os.close(master)
        os.close(slave)


def help_defaults(args):
    """{flag: default or None} from `ctdl ARGS --help` (CLI11 prints `--flag TYPE=DEFAULT`)."""
    r = run_ctdl(args + ["--help"])
    expect(r, OK, stream="stdout")
    out = {}
    for line in r.stdout.splitlines():
        m = re.match(r"\s+(?:-\w,)?(--[\w-]+)(.*)", line)
        if m:
            spec = re.split(r"\s{2,}", m.group(2).strip())[0]
            out[m.group(1)] = spec.rsplit("=", 1)[1] if "=" in spec else None  # TYPE:CHECK=DEFAULT
    return out


def check_readme_flags():
    """README's flag table: every flag exists, and its default is the one --help prints."""
    with open(os.path.join(ctdltest.source_dir(), "README.md")) as f:
        readme = f.read()
    table = readme[readme.index("## Flags"):]
    table = table[:table.index("\n## ", 1)]
    helps = {"": help_defaults([]), "download": help_defaults(["download"])}
    rows = 0
    for row in re.findall(r"^\| `(download )?(--[\w-]+)[^`]*` \|([^|]*)\|", table, re.M):
        cmd, flag, cell = row[0].strip(), row[1], row[2]
        rows += 1
        check(flag in helps[cmd], f"README flag {cmd} {flag} is not in `ctdl {cmd} --help`")
        want = helps[cmd][flag]
        got = re.findall(r"`([^`]*)`", cell)
        if want is not None:
            check(got[:1] == [want], f"README says {cmd} {flag} defaults to {cell.strip()!r}; "
                                     f"--help says {want!r}")
    check(rows >= 12, f"only {rows} rows read from README's flag table")
    # The Commands table: every flag written next to init/status/update-tree-size is in its --help.
    commands = readme[readme.index("## Commands"):]
    commands = commands[:commands.index("\n## ", 1)]
    seen = 0
    for cmd, spec in re.findall(r"^\| `(init|status|update-tree-size)([^`]*)` \|", commands, re.M):
        flags = help_defaults([cmd])
        for flag in re.findall(r"--[\w-]+", spec):
            seen += 1
            check(flag in flags, f"README's Commands table: {cmd} {flag} is not in `ctdl {cmd} --help`")
    check(seen >= 7, f"only {seen} flags read from README's Commands table")


def main():
    ctdltest.binary("ctdl")
    with ctdltest.TestLog(entries=1000) as log, ctdltest.TempDir() as tmp:
        rfc, tiled = log.url, log.static_url
        dead = ctdltest.free_port()
        dead_rfc = f"http://127.0.0.1:{dead}/unreachable/"
        dead_tiled = f"http://127.0.0.1:{dead}/tiled/"
        lst = os.path.join(tmp, "list.json")
        crafted_list(lst, log.log_list, dead)
        db = os.path.join(tmp, "state.db")
        state = f"sqlite:{db}"

        # --- version and help ---
        with open(os.path.join(ctdltest.source_dir(), "CMakeLists.txt")) as f:
            version = re.search(r"project\(ctdl VERSION ([0-9.]+)", f.read()).group(1)
        r = run_ctdl(["--version"])
        expect(r, OK, stream="stdout")
        check(r.stdout == f"ctdl {version}\n", f"--version printed {r.stdout!r}, want ctdl {version}")
        for cmd in ([], ["init"], ["status"], ["update-tree-size"], ["download"]):
            r = run_ctdl(cmd + ["--help"])
            expect(r, OK, "Usage:", stream="stdout")
        expect(run_ctdl(["download", "--help"]), OK, "--max-inflight", "--no-progress",
               stream="stdout")
        check_readme_flags()

        # --- usage errors: one sentence naming the nearest command or flag, the usage line, exit 2 ---
        def usage_error(args, *needles):
            r = run_ctdl(args)
            expect(r, USAGE, "ctdl: error:", *needles)
            check(r.stdout == "", f"usage error wrote to stdout: {r.stdout!r}")
            check(r.stderr.splitlines()[1].startswith("Usage: ctdl"), r.stderr)
        usage_error([], "no command given; the commands are init, status, update-tree-size, download")
        usage_error(["frobnicate"], 'unknown command "frobnicate"; the commands are init, status')
        usage_error(["dowload", "https://ct.example/"],
                    'unknown command "dowload"; did you mean "download"?', "Usage: ctdl [OPTIONS]")
        usage_error(["--state", "sqlite:x.db", "stauts"], 'did you mean "status"?')
        usage_error(["status", "--bogus"], 'unknown flag "--bogus" for `ctdl status`',
                    "Usage: ctdl status", "ctdl status --help")
        usage_error(["download", "--max-inflght", "3", "https://ct.example/"],
                    'unknown flag "--max-inflght" for `ctdl download`; did you mean "--max-inflight"?',
                    "Usage: ctdl download")
        usage_error(["status", "--stat=sqlite:x.db"], 'did you mean "--state"?')
        usage_error(["--show-all-statsu"], 'unknown flag "--show-all-statsu" for `ctdl`; '
                    'did you mean "--show-all-status"?')
        usage_error(["download", "https://ct.example/", "--compression", "lz4"], "lz4",
                    "Usage: ctdl download")

        # --- refusal without --yes and no terminal: nothing written ---
        r = run_ctdl(["--state", state, "init", "--log-list", lst], input="y\n")
        expect(r, USAGE, "--yes", "not a terminal")
        check(not os.path.exists(db), "init without --yes created the state file")

        # --- a terminal that answers no: nothing registered ---
        r = run_with_tty(["--state", state, "init", "--log-list", lst], "n\n")
        expect(r, ERROR, "Proceed?", "Nothing changed", stream="stdout")
        check(not status_json(state), "declined init registered logs")

        # --- a terminal that answers yes: registered (in a separate file) ---
        yes_db = os.path.join(tmp, "yes.db")
        r = run_with_tty(["--state", f"sqlite:{yes_db}", "init", "--log-list", lst], "y\n")
        expect(r, OK, "Proceed?", "Registered 4 logs", stream="stdout")
        check(len(status_json(f"sqlite:{yes_db}")) == 4, "confirmed init did not register 4 logs")

        # --- init with --yes from the crafted list ---
        r = run_ctdl(["--state", state, "init", "--log-list", lst, "--yes"])
        expect(r, OK, "warning:", dead_rfc, dead_tiled)
        check("Registered 4 logs" in r.stdout, r.stdout)
        check("skipped 1 rejected and 1 test logs" in r.stdout, r.stdout)
        logs = status_json(state)
        check(sorted(logs) == sorted([rfc, tiled, dead_rfc, dead_tiled]), f"registered {list(logs)}")
        check(logs[rfc]["tree_size"] == 1000 and logs[tiled]["tree_size"] == 1000, str(logs))
        check(logs[dead_rfc]["tree_size"] == 0 and logs[dead_tiled]["tree_size"] == 0, str(logs))
        check(logs[rfc]["ct_log_type"] == "rfc6962" and logs[tiled]["ct_log_type"] == "tiled",
              str(logs))
        check(logs[dead_tiled]["submission_url"] == f"http://127.0.0.1:{dead}/submit/", str(logs))
        check(logs[dead_rfc]["description"] == "Unreachable 2026", str(logs))
        check(logs[dead_tiled]["state"] == "qualified" and logs[dead_rfc]["mmd"] == 86400, str(logs))
        for o in logs.values():
            for k in ("url", "description", "ct_log_type", "tree_size", "current_position",
                      "verified_size", "log_id", "key"):
                check(k in o, f"status --json lacks {k}: {o}")
            check(o["current_position"] == 0, str(o))

        # --- status table: header, alignment, order (rfc6962 by url, then tiled by url) ---
        r = run_ctdl(["--state", state, "status"])
        expect(r, OK)
        lines = r.stdout.splitlines()
        check(re.fullmatch(r"PercentComplete +CurrentPosition +End\(tree_size\) +LogType +URL",
                           lines[0]) is not None, lines[0])
        rows = [l.split() for l in lines[1:]]
        check([row[4] for row in rows] == sorted([rfc, dead_rfc]) + sorted([tiled, dead_tiled]),
              r.stdout)
        url_col = lines[0].index("URL")
        for l, row in zip(lines[1:], rows):
            check(l.index(row[4]) == url_col, f"misaligned row: {l!r}")
        by_url = {row[4]: row for row in rows}
        check(by_url[rfc][:4] == ["0.00%", "0", "1000", "rfc6962"], str(by_url[rfc]))
        check(by_url[dead_rfc][:3] == ["-", "0", "0"], str(by_url[dead_rfc]))
        expect(run_ctdl(["--state", state, "--show-all-status"]), OK)
        check(run_ctdl(["--state", state, "--show-all-status"]).stdout == r.stdout,
              "--show-all-status differs from status")

        # --- update-tree-size: the seed's line per log; unreachable ones warn ---
        set_db(db, "UPDATE logs SET tree_size=400 WHERE url=?", rfc)
        r = run_ctdl(["--state", state, "update-tree-size"])
        expect(r, OK, dead_rfc)
        check(f"Found 600 more items. New tree size: 1000 old tree size: 400 url: {rfc}"
              in r.stdout.splitlines(), r.stdout)
        check(f"Found 0 more items. New tree size: 1000 old tree size: 1000 url: {tiled}"
              in r.stdout.splitlines(), r.stdout)
        check(dead_rfc not in r.stdout, "an unreachable log got a Found line")
        check(status_json(state)[rfc]["tree_size"] == 1000, "update-tree-size did not store")
        r = run_ctdl(["--update-tree-size", "--state", state])
        expect(r, OK, stream="stdout")
        check(f"Found 0 more items. New tree size: 1000 old tree size: 1000 url: {rfc}" in r.stdout,
              r.stdout)

        # --- re-init keeps positions, --reset zeroes them ---
        set_db(db, "UPDATE logs SET position=500, verified_size=256, compact_range='x' WHERE url=?",
               rfc)
        expect(run_ctdl(["--state", state, "init", "--log-list", lst, "--yes"]), OK)
        logs = status_json(state)
        check(logs[rfc]["current_position"] == 500 and logs[rfc]["verified_size"] == 256, str(logs))
        check(len(logs) == 4, str(logs))
        r = run_ctdl(["--state", state, "--init", "--log-list", lst, "--yes"])  # seed alias
        expect(r, OK)
        check("4 already registered" in r.stdout, r.stdout)
        check(status_json(state)[rfc]["current_position"] == 500, "alias --init lost the position")
        r = run_ctdl(["--state", state, "init", "--log-list", lst, "--yes", "--reset"])
        expect(r, OK)
        check("RESET" in r.stdout, r.stdout)
        logs = status_json(state)
        check(logs[rfc]["current_position"] == 0 and logs[rfc]["verified_size"] == 0, str(logs))

        # --- --include-test registers the test log too ---
        state2 = f"sqlite:{tmp}/with-test.db"
        r = run_ctdl(["--state", state2, "init", "--log-list", lst, "--yes", "--include-test"])
        expect(r, OK)
        check(f"http://127.0.0.1:{dead}/testonly/" in status_json(state2), "test log not kept")

        # --- bad inputs: one sentence, documented code, state untouched ---
        before = status_json(state)
        missing = os.path.join(tmp, "no-such-list.json")
        expect(run_ctdl(["--state", state, "init", "--log-list", missing, "--yes"]), BAD_INPUT,
               "cannot read the log list", missing)
        broken = os.path.join(tmp, "broken.json")
        with open(broken, "w") as f:
            f.write('{"operators": [')
        expect(run_ctdl(["--state", state, "init", "--log-list", broken, "--yes"]), BAD_INPUT,
               "not valid JSON")
        nokey = os.path.join(tmp, "nokey.json")
        with open(nokey, "w") as f:
            json.dump({"operators": [{"name": "Op", "logs": [
                {"description": "Good", "log_id": "aQ==", "key": "aw==", "url": "http://good.invalid/",
                 "mmd": 1},
                {"description": "Keyless Log", "log_id": "aQ==", "url": "http://nokey.invalid/",
                 "mmd": 1}]}]}, f)
        expect(run_ctdl(["--state", state, "init", "--log-list", nokey, "--yes"]), BAD_INPUT,
               "Keyless Log", '"key"')
        empty = os.path.join(tmp, "empty.json")
        with open(empty, "w") as f:
            json.dump({"operators": [{"name": "Op", "logs": [
                {"description": "Old", "log_id": "aQ==", "key": "aw==", "url": "http://old.invalid/",
                 "mmd": 1, "state": {"rejected": {}}}]}]}, f)
        expect(run_ctdl(["--state", state, "init", "--log-list", empty, "--yes"]), BAD_INPUT,
               "names no logs")
        check(status_json(state) == before, "a failed init changed the state")
        for f in (missing, broken, nokey):
            fresh = os.path.join(tmp, "fresh.db")
            r = run_ctdl(["--state", f"sqlite:{fresh}", "init", "--log-list", f, "--yes"])
            check(r.returncode == BAD_INPUT and not os.path.exists(fresh),
                  f"bad list {f} created a state file or wrong code {r.returncode}")
            check(len(r.stderr.strip().splitlines()) == 1, f"not one sentence: {r.stderr}")

        expect(run_ctdl(["--state", state, "init", "--log-list", f"http://127.0.0.1:{dead}/list.json",
                         "--yes"]), NETWORK, "cannot download the log list")
        notdb = os.path.join(tmp, "notdb.db")
        with open(notdb, "w") as f:
            f.write("this is a text file, not an SQLite database; ctdl must say so\n" * 4)
        expect(run_ctdl(["--state", f"sqlite:{notdb}", "status"]), STATE, notdb, "not an SQLite")
        expect(run_ctdl(["--state", "mysql:x", "status"]), BAD_INPUT, "unknown scheme", "mysql:x")
        expect(run_ctdl(["--state", "sqlite:", "status"]), BAD_INPUT, "needs a path")
        bad_dir = os.path.join(tmp, "no", "such", "dir", "s.db")
        for cmd in (["init", "--log-list", lst, "--yes"], ["status"], ["download", rfc]):
            expect(run_ctdl(["--state", f"sqlite:{bad_dir}"] + cmd), STATE, bad_dir,
                   f"the folder {os.path.dirname(bad_dir)} does not exist",
                   f"mkdir -p {os.path.dirname(bad_dir)}")
        check(not os.path.exists(os.path.join(tmp, "no")), "a failed open created folders")
        expect(run_ctdl(["--state", f"sqlite:{tmp}/absent.db", "status"]), STATE, "does not exist",
               "ctdl init")
        check(not os.path.exists(f"{tmp}/absent.db"), "status created a state file")
        r = run_ctdl(["--state", "dynamodb:ctdl-cli-test", "status"],
                     env={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{dead}", "AWS_REGION": "us-east-1",
                          "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"})
        check(r.returncode != OK and r.stderr.startswith("ctdl: error:"), r.stderr)
        if r.returncode == UNIMPLEMENTED:
            check("not built yet" in r.stderr, r.stderr)

        # --- download: unregistered URL, unusable archive, bad flags, aliases ---
        r = run_ctdl(["--state", state, "--ct_url", "http://127.0.0.1:1/nope"])
        expect(r, BAD_INPUT, "http://127.0.0.1:1/nope/", "is not registered", "ctdl status")
        check("did you mean" not in r.stderr, r.stderr)
        typo = rfc[:-2] + "/"  # one character short
        expect(run_ctdl(["--state", state, "download", typo]), BAD_INPUT, typo, "is not registered",
               f"(did you mean {rfc}?)", "ctdl init")
        a_file = os.path.join(tmp, "a-file")
        with open(a_file, "w") as f:
            f.write("not a folder\n")
        expect(run_ctdl(["--state", state, "--archive", f"dir:{a_file}", "download", rfc]), ARCHIVE,
               f"archive {a_file} is a file, not a folder", "--archive dir:PATH")
        expect(run_ctdl(["--state", state, "--archive", f"dir:{a_file}/sub", "download", rfc]),
               ARCHIVE, f"cannot create archive folder {a_file}/sub: {a_file} is a file")
        if os.geteuid() != 0:  # root may write anywhere
            locked = os.path.join(tmp, "locked")
            os.mkdir(locked, 0o500)
            expect(run_ctdl(["--state", state, "--archive", f"dir:{locked}", "download", rfc]),
                   ARCHIVE, f"cannot write to archive folder {locked}", "--archive dir:PATH")
            expect(run_ctdl(["--state", f"sqlite:{locked}/s.db", "init", "--log-list", lst,
                             "--yes"]), STATE, f"in folder {locked}", "a folder you can write")
        else:
            print("note: running as root: the unwritable-folder checks are not run")
        check(status_json(state)[rfc]["current_position"] == 0, "a refused download moved")
        expect(run_ctdl(["--state", state, "download"]), USAGE, "at least one log URL")
        expect(run_ctdl(["--state", state, "--archive", "ftp://x", "download", rfc]), BAD_INPUT,
               "unknown scheme")
        expect(run_ctdl(["--state", state, "download", rfc, "--compression", "lz4"]), USAGE)
        expect(run_ctdl(["--state", state, "download", rfc, "--fields", "nonsense"]), USAGE,
               "nonsense")
        archive = os.path.join(tmp, "archive")
        r = run_ctdl(["--state", state, "--archive", f"dir:{archive}", "--remove-progress-bar",
                      "--ct_url", rfc.rstrip("/"), "--end", "300", "--segment-entries", "100"])
        check(r.returncode in (OK, UNIMPLEMENTED), f"download via aliases: {r.returncode} {r.stderr}")
        if r.returncode == OK:
            check(status_json(state)[rfc]["current_position"] == 300, str(status_json(state)[rfc]))
            recs = ctdltest.read_archive(archive)
            check(len(recs) == 300, f"{len(recs)} records")
            # --- status --lag: entries behind the stored head, when the position last moved ---
            logs = status_json(state)
            check(logs[tiled]["advanced_at"] == 0, f"never downloaded but advanced: {logs[tiled]}")
            advanced = logs[rfc]["advanced_at"]
            check(0 < time.time() - advanced < 300, f"advanced_at {advanced} is not just now")
            expect(run_ctdl(["--state", state, "update-tree-size"]), OK)  # a tree head is no advance
            check(status_json(state)[rfc]["advanced_at"] == advanced, "update-tree-size moved it")
            r = run_ctdl(["--state", state, "status", "--lag"])
            expect(r, OK)
            lines = r.stdout.splitlines()
            check(re.fullmatch(r"PercentComplete +CurrentPosition +End\(tree_size\) +Behind +"
                               r"AdvancedAgo +LogType +URL", lines[0]) is not None, lines[0])
            by_url = {row[-1]: row for row in map(str.split, lines[1:])}
            check(all(len(row) == 7 for row in by_url.values()), r.stdout)
            check(by_url[rfc][3] == "700" and re.fullmatch(r"\d+s", by_url[rfc][4]),
                  str(by_url[rfc]))
            check(by_url[tiled][3:5] == ["1000", "never"], str(by_url[tiled]))
            check(by_url[dead_rfc][3:5] == ["-", "never"], str(by_url[dead_rfc]))
            plain = run_ctdl(["--state", state, "status"]).stdout.splitlines()
            check(plain[0].split() == lines[0].replace("Behind", "").replace("AdvancedAgo", "")
                  .split(), "status without --lag is not the seed's table: " + plain[0])
        else:
            check("not built yet" in r.stderr, r.stderr)
    print("PASS")


if __name__ == "__main__":
    main()
