"""A small HTTP proxy for AWS-style tests: sits between ctdl and s3rver/dynalite, and can
  * verify every request's SigV4 signature independently of libcurl (neither s3rver nor dynalite
    checks signatures): a mismatch is answered 403 SignatureDoesNotMatch and recorded;
  * inject faults: fault(method, path, query_dict, count, headers) -> None or (status, body) to answer
    instead (count: earlier requests with this method and path; headers: lowercase names).

    with AwsProxy(upstream_port, secrets={"S3RVER": SECRET}) as p:
        env["AWS_ENDPOINT_URL_S3"] = p.endpoint
        ...
        assert not p.signature_errors

Python stdlib only. Threads: one per connection (ThreadingHTTPServer).
"""
import hashlib
import hmac
import http.client
import http.server
import threading
import urllib.parse


def _uri_encode(s, keep_slash=False):
    safe = "-_.~" + ("/" if keep_slash else "")
    return urllib.parse.quote(s, safe=safe)


def canonical_query(raw):
    pairs = []
    if raw:
        for part in raw.split("&"):
            k, _, v = part.partition("=")
            k = urllib.parse.unquote(k)
            v = urllib.parse.unquote(v)
            pairs.append((_uri_encode(k), _uri_encode(v)))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def check_sigv4(method, raw_path, headers, body, secrets):
    """Returns None if the request is correctly signed (AWS SigV4, header form), else a reason."""
    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "no AWS4-HMAC-SHA256 Authorization header"
    fields = {}
    for item in auth[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = item.strip().partition("=")
        fields[k] = v
    try:
        akid, date, region, service, term = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
    except (KeyError, ValueError):
        return "malformed Authorization header"
    if term != "aws4_request":
        return "credential scope does not end in aws4_request"
    if akid not in secrets:
        return "unknown access key id"
    amz_date = headers.get("x-amz-date", "")
    if not amz_date.startswith(date):
        return "x-amz-date missing or not matching the credential date"
    for need in ["host", "x-amz-date"] + (["x-amz-content-sha256"] if service == "s3" else []):
        if need not in signed:
            return f"header {need} is not signed"
    path, _, query = raw_path.partition("?")
    if service == "s3":
        payload = headers.get("x-amz-content-sha256", "")
        if payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(body).hexdigest():
            return "x-amz-content-sha256 does not match the body"
        canon_path = path  # S3 does not normalize or double-encode
    else:
        payload = hashlib.sha256(body).hexdigest()
        canon_path = "/".join(_uri_encode(urllib.parse.unquote(seg)) for seg in path.split("/")) or "/"
        canon_path = _uri_encode(canon_path, keep_slash=True)
    canon_headers = ""
    for h in signed:
        if h not in headers:
            return f"signed header {h} not sent"
        canon_headers += h + ":" + " ".join(headers[h].split()) + "\n"
    creq = "\n".join([method, canon_path, canonical_query(query), canon_headers, ";".join(signed), payload])
    scope = f"{date}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secrets[akid]).encode(), date), region), service), "aws4_request")
    want = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, signature):
        return "signature mismatch; canonical request was:\n" + creq
    return None


class AwsProxy:
    def __init__(self, upstream_port, secrets=None, fault=None):
        self.upstream_port = upstream_port
        self.secrets = secrets  # None: do not verify
        self.fault = fault
        self.lock = threading.Lock()
        self.requests = []  # (method, path, status)
        self.signature_errors = []
        self.injected = []
        self.signed_headers_seen = {}  # header name -> how many verified requests signed it
        self.server = None

    def __enter__(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _handle(self):
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                path, _, query = self.path.partition("?")
                qd = {k: v[0] if v else "" for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
                if proxy.secrets is not None:
                    why = check_sigv4(self.command, self.path, headers, body, proxy.secrets)
                    if not why:
                        auth = headers.get("authorization", "")
                        names = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
                        with proxy.lock:
                            for h in names:
                                proxy.signed_headers_seen[h] = proxy.signed_headers_seen.get(h, 0) + 1
                    if why:
                        with proxy.lock:
                            proxy.signature_errors.append(f"{self.command} {self.path}: {why}")
                        return self._send(403, b"<Error><Code>SignatureDoesNotMatch</Code><Message>proxy: "
                                          + why.split("\n")[0].encode() + b"</Message></Error>", {})
                if proxy.fault:
                    with proxy.lock:
                        count = sum(1 for r in proxy.requests if r[0] == self.command and r[1] == path)
                    answer = proxy.fault(self.command, path, qd, count, headers)
                    if answer:
                        with proxy.lock:
                            proxy.injected.append((self.command, self.path, answer[0]))
                            proxy.requests.append((self.command, path, answer[0]))
                        return self._send(answer[0], answer[1], {})
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                try:
                    fwd = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "expect")}
                    conn.request(self.command, self.path, body=body, headers=fwd)
                    resp = conn.getresponse()
                    data = resp.read()
                    hdrs = {k: v for k, v in resp.getheaders()
                            if k.lower() not in ("connection", "transfer-encoding", "content-length")}
                    if self.command == "HEAD":
                        hdrs["Content-Length"] = resp.getheader("content-length", "0")
                    with proxy.lock:
                        proxy.requests.append((self.command, path, resp.status))
                    self._send(resp.status, data, hdrs, head=self.command == "HEAD")
                finally:
                    conn.close()

            def _send(self, status, data, hdrs, head=False):
                self.send_response(status)
                for k, v in hdrs.items():
                    self.send_header(k, v)
                if not head:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if not head:
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        return False

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"
