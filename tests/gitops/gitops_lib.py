"""gitops_lib.py - shared helpers of the gitops suite's python checks: the
command line every check takes (paths of the built binaries), a scratch
directory, armsim started on a free port with its environment, admin API
calls, and running cmkctl the way a pipeline does."""
import argparse
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmkctl", required=True)
    ap.add_argument("--armsim", default="")
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    return ap.parse_args()


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Scratch:
    def __init__(self, keep=False):
        self.dir = tempfile.mkdtemp(prefix="cmkctl-gitops-")
        self.keep = keep

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def close(self, ok):
        if ok and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("scratch kept: %s" % self.dir, file=sys.stderr)


class Armsim:
    """armsim on 127.0.0.1:0 with its own state dir; .env is its ready
    line's environment (cloud, credential, CA)."""

    def __init__(self, binary, workdir, fixture=None, time_scale=None, extra=()):
        if not binary:
            raise Failure("armsim binary not built")
        os.makedirs(workdir, exist_ok=True)
        self.ready_file = os.path.join(workdir, "ready.json")
        args = [binary, "--listen", "127.0.0.1:0", "--state-dir", workdir,
                "--ready-file", self.ready_file, "--threads", "2"]
        if fixture:
            args += ["--fixture", fixture]
        if time_scale:
            # cmkctl divides Retry-After by CMKCTL_TIME_SCALE itself
            args += ["--time-scale", str(time_scale), "--retry-after-real"]
        args += list(extra)
        self.log = open(os.path.join(workdir, "armsim.log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not os.path.exists(self.ready_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise Failure("armsim did not start (log %s)" % self.log.name)
            time.sleep(0.05)
        with open(self.ready_file) as f:
            self.ready = json.load(f)
        self.base = self.ready["base_url"]
        self.env = dict(self.ready["env"])
        self.ctx = ssl.create_default_context(cafile=self.ready["ca_file"])

    def admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
            text = r.read().decode()
            return json.loads(text) if text.strip() else None

    def requests(self, since=0):
        return self.admin("GET", "/_sim/requests?since=%d" % since)

    def last_seq(self):
        return self.requests(0)["lastSeq"]

    def writes_since(self, since):
        out = []
        for r in self.requests(since)["requests"]:
            if r["method"] in ("GET", "HEAD"):
                continue
            if r["method"] == "POST" and r.get("resourceType") == "AzureAD":
                continue
            out.append(r)
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def base_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "AZURE_", "CMKCTL_", "TF_BUILD", "SYSTEM_"))}
    env.pop("NO_COLOR", None)
    if extra:
        env.update(extra)
    return env


def run(argv, env, cwd=None, timeout=120, stdin=subprocess.DEVNULL):
    """Run to the end: (exit code, stdout, stderr)."""
    p = subprocess.run(argv, env=env, cwd=cwd, stdin=stdin, capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def main(body):
    """Run body(args, scratch); print the failure and exit 1 on Failure."""
    args = parse_args()
    scratch = Scratch(args.keep or bool(os.environ.get("GITOPS_KEEP")))
    ok = False
    try:
        body(args, scratch)
        ok = True
    except Failure as e:
        print("FAIL: %s" % e, file=sys.stderr)
    finally:
        scratch.close(ok)
    sys.exit(0 if ok else 1)


EXAMPLES_FIXTURE = "tests/integration/fixtures/examples.json"
EXAMPLES = "manifests/examples"
# armsim's clock runs this much faster than real time in these checks (a
# two-hour cluster creation takes under a second); cmkctl scales its waits
# alike through CMKCTL_TIME_SCALE
SCALE = 10000


def start_examples_sim(args, s, scale=SCALE, name="sim"):
    sim = Armsim(args.armsim, s.path(name), fixture=os.path.join(args.source_dir, EXAMPLES_FIXTURE),
                 time_scale=scale)
    env = base_env(sim.env)
    env["CMKCTL_TIME_SCALE"] = str(scale)
    env["CMKCTL_PROGRESS_INTERVAL"] = "0.05"
    return sim, env


class Background:
    """A cmkctl process in the background, output to files."""

    def __init__(self, argv, env, outdir, name):
        self.out_path = os.path.join(outdir, name + ".out")
        self.err_path = os.path.join(outdir, name + ".err")
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err)

    def wait(self, timeout=120):
        try:
            rc = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.out.close()
            self.err.close()
        return rc

    def stdout(self):
        with open(self.out_path) as f:
            return f.read()

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def wait_for(what, pred, timeout=60, proc=None):
    """Poll pred() until it returns a true value; fail after `timeout` s or
    when `proc` (a Background) ended meanwhile."""
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if proc is not None and proc.proc.poll() is not None:
            raise Failure("%s: the process ended (exit %s) first:\n%s" % (what, proc.proc.returncode,
                                                                           proc.stderr()[-3000:]))
        if time.time() > deadline:
            raise Failure("timed out waiting for %s" % what)
        time.sleep(0.03)


def metric(text, name, labels=None):
    """The value of one sample in Prometheus text, or None."""
    want = name + ("{" + labels + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        parts = line.rsplit(" ", 1)
        if len(parts) == 2 and parts[0] == want:
            return float(parts[1])
    return None


def hazards(sim):
    h = sim.admin("GET", "/_sim/hazards")
    return h["total"], h
