"""check_chaos.py - seeded chaos runs of a full apply against armsim.

Each seed starts armsim (--seed N) with the estate of chaos_lib.py and fault
rules that fail about 10% of all requests (500, 503 with Retry-After, 429
with Retry-After, connection reset, and slow answers, in about equal parts) and
end about 5% of the async operations Failed (InternalServerError at their
due time). Then `cmkctl apply` runs until it exits 0, at most MAX_APPLIES
times.

Converged means (README 'Reliability'):
  * the first apply exits 0, or, when armsim failed one of its async
    operations (the step fails, its dependents are skipped, the run exits 1),
    a second apply exits 0: it plans from the live state and redoes only what
    is missing. Operations fail once: the second apply runs with the request
    faults but no async failures. The first apply itself sends a failed
    cluster or Kusto PATCH again once (check_resend.py), never a link: a
    workspace link or unlink counts against the budget of two per 30 days
    whether it succeeds or not, so its retry is the next apply's;
  * with the faults lifted, `cmkctl drift` exits 0 and `cmkctl plan` has
    nothing to do (exit 0);
  * armsim's hazard audit is empty: no duplicate create, no link flip-flop or
    link budget overrun, no workspace linked before its cluster was ready,
    no cluster write refused because an operation was running;
  * no 400/409 answer the tool caused (faults are 5xx/429 or resets);
  * each workspace was linked (a link PUT that reached the service) at most
    once, plus once more for each of its link operations armsim failed;
  * no duplicate link or unlink write: a link or unlink write that reached
    the service was never sent again while the first could still be running
    or had succeeded (`dup`, must be 0).

With --profile real (the default; `none` turns it off) armsim also runs its
realism profile (tests/armsim/README.md "Realism profile"): reads that lag
writes, an unlink answered 200 Deleting, a linked service answering 404 for
a while after its PUT, principals unknown for a while after they are made,
status URLs answering 5xx now and then.

usage: check_chaos.py --cmkctl B --armsim B --source-dir D [--seeds 1-10]
       [--jobs N] [--keep] [--profile real|none]
Prints one line per seed and the tally (ci/chaos.sh runs 100); exit 0 when
every seed converged with a clean audit.
"""
import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos_lib as c  # noqa: E402

g = c.g
MAX_APPLIES = 2
# armsim's virtual clock runs this much faster than real time; cmkctl scales
# its waits alike (a 2-hour cluster creation takes 3.6 s). Slow answers are
# delayed in real time: SLOW_MS at SCALE must stay far below the slack of
# cmkctl's virtual deadlines (a link is given 90 min for its 30: at 8000, a
# few slow list reads on a loaded machine used up the hour and the link
# "did not finish within 5400 s")
SCALE = 2000
SLOW_MS = 200
REQUEST_FAULT_RATE = 0.10
ASYNC_FAULT_RATE = 0.05


def fault_rules(async_fail):
    kinds = ["500", "503", "429", "reset", "slow"]
    # rules are tried in order, first hit wins: each rate r with
    # 1 - (1 - r)^5 = 10% overall
    r = 1 - (1 - REQUEST_FAULT_RATE) ** (1.0 / len(kinds))
    rules = []
    for k in kinds:
        rule = {"method": "*", "resourceType": "*", "fault": k, "rate": round(r, 5)}
        if k in ("503", "429"):
            rule["retryAfter"] = 1
        if k == "slow":
            rule["delayMs"] = SLOW_MS
        rules.append(rule)
    if async_fail:
        rules.append({"method": "*", "resourceType": "*", "fault": "async_fail", "rate": ASYNC_FAULT_RATE})
    return rules


def run_seed(args, workdir, seed, fixture, manifest):
    res = {"seed": seed, "converged": False, "applies": 0, "requests": 0, "faults": 0,
           "async_failed": 0, "hazards": 0, "busy": 0, "relinks": 0, "dup": 0, "problems": []}
    sim = g.Armsim(args.armsim, os.path.join(workdir, "sim"), fixture=fixture, time_scale=SCALE,
                   extra=["--seed", str(seed), "--profile", args.profile])
    try:
        env = g.base_env(sim.env)
        env["CMKCTL_TIME_SCALE"] = str(SCALE)
        env["CMKCTL_PROGRESS_INTERVAL"] = "0.2"
        state = os.path.join(workdir, "state")
        sim.admin("PUT", "/_sim/faults", fault_rules(async_fail=True))
        rc = None
        fired = []
        for i in range(MAX_APPLIES):
            res["applies"] += 1
            if i == 1:
                # an operation fails once: the re-run's operations do not
                # (the request faults go on)
                fired = sim.admin("GET", "/_sim/faults")
                sim.admin("PUT", "/_sim/faults", fault_rules(async_fail=False))
            rc, out, err = g.run([args.cmkctl, "apply", "-f", manifest, "--auto-approve", "-o", "json",
                                  "--state-dir", state], env, timeout=300)
            with open(os.path.join(workdir, "apply%d.out" % i), "w") as f:
                f.write(out)
            with open(os.path.join(workdir, "apply%d.err" % i), "w") as f:
                f.write(err)
            if rc == 0:
                break
        fired = fired + sim.admin("GET", "/_sim/faults")
        res["faults"] = sum(r.get("fired", 0) for r in fired if r.get("fault") != "async_fail")
        res["async_failed"] = sum(r.get("fired", 0) for r in fired if r.get("fault") == "async_fail")
        sim.admin("DELETE", "/_sim/faults")
        if rc != 0:
            res["problems"].append("apply exited %s after %d runs (see %s)" % (rc, MAX_APPLIES, workdir))
        else:
            drc, dout, derr = g.run([args.cmkctl, "drift", "-f", manifest, "-o", "json"], env)
            if drc != 0:
                res["problems"].append("drift after apply exited %d: %s %s" % (drc, dout[-800:], derr[-400:]))
            prc, pout, perr = g.run([args.cmkctl, "plan", "-f", manifest], env)
            if prc != 0:
                res["problems"].append("plan after apply exited %d: %s" % (prc, (pout + perr)[-800:]))
        log = sim.requests(0)["requests"]
        res["requests"] = len(log)
        hz = sim.admin("GET", "/_sim/hazards")
        res["hazards"] = hz["total"]
        if hz["total"]:
            res["problems"].append("hazards: %s" % json.dumps(hz["hazards"])[:1500])
        busy = c.busy_errors(log)
        res["busy"] = len(busy)
        if busy:
            res["problems"].append("400/409 answers: %s" % "; ".join(
                "%s %s %s" % (r["status"], r["method"], r["path"][:160]) for r in busy[:5]))
        res["failed_ops"] = c.failed_kinds(sim)
        allowed = c.failed_link_ops(sim)
        for ws, n in c.link_puts(log).items():
            if n > 1:
                res["relinks"] += n - 1
            if n > 1 + allowed.get(ws, 0):
                res["problems"].append("%s linked %d times (%d link operations failed)"
                                       % (ws, n, allowed.get(ws, 0)))
        for ws, n in c.duplicate_link_writes(log, allowed).items():
            res["dup"] += n
            res["problems"].append("%s: %d duplicate link/unlink write(s)" % (ws, n))
        res["converged"] = rc == 0 and not any(p.startswith(("drift", "plan")) for p in res["problems"])
    finally:
        if sim.stop() not in (0, None):
            res["problems"].append("armsim exited uncleanly (log %s)" % sim.log.name)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmkctl", required=True)
    ap.add_argument("--armsim", default="")
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--seeds", default="1-10")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--profile", default="real", choices=["real", "none"])
    args = ap.parse_args()
    scratch = g.Scratch(args.keep or bool(os.environ.get("GITOPS_KEEP")))
    fixture = c.write_fixture(args.source_dir, scratch.path("fixture.json"))
    manifest = c.write_manifest(scratch.path("estate.yaml"))
    seeds = c.parse_seeds(args.seeds)
    t0 = time.time()

    def one(seed):
        wd = scratch.path("seed-%d" % seed)
        os.makedirs(wd)
        try:
            r = run_seed(args, wd, seed, fixture, manifest)
        except Exception as e:  # a crash of the check is a failed seed, not a lost tally
            r = {"seed": seed, "converged": False, "applies": 0, "requests": 0, "faults": 0,
                 "async_failed": 0, "hazards": 0, "busy": 0, "relinks": 0, "dup": 0,
                 "problems": ["check error: %r" % e]}
        line = ("seed %4d  %-13s applies %d  requests %5d  faults %4d  async failed %d  relinks %d  "
                "dup %d  hazards %d  400/409 %d%s" % (r["seed"], "converged" if r["converged"] else "NOT converged",
                                                   r["applies"], r["requests"], r["faults"], r["async_failed"],
                                                   r["relinks"], r["dup"], r["hazards"], r["busy"],
                                           "  (failed: %s)" % r["failed_ops"] if r.get("failed_ops") else ""))
        print(line, flush=True)
        for p in r["problems"]:
            print("    %s" % p, flush=True)
        return r

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        results = list(ex.map(one, seeds))
    bad = [r for r in results if r["problems"] or not r["converged"]]
    tot = lambda k: sum(r[k] for r in results)  # noqa: E731
    print("chaos: %d seeds, %d converged (%d needed a second apply), %d not; requests %d, faults injected %d, "
          "async operations failed %d, duplicate link/unlink writes %d, hazards %d, tool-caused 400/409 %d; %.0f s"
          % (len(results), sum(1 for r in results if r["converged"]),
             sum(1 for r in results if r["converged"] and r["applies"] > 1),
             sum(1 for r in results if not r["converged"]), tot("requests"), tot("faults"),
             tot("async_failed"), tot("dup"), tot("hazards"), tot("busy"), time.time() - t0))
    scratch.close(not bad)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
