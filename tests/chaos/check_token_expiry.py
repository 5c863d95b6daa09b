"""check_token_expiry.py - access tokens that expire many times during one
apply: armsim issues tokens living TOKEN_LIFETIME seconds (real time) and
runs its clock at SCALE so the apply of the chaos estate (2 h cluster
creation, 35 min key update, 30 min links) takes >= 10 lifetimes of real
time. cmkctl must refresh ahead of expiry (auth.h: when less than
min(5 min, 10% of the lifetime) is left, at least 1 s) and, when a token
expires in flight, take the 401, refresh once and send again.

Passes when the apply exits 0, its output (report and stderr) shows no 401
or authentication error, it lasted >= 10 lifetimes, it fetched at least
that many tokens (refreshes happened), and a plan afterwards has nothing to
do. The number of 401s armsim answered (expired in flight, retried) is
printed.
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos_lib as c  # noqa: E402

g = c.g
TOKEN_LIFETIME = 3
SCALE = 300          # 2 h of cluster creation = 24 s
LIFETIMES = 10


def body(args, s):
    fixture = c.write_fixture(args.source_dir, s.path("fixture.json"))
    manifest = c.write_manifest(s.path("estate.yaml"))
    sim = g.Armsim(args.armsim, s.path("sim"), fixture=fixture, time_scale=SCALE,
                   extra=["--token-lifetime", str(TOKEN_LIFETIME)])
    try:
        env = g.base_env(sim.env)
        env["CMKCTL_TIME_SCALE"] = str(SCALE)
        env["CMKCTL_PROGRESS_INTERVAL"] = "5"
        t0 = time.time()
        rc, out, err = g.run([args.cmkctl, "apply", "-f", manifest, "--auto-approve", "-o", "json",
                              "--state-dir", s.path("state")], env, timeout=180)
        took = time.time() - t0
        g.check(rc == 0, "apply exited %d: %s" % (rc, err[-1500:]))
        for bad in ("401", "Unauthorized", "AuthenticationFailed", "ExpiredAuthenticationToken",
                    "InvalidAuthenticationToken"):
            g.check(bad not in out and bad not in err, "apply output mentions %s: %s" % (bad, (out + err)[-1500:]))
        g.check(took >= LIFETIMES * TOKEN_LIFETIME,
                "the apply took %.1f s, not %d token lifetimes" % (took, LIFETIMES))
        log = sim.requests(0)["requests"]
        tokens = [r for r in log if r["method"] == "POST" and r.get("resourceType") == "AzureAD"
                  and r["status"] == 200]
        g.check(len(tokens) >= LIFETIMES, "only %d tokens fetched over %.1f s" % (len(tokens), took))
        n401 = sum(1 for r in log if r["status"] == 401)
        g.check(not c.busy_errors(log), "400/409 answers: %s" % c.busy_errors(log)[:3])
        hz = sim.admin("GET", "/_sim/hazards")
        g.check(hz["total"] == 0, "hazards: %s" % hz)
        prc, pout, perr = g.run([args.cmkctl, "plan", "-f", manifest], env)
        g.check(prc == 0, "plan after the apply exited %d: %s" % (prc, (pout + perr)[-800:]))
        print("token expiry: apply converged in %.1f s = %.1f token lifetimes; %d tokens fetched, "
              "%d requests answered 401 (expired in flight, refreshed and sent again), none surfaced"
              % (took, took / TOKEN_LIFETIME, len(tokens), n401))
    finally:
        sim.stop()


if __name__ == "__main__":
    g.main(body)
