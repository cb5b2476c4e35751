"""Local AWS-compatible servers for integration tests: dynalite (DynamoDB) and s3rver (S3).

    with AwsServers() as aws:          # exits 77 (skip) with a message if node or the npm modules are missing
        env = aws.env()                # AWS_* variables pointing at the servers, fake credentials
        subprocess.run([...], env=env)

Both listen on free 127.0.0.1 ports and are stopped (and their temp folders removed) on exit, also
when the test fails. Modules come from tests/servers/node_modules (`npm ci` there; `make test` does it).
s3rver knows one account, access key id S3RVER; it does not check signatures, so tests may use any
secret (tests/lib/aws_proxy.py checks SigV4 signatures when a test needs that).
"""
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SOURCE = os.environ.get("CTDL_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))
SERVERS = os.path.join(SOURCE, "tests", "servers")
MODULES = os.path.join(SERVERS, "node_modules")

ACCESS_KEY = "S3RVER"
# A secret no server checks (see above) but distinctive, so tests can assert it never shows up.
SECRET_KEY = "ctdlTEST/secret+K3y-" + "x9Q" * 8
REGION = "us-east-1"


def skip(message):
    print("SKIP: " + message, flush=True)
    sys.exit(77)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, name, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on 127.0.0.1:{port} within {timeout}s")


S3RVER_JS = r"""
const S3rver = require('s3rver');
const [port, dir, buckets] = process.argv.slice(1);
new S3rver({port: Number(port), address: '127.0.0.1', silent: true, directory: dir,
            configureBuckets: buckets.split(',').filter(Boolean).map(name => ({name}))})
  .run().then(() => console.log('ready'), e => { console.error(e); process.exit(1); });
"""


def available():
    """True when node and both npm modules are installed (AwsServers would not skip)."""
    return bool(shutil.which("node")) and all(
        os.path.isdir(os.path.join(MODULES, m)) for m in ("s3rver", "dynalite"))


class AwsServers:
    def __init__(self, s3=True, dynamodb=True, buckets=("ctdl-test",)):
        self.want_s3, self.want_dynamodb, self.buckets = s3, dynamodb, list(buckets)
        self.procs = []
        self.tmp = None
        self.s3_port = self.dynamodb_port = None

    def __enter__(self):
        node = shutil.which("node")
        if not node:
            skip("node is not installed (apt-get install nodejs npm); needed for dynalite and s3rver")
        for mod in (["s3rver"] if self.want_s3 else []) + (["dynalite"] if self.want_dynamodb else []):
            if not os.path.isdir(os.path.join(MODULES, mod)):
                skip(f"npm module {mod} missing: run `npm ci` in {os.path.normpath(SERVERS)} "
                     "(make test does it)")
        self.tmp = tempfile.mkdtemp(prefix="ctdl-aws-")
        try:
            if self.want_dynamodb:
                self.dynamodb_port = free_port()
                p = subprocess.Popen(
                    [node, os.path.join(MODULES, "dynalite", "cli.js"), "--port", str(self.dynamodb_port),
                     "--createTableMs", "50", "--deleteTableMs", "50"],
                    cwd=SERVERS, stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.tmp, "dynalite.log"), "w"))
                self.procs.append(p)
                wait_port(self.dynamodb_port, p, "dynalite")
            if self.want_s3:
                self.s3_port = free_port()
                # s3rver encrypts continuation tokens with DES: Node 17+ needs OpenSSL's legacy provider.
                p = subprocess.Popen(
                    [node, "--openssl-legacy-provider", "-e", S3RVER_JS, str(self.s3_port), os.path.join(self.tmp, "s3"), ",".join(self.buckets)],
                    cwd=SERVERS, stdout=subprocess.PIPE, stderr=open(os.path.join(self.tmp, "s3rver.log"), "w"),
                    text=True)
                self.procs.append(p)
                line = p.stdout.readline()
                if line.strip() != "ready":
                    raise RuntimeError("s3rver did not start: " + open(os.path.join(self.tmp, "s3rver.log")).read())
                wait_port(self.s3_port, p, "s3rver")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            if p.stdout:
                p.stdout.close()
        self.procs = []
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        return False

    @property
    def s3_endpoint(self):
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def dynamodb_endpoint(self):
        return f"http://127.0.0.1:{self.dynamodb_port}"

    def ddb(self, op, body):
        """One DynamoDB call to dynalite (which checks that a SigV4 header is present, not its value);
        the decoded JSON reply (urllib.error.HTTPError on a 4xx/5xx)."""
        now = datetime.datetime.utcnow()
        req = urllib.request.Request(self.dynamodb_endpoint + "/", data=json.dumps(body).encode(), headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810." + op,
            "X-Amz-Date": now.strftime("%Y%m%dT%H%M%SZ"),
            "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{now:%Y%m%d}/us-east-1/dynamodb/"
                             "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def s3_objects(self, bucket, prefix):
        """{key: bytes} of `bucket` under prefix, read from s3rver's storage folder (no S3 client)."""
        root = os.path.join(self.tmp, "s3", bucket)
        out = {}
        suffix = "._S3rver_object"
        for d, _, files in os.walk(root):
            for f in files:
                if f.endswith(suffix):
                    key = os.path.relpath(os.path.join(d, f[:-len(suffix)]), root)
                    if key.startswith(prefix):
                        with open(os.path.join(d, f), "rb") as fh:
                            out[key] = fh.read()
        return out

    def env(self, base=None, **overrides):
        """os.environ (or base) with AWS_* pointing at the servers; other AWS_* variables removed."""
        env = {k: v for k, v in (base if base is not None else os.environ).items()
               if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_REGION=REGION,
                   AWS_DEFAULT_REGION=REGION,
                   AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
        if self.s3_port:
            env["AWS_ENDPOINT_URL_S3"] = self.s3_endpoint
        if self.dynamodb_port:
            env["AWS_ENDPOINT_URL_DYNAMODB"] = self.dynamodb_endpoint
        for k, v in overrides.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env
