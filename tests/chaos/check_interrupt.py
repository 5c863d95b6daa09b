"""check_interrupt.py - kill -9 cmkctl at seeded points of an apply, run
apply again, and check that it converges without writing twice.

The estate is chaos_lib.py's (cluster with a user-assigned identity, key
grant, key update, 50 workspace links, linked storage, a Kusto key). armsim
runs at SCALE x real time so the cluster creation (2 h) takes a few seconds
and every wait can be hit. A point is one of:
  cluster.create / cluster.keyUpdate / workspace.link / kusto: cmkctl is
      killed while that async operation runs in armsim (mid-wait), after a
      seeded delay;
  request N: killed as armsim logs its N-th request (anywhere: reading
      live state, between a write and its journal record, mid-batch of link
      PUTs, ...).
Points 1-4 are the four operations; from 5 on the seed picks (random.Random).

After the kill, `cmkctl apply` runs again (no faults); the point passes when:
  * that apply exits 0 and a `plan` afterwards has nothing to do (exit 0);
  * armsim's log has no 400/409 at all (a busy cluster, a link in progress:
    nothing the tool should have caused), and its hazard audit is empty;
  * every workspace was linked once (one link PUT reached the service per
    workspace) and the cluster was created by one PUT.

usage: check_interrupt.py --cmkctl B --armsim B --source-dir D [--points 1-4]
       [--jobs N] [--keep]    (prints one line per point and a tally)
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos_lib as c  # noqa: E402

g = c.g
SCALE = 2000
OP_POINTS = ["cluster.create", "cluster.keyUpdate", "workspace.link", "kusto"]
# requests of an uninterrupted apply of the estate: ~430
MAX_REQUEST_POINT = 400


def point_of(n):
    if n <= len(OP_POINTS):
        rnd = random.Random(n)
        return ("op", OP_POINTS[n - 1], rnd.uniform(0.0, 0.6))
    rnd = random.Random(n)
    if rnd.random() < 0.4:
        return ("op", rnd.choice(OP_POINTS), rnd.uniform(0.0, 0.8))
    return ("request", rnd.randint(10, MAX_REQUEST_POINT), 0.0)


def describe(p):
    return "mid-wait on %s (+%.2fs)" % (p[1], p[2]) if p[0] == "op" else "at request %d" % p[1]


def op_running(sim, kind):
    for op in c.operations(sim):
        k = op.get("kind", "")
        if (k == kind or (kind == "kusto" and "kusto" in k.lower()) or
                (kind == "kusto" and "Kusto" in (op.get("resourceId") or ""))) and \
                op.get("status") not in ("Succeeded", "Failed", "Canceled"):
            return True
    return False


def run_point(args, workdir, n, fixture, manifest):
    p = point_of(n)
    res = {"point": n, "what": describe(p), "killed": False, "converged": False, "problems": [],
           "requests": 0}
    sim = g.Armsim(args.armsim, os.path.join(workdir, "sim"), fixture=fixture, time_scale=SCALE)
    try:
        env = g.base_env(sim.env)
        env["CMKCTL_TIME_SCALE"] = str(SCALE)
        env["CMKCTL_PROGRESS_INTERVAL"] = "0.5"
        state = os.path.join(workdir, "state")
        argv = [args.cmkctl, "apply", "-f", manifest, "--auto-approve", "-o", "json", "--state-dir", state]
        bg = g.Background(argv, env, workdir, "first")
        deadline = time.time() + 120
        while bg.proc.poll() is None and time.time() < deadline:
            if p[0] == "op":
                hit = op_running(sim, p[1])
            else:
                hit = sim.last_seq() >= p[1]
            if hit:
                if p[2]:
                    time.sleep(p[2])
                if bg.proc.poll() is None:
                    bg.proc.send_signal(signal.SIGKILL)
                    res["killed"] = True
                    last = sim.requests(0)["requests"][-1]
                    res["what"] += " (last: %s %s)" % (last["method"], (last.get("resourceType") or "").split("/")[-1])
                break
            time.sleep(0.01)
        rc1 = bg.wait(60)
        if not res["killed"]:
            res["problems"].append("the first apply ended (%s) before the point was reached" % rc1)
        elif rc1 != -signal.SIGKILL:
            res["problems"].append("the first apply exited %s, not killed" % rc1)
        rc, out, err = g.run(argv, env, timeout=180)
        with open(os.path.join(workdir, "second.out"), "w") as f:
            f.write(out)
        with open(os.path.join(workdir, "second.err"), "w") as f:
            f.write(err)
        if rc != 0:
            res["problems"].append("apply after the kill exited %d (see %s): %s" % (rc, workdir, err[-600:]))
        else:
            prc, pout, perr = g.run([args.cmkctl, "plan", "-f", manifest], env)
            if prc != 0:
                res["problems"].append("plan after the second apply exited %d: %s" % (prc, (pout + perr)[-600:]))
            res["converged"] = prc == 0
        log = sim.requests(0)["requests"]
        res["requests"] = len(log)
        busy = c.busy_errors(log)
        if busy:
            res["problems"].append("400/409 answers: %s" % "; ".join(
                "%s %s %s" % (r["status"], r["method"], r["path"][:160]) for r in busy[:5]))
        hz = sim.admin("GET", "/_sim/hazards")
        if hz["total"]:
            res["problems"].append("hazards: %s" % str(hz["hazards"])[:1500])
        links = c.link_puts(log)
        twice = {ws: k for ws, k in links.items() if k > 1}
        if twice:
            res["problems"].append("workspaces linked more than once: %s" % twice)
        if len(links) != c.N_WORKSPACES:
            res["problems"].append("%d workspaces linked, not %d" % (len(links), c.N_WORKSPACES))
        creates = [r for r in log if r["method"] == "PUT" and r["status"] in (200, 201, 202)
                   and r["path"].split("?")[0].lower().endswith("/clusters/" + c.CLUSTER)]
        if len(creates) != 1:
            res["problems"].append("the cluster was PUT %d times" % len(creates))
        res["link_puts"] = sum(links.values())
    finally:
        if sim.stop() not in (0, None):
            res["problems"].append("armsim exited uncleanly (log %s)" % sim.log.name)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmkctl", required=True)
    ap.add_argument("--armsim", default="")
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--points", default="1-4")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    scratch = g.Scratch(args.keep or bool(os.environ.get("GITOPS_KEEP")))
    fixture = c.write_fixture(args.source_dir, scratch.path("fixture.json"))
    manifest = c.write_manifest(scratch.path("estate.yaml"))
    t0 = time.time()

    def one(n):
        wd = scratch.path("point-%d" % n)
        os.makedirs(wd)
        try:
            r = run_point(args, wd, n, fixture, manifest)
        except (g.Failure, OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
            r = {"point": n, "what": describe(point_of(n)), "killed": False, "converged": False,
                 "requests": 0, "problems": ["check error: %r" % e]}
        ok = r["converged"] and not r["problems"]
        print("point %3d  %-60s %s  requests %4d" % (n, r["what"], "converged" if ok else "FAILED   ",
                                                     r["requests"]), flush=True)
        for pr in r["problems"]:
            print("    %s" % pr, flush=True)
        return r

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        results = list(ex.map(one, c.parse_seeds(args.points)))
    bad = [r for r in results if r["problems"] or not r["converged"]]
    print("interrupt: %d points, %d killed mid-apply, %d converged after one more apply, %d failed; "
          "requests %d; %.0f s" % (len(results), sum(1 for r in results if r["killed"]),
                                   len(results) - len(bad), len(bad), sum(r["requests"] for r in results),
                                   time.time() - t0))
    scratch.close(not bad)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
