"""check_trust.py - TLS is always verified and credentials travel over https.

Against armsim (its own CA), `cmkctl plan` must fail, naming the
certificate, whenever the server cannot be verified:
  * no CA given (the system store does not know armsim's CA);
  * CURL_CA_BUNDLE (or SSL_CERT_FILE) naming another CA; SSL_CERT_FILE wins
    over CURL_CA_BUNDLE (no fallback to a bundle that would trust);
  * untrusted, with every "turn verification off" variable one might try
    (CURL_INSECURE, CMKCTL_INSECURE, CMKCTL_TLS_VERIFY=0, GIT_SSL_NO_VERIFY,
    NODE_TLS_REJECT_UNAUTHORIZED=0, PYTHONHTTPSVERIFY=0, ...);
  * the right CA but a host name the certificate does not cover (armsim on
    127.0.0.2);
  * the git source over https with a self-signed certificate, even with
    GIT_SSL_NO_VERIFY=1 (tests/gitsrc covers the CA option, CMKCTL_GIT_CA_FILE).
Plain http: credentials and tokens go to loopback addresses only, compared
whole (http://localhost.example.invalid/, http://127.example.invalid/,
http://localhost@example.invalid/ are refused before any connection).
The control run with the right CA succeeds. A polling URL on another host
than the ARM endpoint is refused: tests/hostile (test_hostile.c) and the
provider tests cover it.

PATH is set here: a stand-in `az` (`--az working`: it hands out a token;
`--az failing`: "Please run 'az login'") before the system directories,
without any real Azure CLI. The client-secret credential is configured, so
its TLS failure ends the credential chain with its own error: the stand-in
never runs, whichever it is.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import check_secrets as cs  # noqa: E402  (git server helper)

g = cs.g
DISABLE_TRIES = {"CURL_INSECURE": "1", "CMKCTL_INSECURE": "1", "CMKCTL_TLS_VERIFY": "0",
                 "CMKCTL_SKIP_TLS_VERIFY": "1", "CMKCTL_INSECURE_SKIP_TLS_VERIFY": "true",
                 "GIT_SSL_NO_VERIFY": "1", "NODE_TLS_REJECT_UNAUTHORIZED": "0", "PYTHONHTTPSVERIFY": "0",
                 "AZURE_CLI_DISABLE_CONNECTION_VERIFICATION": "1", "SSL_CERT_DIR": "/nonexistent",
                 "REQUESTS_CA_BUNDLE": "", "CURL_HOME": "/nonexistent"}
TLS_WORDS = ("certificate", "ssl", "tls")


def other_ca(s):
    key, cert = s.path("other-ca.key"), s.path("other-ca.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=not armsim", "-keyout", key, "-out", cert], check=True, capture_output=True)
    return key, cert


def body(args, s):
    _, other = other_ca(s)
    examples = os.path.join(args.source_dir, g.EXAMPLES)
    sim = g.Armsim(args.armsim, s.path("sim"), fixture=os.path.join(args.source_dir, g.EXAMPLES_FIXTURE))
    sim2 = None
    git_proc = None
    results = []
    try:
        env = g.base_env(sim.env)
        ca = env["SSL_CERT_FILE"]
        os.makedirs(s.path("secret-inputs"))
        az_ran = s.path("az-ran.log")
        env["PATH"] = cs.path_with(cs.fake_az(s, {"https://management.azure.com": "az-stand-in-token",
                                                  "https://vault.azure.net": "az-stand-in-token"},
                                              AZ, log=az_ran))

        def plan(name, extra, drop=(), expect_fail=True, words=TLS_WORDS, argv=None):
            e = dict(env)
            for k in drop:
                e.pop(k, None)
            e.update(extra)
            rc, out, err = g.run([args.cmkctl] + (argv or ["plan", "-f", examples]), e, timeout=120)
            if expect_fail:
                g.check(rc == 1, "%s: exit %d, expected a refusal: %s" % (name, rc, err[-600:]))
                g.check(any(w in err.lower() for w in words),
                        "%s: the error does not say why (%s): %s" % (name, "/".join(words), err[-600:]))
            else:
                g.check(rc in (0, 2), "%s: exit %d: %s" % (name, rc, err[-600:]))
            results.append(name)

        plan("control: armsim's CA in SSL_CERT_FILE", {}, expect_fail=False)
        plan("no CA given", {}, drop=("SSL_CERT_FILE", "CURL_CA_BUNDLE"))
        plan("CURL_CA_BUNDLE = another CA", {"CURL_CA_BUNDLE": other}, drop=("SSL_CERT_FILE",))
        plan("SSL_CERT_FILE = another CA", {"SSL_CERT_FILE": other})
        plan("SSL_CERT_FILE = another CA, CURL_CA_BUNDLE = armsim's", {"SSL_CERT_FILE": other,
                                                                        "CURL_CA_BUNDLE": ca})
        plan("no CA + every verification-off variable", DISABLE_TRIES, drop=("SSL_CERT_FILE", "CURL_CA_BUNDLE"))
        plan("another CA + every verification-off variable", dict(DISABLE_TRIES, SSL_CERT_FILE=other))

        # http: credentials and tokens to loopback only, host compared whole
        cred = {"CMKCTL_CREDENTIAL": "client-secret"}
        for host in ("localhost.example.invalid", "127.example.invalid", "localhost@example.invalid",
                     "example.invalid"):
            plan("authority http://%s/" % host, dict(cred, AZURE_AUTHORITY_HOST="http://%s/" % host),
                 words=("refusing to send credentials",))
        for host in ("127.example.invalid", "localhost.example.invalid"):
            plan("ARM endpoint http://%s/" % host, {"CMKCTL_ARM_ENDPOINT": "http://%s/" % host},
                 words=("refusing to send a bearer token",))

        # the right CA, a name the certificate does not cover
        sim2 = g.Armsim(args.armsim, s.path("sim2"), fixture=os.path.join(args.source_dir, g.EXAMPLES_FIXTURE),
                        extra=["--listen", "127.0.0.2:0"])
        url = "https://127.0.0.2:%d/" % sim2.ready["port"]
        plan("host name not in the certificate", {"SSL_CERT_FILE": sim2.env["SSL_CERT_FILE"],
                                                  "CMKCTL_CREDENTIAL": "client-secret",
                                                  "CMKCTL_ARM_ENDPOINT": url, "AZURE_AUTHORITY_HOST": url,
                                                  "AZURE_CLIENT_SECRET": sim2.env["AZURE_CLIENT_SECRET"]},
             drop=("IDENTITY_ENDPOINT", "IDENTITY_HEADER"))

        # git over https with a self-signed certificate
        key, cert = s.path("git.key"), s.path("git.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        token = "tok-trust-check"
        git_proc, http_url = cs.git_repo(s, args.source_dir, token, tls=(cert, key))
        git_url = http_url.replace("http://127.0.0.1", "https://localhost")
        for name, extra in (("git https, self-signed", {}),
                            ("git https, self-signed, GIT_SSL_NO_VERIFY=1", {"GIT_SSL_NO_VERIFY": "1",
                                                                            "GIT_SSL_CAINFO": cert})):
            plan(name, dict(extra, CMKCTL_GIT_TOKEN=token), words=("not trusted", "certificate"),
                 argv=["validate", "--git-url", git_url, "--git-cache", s.path("git-cache"),
                       "--git-timeout", "20"])
        plan("git https, CMKCTL_GIT_CA_FILE (control)", {"CMKCTL_GIT_TOKEN": token, "CMKCTL_GIT_CA_FILE": cert},
             expect_fail=False, argv=["validate", "--git-url", git_url, "--git-cache", s.path("git-cache")])
        g.check(not os.path.exists(az_ran), "the credential chain fell through to az: %s"
                % (open(az_ran).read() if os.path.exists(az_ran) else ""))
        print("trust (az %s): %d cases: %s" % (AZ, len(results), "; ".join(results)))
    finally:
        if git_proc:
            git_proc.terminate()
            git_proc.wait()
        if sim2:
            sim2.stop()
        sim.stop()


AZ = "working"

if __name__ == "__main__":
    AZ = cs.take_az_variant()
    g.main(body)
