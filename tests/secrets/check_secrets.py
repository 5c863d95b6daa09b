"""check_secrets.py - no secret ever reaches an output, a file cmkctl writes,
or the argv of a process it spawns; and every file and directory it writes
is private (0600 / 0700).

Known secret values: the service principal's client secret (the fixture's,
replaced by a fresh random one), a federated token (an assertion in
AZURE_FEDERATED_TOKEN_FILE), armsim's IDENTITY_HEADER, a git token
(CMKCTL_GIT_TOKEN, a smart-HTTP server requiring it: tests/gitsrc/
http_backend.py), the access token handed to cmkctl by a stand-in `az`
(Azure CLI credential), and every access token armsim issues (JWTs: any
"eyJ...eyJ..." string is a hit, which also covers the federated token).

Every command runs (validate, plan --out, apply, apply of the saved plan,
drift, graph, reconcile --once with --status-file and --metrics-file, and
plan/apply/reconcile from the git source) at every log level (--quiet,
default, --verbose) and log format (text, json), the reports in every output
format (text, json, markdown), with the client-secret credential; plan and
apply also with workload identity and the Azure CLI credential. An apply
interrupted (SIGTERM) mid-wait leaves its journal, which is checked too.
Then ALL of stdout, stderr, plan files, status and metrics files, journals,
locks and the git cache are searched for the secrets: zero hits. The stand-in
`az` records its argv: nothing secret in it.
"""
import base64
import glob
import json
import os
import re
import secrets as pysecrets
import shutil
import signal
import stat
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "gitops"))
import gitops_lib as g  # noqa: E402

SCALE = 10000
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}")
FED_ISSUER = "https://token.actions.githubusercontent.com"
FED_SUBJECT = "repo:contoso/observability:ref:refs/heads/main"


def b64url(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def federated_assertion():
    now = int(time.time())
    head = b64url({"alg": "RS256", "typ": "JWT", "kid": "secrets-check"})
    body = b64url({"iss": FED_ISSUER, "sub": FED_SUBJECT, "aud": "api://AzureADTokenExchange",
                   "iat": now, "nbf": now, "exp": now + 3600, "jti": pysecrets.token_hex(8)})
    return "%s.%s.%s" % (head, body, base64.urlsafe_b64encode(os.urandom(64)).rstrip(b"=").decode())


def fixture_with_secrets(source_dir, path, client_secret):
    with open(os.path.join(source_dir, g.EXAMPLES_FIXTURE)) as f:
        fx = json.load(f)
    p = fx["principals"][0]
    p["secret"] = client_secret
    p["federatedCredentials"] = [{"issuer": FED_ISSUER, "subject": FED_SUBJECT,
                                  "audiences": ["api://AzureADTokenExchange"]}]
    with open(path, "w") as f:
        json.dump(fx, f)


def git_repo(s, source_dir, token, tls=None):
    """A bare repo with the examples, served over smart HTTP behind the token
    (HTTPS with tls=(cert, key))."""
    root = s.path("git-server")
    work = s.path("git-work")
    shutil.copytree(os.path.join(source_dir, g.EXAMPLES), work)
    genv = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
                GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    for cmd in (["git", "init", "-q", "-b", "main", work], ["git", "-C", work, "add", "."],
                ["git", "-C", work, "commit", "-q", "-m", "examples"],
                ["git", "clone", "-q", "--bare", work, os.path.join(root, "remote.git")]):
        subprocess.run(cmd, check=True, env=genv, capture_output=True)
    portfile = s.path("git-server.port")
    proc = subprocess.Popen([sys.executable, os.path.join(source_dir, "tests", "gitsrc", "http_backend.py"),
                             root, portfile, token] + list(tls or ()), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(portfile) and open(portfile).read().strip():
            break
        time.sleep(0.05)
    port = int(open(portfile).read().strip().splitlines()[0])
    return proc, "http://127.0.0.1:%d/remote.git" % port


def fetch_token(sim, client_id, client_secret, scope):
    data = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                   "client_secret": client_secret, "scope": scope}).encode()
    url = "%s/%s/oauth2/v2.0/token" % (sim.base, sim.ready["tenant_id"])
    with urllib.request.urlopen(urllib.request.Request(url, data=data), context=sim.ctx, timeout=30) as r:
        return json.load(r)["access_token"]


AZ_VARIANTS = ("working", "failing")
NOT_LOGGED_IN = "ERROR: Please run 'az login' to setup account."


def take_az_variant():
    """`--az working|failing` (ctest runs both; default working): which
    stand-in `az` these checks put on PATH. Taken out of argv before the
    common options are parsed."""
    variant = "working"
    if "--az" in sys.argv:
        i = sys.argv.index("--az")
        variant = sys.argv[i + 1] if i + 1 < len(sys.argv) else ""
        del sys.argv[i:i + 2]
    if variant not in AZ_VARIANTS:
        sys.exit("--az must be one of %s" % ", ".join(AZ_VARIANTS))
    return variant


def path_with(bindir):
    """PATH for cmkctl: `bindir` first, then the system directories that hold
    no `az`: whatever Azure CLI the machine has is never what runs."""
    system = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
    return os.pathsep.join([bindir] + [d for d in system if not os.path.exists(os.path.join(d, "az"))])


def fake_az(s, tokens, variant="working", log=None):
    """An `az` that records its argv in `log` and, working, answers like
    get-access-token with tokens[audience] for --resource <audience>;
    failing, says what an Azure CLI without an account says."""
    bindir = s.path("fake-bin")
    os.makedirs(bindir)
    cases = ""
    for aud, token in tokens.items():
        answer = os.path.join(s.path("secret-inputs"), "az-%d.json" % len(cases))
        with open(answer, "w") as f:
            json.dump({"accessToken": token, "expiresOn": "2099-01-01 00:00:00.000000",
                       "expires_on": 4070908800, "tenant": "x", "tokenType": "Bearer"}, f)
        cases += "  *'%s'*) /bin/cat '%s' ;;\n" % (aud, answer)
    if variant == "failing":
        cases = "  *) echo \"%s\" >&2; exit 1 ;;\n" % NOT_LOGGED_IN
    script = os.path.join(bindir, "az")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> '%s'\ncase \"$*\" in\n%s  *) exit 1 ;;\nesac\n"
                % (log or s.path("out", "az-argv.log"), cases))
    os.chmod(script, 0o755)
    return bindir


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def body(args, s):
    os.makedirs(s.path("secret-inputs"))
    os.makedirs(s.path("out"))
    client_secret = "cs-%s" % pysecrets.token_hex(16)
    git_token = "gt-%s" % pysecrets.token_hex(16)
    fixture = s.path("secret-inputs", "fixture.json")
    fixture_with_secrets(args.source_dir, fixture, client_secret)
    fed_file = s.path("secret-inputs", "federated-token")
    fed = federated_assertion()
    with open(fed_file, "w") as f:
        f.write(fed)
    sim = g.Armsim(args.armsim, s.path("sim"), fixture=fixture, time_scale=SCALE)
    git_proc, git_url = git_repo(s, args.source_dir, git_token)
    try:
        g.check(sim.env["AZURE_CLIENT_SECRET"] == client_secret, "the ready line has another secret")
        az_tokens = {aud: fetch_token(sim, sim.env["AZURE_CLIENT_ID"], client_secret, aud + "/.default")
                     for aud in ("https://management.azure.com", "https://vault.azure.net")}
        secret_values = {"client secret": client_secret, "git token": git_token, "federated token": fed,
                         "IDENTITY_HEADER": sim.env["IDENTITY_HEADER"]}
        for aud, t in az_tokens.items():
            secret_values["az token for " + aud] = t
        bindir = fake_az(s, az_tokens, AZ)
        env = g.base_env(sim.env)
        env["CMKCTL_TIME_SCALE"] = str(SCALE)
        env["CMKCTL_PROGRESS_INTERVAL"] = "0.05"
        env["CMKCTL_GIT_TOKEN"] = git_token
        env["XDG_CACHE_HOME"] = s.path("out", "xdg-cache")
        env["XDG_STATE_HOME"] = s.path("out", "xdg-state")
        env["PATH"] = path_with(bindir)
        examples = os.path.join(args.source_dir, g.EXAMPLES)
        state = s.path("out", "state")
        runs = [0]

        def cm(argv, extra_env=None, ok=(0, 2), name=None):
            runs[0] += 1
            e = dict(env)
            e.update(extra_env or {})
            rc, out, err = g.run([args.cmkctl] + argv, e, timeout=120)
            base = s.path("out", "run%03d-%s" % (runs[0], name or argv[0]))
            with open(base + ".out", "w") as f:
                f.write(out)
            with open(base + ".err", "w") as f:
                f.write(err)
            g.check(rc in ok, "cmkctl %s exited %d: %s" % (" ".join(argv), rc, err[-1200:]))
            return rc

        # an apply stopped mid-wait keeps its journal: keep a copy to search
        # (cmkctl told a slower clock than armsim's polls less often, so the
        # journal is there long enough to be seen)
        bg = g.Background([args.cmkctl, "--verbose", "--log-format", "json", "apply", "-f", examples,
                           "--auto-approve", "-o", "json", "--state-dir", state],
                          dict(env, CMKCTL_TIME_SCALE="500"), s.path("out"), "interrupted-apply")
        journal = None
        for _ in range(600):
            js = [p for p in glob.glob(os.path.join(state, "operations-*.json")) if not p.endswith(".lock")]
            if js:
                journal = js[0]
                break
            time.sleep(0.01)
        g.check(journal, "no journal appeared during the apply")
        time.sleep(0.2)
        bg.proc.send_signal(signal.SIGTERM)
        g.check(bg.wait(60) == 130, "the interrupted apply did not exit 130: %s" % bg.stderr()[-800:])
        g.check(os.path.exists(journal), "SIGTERM removed the journal of running operations")
        shutil.copy(journal, s.path("out", "journal-copy.json"))
        journal_mode = mode(journal)

        levels = [["--quiet"], [], ["--verbose"]]
        logfmts = [[], ["--log-format", "json"]]
        outs = ["text", "json", "markdown"]
        i = 0
        for lv in levels:
            for lf in logfmts:
                o = outs[i % 3]
                o2 = outs[(i + 1) % 3]
                gl = lv + lf
                plan_file = s.path("out", "plan-%d.json" % i)
                cm(gl + ["validate", "-f", examples] + (["-o", "json"] if o == "json" else []))
                cm(gl + ["plan", "-f", examples, "-o", o, "--out", plan_file])
                cm(gl + ["apply", "-f", examples, "--auto-approve", "-o", o2, "--state-dir", state])
                cm(gl + ["apply", plan_file, "-f", examples, "--auto-approve", "-o", o, "--state-dir", state],
                   ok=(0, 1), name="apply-saved")  # a saved plan gone stale is refused: still no secret
                cm(gl + ["drift", "-f", examples, "-o", o])
                cm(gl + ["graph", "-f", examples] + (["--format", "dot"] if i % 2 else []))
                cm(gl + ["reconcile", "-f", examples, "--once", "-o", "json" if o == "json" else "text",
                         "--state-dir", state, "--status-file", s.path("out", "status-%d.json" % i),
                         "--metrics-file", s.path("out", "metrics-%d.prom" % i)])
                cm(gl + ["plan", "--git-url", git_url, "--git-cache", s.path("out", "git-cache"), "-o", o],
                   name="plan-git")
                cm(gl + ["reconcile", "--git-url", git_url, "--once", "--state-dir", state,
                         "--status-file", s.path("out", "status-git-%d.json" % i),
                         "--metrics-file", s.path("out", "metrics-git-%d.prom" % i)], name="reconcile-git")
                i += 1
        # the default git cache ($XDG_CACHE_HOME/cmkctl/git) too
        cm(["--verbose", "apply", "--git-url", git_url, "--auto-approve", "--state-dir", state], name="apply-git")
        # other credentials
        wi = {"CMKCTL_CREDENTIAL": "workload-identity", "AZURE_FEDERATED_TOKEN_FILE": fed_file,
              "AZURE_CLIENT_SECRET": ""}
        cli = {"CMKCTL_CREDENTIAL": "azure-cli", "AZURE_CLIENT_SECRET": ""}
        for cred, extra in (("wi", wi), ("cli", cli)):
            # an Azure CLI without an account fails the runs that choose it
            ok = (1,) if cred == "cli" and AZ == "failing" else (0, 2)
            for gl in (["--verbose"], ["--verbose", "--log-format", "json"]):
                cm(gl + ["plan", "-f", examples, "-o", "json"], extra, ok=ok, name="plan-" + cred)
                cm(gl + ["apply", "-f", examples, "--auto-approve", "-o", "markdown", "--state-dir", state],
                   extra, ok=ok, name="apply-" + cred)
        g.check(os.path.exists(s.path("out", "az-argv.log")), "the Azure CLI credential never ran az")

        # the search: every byte of everything cmkctl wrote or printed (and,
        # to prove the search finds what it looks for, the inputs)
        def search(top):
            found, n = [], 0
            for root, dirs, names in os.walk(top):
                for name in names:
                    p = os.path.join(root, name)
                    if os.path.islink(p):
                        continue
                    with open(p, "rb") as f:
                        data = f.read()
                    n += 1
                    for what, v in secret_values.items():
                        if v.encode() in data:
                            found.append("%s in %s" % (what, p))
                    m = JWT.search(data)
                    if m:
                        found.append("a JWT (%s...) in %s" % (m.group(0)[:24].decode(), p))
            return found, n

        seen, _ = search(s.path("secret-inputs"))
        for what in ("client secret", "federated token", "az token for https://vault.azure.net", "a JWT"):
            g.check(any(h.startswith(what) for h in seen), "the search does not find the %s: %s" % (what, seen))
        hits, files = search(s.path("out"))
        g.check(not hits, "secrets found:\n  " + "\n  ".join(hits[:30]))
        with open(s.path("out", "az-argv.log")) as f:
            argv_lines = f.read().splitlines()
        g.check(argv_lines and all(re.fullmatch(r"account get-access-token --resource \S+ --output json", a)
                                   for a in argv_lines), "az argv: %s" % argv_lines)

        # permissions of what cmkctl wrote
        bad = []
        if journal_mode != 0o600:
            bad.append("journal %s: %o" % (journal, journal_mode))
        for p in glob.glob(s.path("out", "plan-*.json")) + glob.glob(s.path("out", "status-*.json")) + \
                glob.glob(s.path("out", "metrics-*.prom")) + glob.glob(os.path.join(state, "*")):
            if mode(p) & 0o077:
                bad.append("%s: %o" % (p, mode(p)))
        for d in (state, s.path("out", "git-cache"), s.path("out", "xdg-cache", "cmkctl")):
            g.check(os.path.isdir(d), "%s was not created" % d)
            for root, dirs, names in os.walk(d):
                if mode(root) & 0o077:
                    bad.append("dir %s: %o" % (root, mode(root)))
                for n in names:
                    p = os.path.join(root, n)
                    if not os.path.islink(p) and mode(p) & 0o077:
                        bad.append("%s: %o" % (p, mode(p)))
        g.check(not bad, "files readable by others:\n  " + "\n  ".join(bad[:30]))
        if AZ == "failing":
            failed = glob.glob(s.path("out", "run*-plan-cli.err")) + glob.glob(s.path("out", "run*-apply-cli.err"))
            g.check(len(failed) == 4 and all("az login" in open(p).read() for p in failed),
                    "the runs with the failing az do not say why: %s" % failed)
        print("secrets (az %s): %d cmkctl runs (+1 interrupted), %d files searched for %d known secrets and any "
              "JWT: 0 hits; az argv clean (%d calls); plans, status, metrics, journal, lock, git cache private"
              % (AZ, runs[0], files, len(secret_values), len(argv_lines)))
    finally:
        git_proc.terminate()
        git_proc.wait()
        sim.stop()


AZ = "working"

if __name__ == "__main__":
    AZ = take_az_variant()
    g.main(body)
