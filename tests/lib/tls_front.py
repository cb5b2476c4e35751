"""A TLS (+ HTTP/2) front for ctdl-testlog: nginx on a free 127.0.0.1 port, proxying to the test log,
with a CA and a server certificate generated for the test (openssl CLI). Tests and bench share it.

    import ctdltest, tls_front
    with ctdltest.TestLog(entries=2000) as log, tls_front.TlsFront(log.port, http2=True) as front:
        url = front.url                       # https://127.0.0.1:P/
        env = {"CURL_CA_BUNDLE": front.ca_file}
        ...
        front.connections()                   # TLS connections clients opened (server side)

The access log has one line per request: `$connection $connection_requests $server_protocol $status
$body_bytes_sent $request_uri`, so connections are counted from the server side (`$connection` is
nginx's connection serial number). nginx needs nothing but the Debian nginx-light package; it runs
in the foreground without a master process (so it needs no root and switches no user).
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import ctdltest


def _openssl(args, cwd):
    r = subprocess.run(["openssl"] + args, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        ctdltest.fail(f"openssl {' '.join(args)} failed: {r.stderr}")


def make_ca(folder, name="ctdl test CA"):
    """Creates <folder>/<slug>.pem and .key (a self-signed EC P-256 CA); returns (pem, key)."""
    slug = name.replace(" ", "_")
    pem, key = os.path.join(folder, slug + ".pem"), os.path.join(folder, slug + ".key")
    _openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", key, "-out", pem, "-days", "3", "-subj", f"/CN={name}",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], folder)
    return pem, key


def make_server_cert(folder, ca_pem, ca_key, names=("127.0.0.1", "localhost")):
    """A server certificate for `names` (IPs and DNS names) signed by the CA; returns (pem, key)."""
    pem, key, csr = (os.path.join(folder, f) for f in ("server.pem", "server.key", "server.csr"))
    ext = os.path.join(folder, "server.ext")
    sans = ",".join(("IP:" if n.replace(".", "").isdigit() else "DNS:") + n for n in names)
    with open(ext, "w") as f:
        f.write(f"subjectAltName={sans}\nextendedKeyUsage=serverAuth\n"
                "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n")
    _openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", key, "-out", csr, "-subj", f"/CN={names[0]}"], folder)
    _openssl(["x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
              "-out", pem, "-days", "3", "-extfile", ext], folder)
    return pem, key


class TlsFront:
    """Context manager: nginx terminating TLS on 127.0.0.1:<free port> in front of 127.0.0.1:upstream.

    http2: offer h2 by ALPN (else HTTP/1.1 only). plain: no TLS at all (an HTTP/1.1 proxy, for
    comparisons through the same front). Attributes once entered: port, url, ca_file (the CA that
    signed the server certificate), other_ca_file (a CA that did not), access_log, dir.
    keepalive_requests: requests per client connection before nginx closes it (HTTP/2: GOAWAY).
    """

    def __init__(self, upstream_port, http2=True, plain=False, keepalive_requests=100000,
                 max_streams=128, port=0):
        self.upstream_port = upstream_port
        self.http2 = http2 and not plain
        self.plain = plain
        self.keepalive_requests = keepalive_requests
        self.max_streams = max_streams
        self.port = port
        self.proc = None
        self.dir = None

    def __enter__(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.access(nginx, os.X_OK):
            ctdltest.skip("nginx is not installed (Debian nginx-light; scripts/install-deps.sh test)")
        if not shutil.which("openssl"):
            ctdltest.skip("the openssl command is not installed")
        self.dir = tempfile.mkdtemp(prefix="ctdl-tls-front-")
        self.ca_file, ca_key = make_ca(self.dir)
        self.other_ca_file, _ = make_ca(self.dir, "ctdl other CA")
        cert, key = make_server_cert(self.dir, self.ca_file, ca_key)
        self.access_log = os.path.join(self.dir, "access.log")
        self.error_log = os.path.join(self.dir, "error.log")
        for _ in range(5):  # a free port can be taken meanwhile: try another
            port = self.port or ctdltest.free_port()
            conf_path = os.path.join(self.dir, "nginx.conf")
            with open(conf_path, "w") as f:
                f.write(self._config(port, cert, key))
            self.proc = subprocess.Popen([nginx, "-p", self.dir, "-c", conf_path, "-e", self.error_log],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_ready(port):
                self.port = port
                break
            self._stop_proc()
            if self.port:
                break
        if self.proc is None:
            err = open(self.error_log).read() if os.path.exists(self.error_log) else ""
            self._cleanup()
            ctdltest.fail(f"nginx did not start: {err}")
        scheme = "http" if self.plain else "https"
        self.url = f"{scheme}://127.0.0.1:{self.port}/"
        self.static_url = self.url + "static/"
        return self

    def _config(self, port, cert, key):
        d = self.dir
        listen = f"listen 127.0.0.1:{port}" + ("" if self.plain else " ssl") + \
            (" http2" if self.http2 else "") + ";"
        tls = "" if self.plain else f"""
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:ctdl:1m;"""
        return f"""# generated by tests/lib/tls_front.py
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  log_format ctdl '$connection $connection_requests $server_protocol $status $body_bytes_sent $request_uri';
  access_log {d}/access.log ctdl;
  client_body_temp_path {d}/client_body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  upstream testlog {{
    server 127.0.0.1:{self.upstream_port};
    keepalive 512;
  }}
  server {{
    {listen}{tls}
    keepalive_requests {self.keepalive_requests};
    keepalive_timeout 75s;
    http2_max_concurrent_streams {self.max_streams};
    location / {{
      proxy_pass http://testlog;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_read_timeout 300s;
    }}
  }}
}}
"""

    def _wait_ready(self, port, timeout=20):
        import socket
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def _lines(self):
        if not os.path.exists(self.access_log):
            return []
        with open(self.access_log) as f:
            return [l.split() for l in f if l.strip()]

    def connections(self):
        """Distinct client connections that made at least one request."""
        return len({l[0] for l in self._lines()})

    def requests(self, path_prefix=""):
        """Requests logged (optionally only those whose URI starts with path_prefix)."""
        return sum(1 for l in self._lines() if len(l) >= 6 and l[5].startswith(path_prefix))

    def protocols(self):
        """{protocol: requests}, e.g. {"HTTP/2.0": 600}."""
        out = {}
        for l in self._lines():
            out[l[2]] = out.get(l[2], 0) + 1
        return out

    def reset_log(self):
        """Starts counting afresh (truncates the access log; nginx keeps appending to it)."""
        open(self.access_log, "w").close()

    def log_list(self, test_log, path):
        """Writes a copy of test_log's log list with its URLs pointing at this front; returns path."""
        with open(test_log.log_list) as f:
            text = f.read()
        text = text.replace(f"http://127.0.0.1:{test_log.port}/", self.url)
        with open(path, "w") as f:
            f.write(text)
        json.loads(text)
        return path

    def _stop_proc(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish and close connections
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def _cleanup(self):
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __exit__(self, *exc):
        self._stop_proc()
        self._cleanup()
        return False
