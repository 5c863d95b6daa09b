"""check_reconcile_loop.py - `cmkctl reconcile` runs three iterations
against armsim with the example estate: the first converges it, a key
rotated through armsim's admin API between the first and second iteration
is drift the second corrects (only cluster key writes), the third finds
nothing to do. Checked after each iteration: the status file (0600, JSON),
the metrics served on a loopback port and written to a file; at the end
the per-iteration JSON reports and the exit code. Then --mode drift
reports a second rotation (exit 2) without writing; bad usage exits 64."""
import os
import stat
import urllib.request

from gitops_lib import (Background, check, hazards, main, metric, read_json, run, start_examples_sim,
                        wait_for, EXAMPLES)


def body(args, s):
    sim, env = start_examples_sim(args, s)
    try:
        examples = os.path.join(args.source_dir, EXAMPLES)
        status_path, metrics_path = s.path("status.json"), s.path("metrics.prom")
        bg = Background([args.cmkctl, "reconcile", "-f", examples, "--iterations", "3", "--interval", "3s",
                         "--jitter", "0", "--state-dir", s.path("state"), "--status-file", status_path,
                         "--metrics-file", metrics_path, "--metrics-listen", "127.0.0.1:0", "-o", "json"],
                        env, s.dir, "loop")

        def waiting_after(n):
            st = read_json(status_path)
            return st if st and st["iteration"] == n and st["state"] in ("waiting", "stopped") else None

        def scrape(st):
            with urllib.request.urlopen("http://%s/metrics" % st["metricsListen"], timeout=10) as r:
                check(r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), "content type")
                return r.read().decode()

        # iteration 1: the whole estate is created
        st = wait_for("iteration 1", lambda: waiting_after(1), 90, bg)
        check(st["lastRun"]["result"] == "succeeded", "iteration 1: %s" % st["lastRun"])
        check(st["lastRun"]["plannedSteps"] == 24 and st["stepsTotal"]["succeeded"] == 24, "iteration 1 steps")
        check(st["nextRun"] and st["state"] == "waiting", "waiting with a next run time")
        check(stat.S_IMODE(os.stat(status_path).st_mode) == 0o600, "status file mode")
        m = scrape(st)
        check(metric(m, "cmkctl_steps_total", 'result="succeeded"') == 24, "served steps_total:\n" + m)
        check(metric(m, "cmkctl_reconcile_iterations_total", 'result="succeeded"') == 1, "iterations")
        check(metric(m, "cmkctl_arm_requests_total") > 24, "arm requests")
        check(metric(m, "cmkctl_last_success_timestamp_seconds") > 1.6e9, "last success")

        # drift through the admin API, between iterations
        mark = sim.last_seq()
        sim.admin("POST", "/_sim/keys/rotate", {"vault": "kv-obs-prod-eus", "name": "la-cmk"})

        st = wait_for("iteration 2", lambda: waiting_after(2), 60, bg)
        check(st["lastRun"]["result"] == "succeeded", "iteration 2: %s" % st["lastRun"])
        fixed = st["lastRun"]["plannedSteps"]
        check(fixed >= 1 and st["lastRun"]["driftResources"] >= 1, "iteration 2 saw no drift: %s" % st)
        writes = sim.writes_since(mark)
        check(writes, "iteration 2 wrote nothing")
        for w in writes:
            check("/Microsoft.OperationalInsights/clusters/" in w["path"] and w["method"] in ("PUT", "PATCH"),
                  "iteration 2 wrote something else than a cluster key: %s %s" % (w["method"], w["path"]))
        m = scrape(st)
        check(metric(m, "cmkctl_steps_total", 'result="succeeded"') == 24 + fixed, "steps after fix:\n" + m)
        check(metric(m, "cmkctl_drift_resources") >= 1, "drift gauge at iteration 2")

        # iteration 3: in sync; the loop ends (3 iterations)
        mark = sim.last_seq()
        rc = bg.wait(60)
        check(rc == 0, "exit %d\n%s" % (rc, bg.stderr()[-2000:]))
        check(not sim.writes_since(mark), "iteration 3 wrote")
        st = read_json(status_path)
        check(st["state"] == "stopped" and st["iteration"] == 3, "final status %s" % st)
        check(st["lastRun"]["result"] == "no-changes" and st["lastRun"]["driftResources"] == 0, "iteration 3")
        check(st["iterationsSucceeded"] == 3 and st["iterationsFailed"] == 0, "counts")
        with open(metrics_path) as f:
            m = f.read()
        check(stat.S_IMODE(os.stat(metrics_path).st_mode) == 0o600, "metrics file mode")
        check(metric(m, "cmkctl_reconcile_iterations_total", 'result="succeeded"') == 3, "iterations:\n" + m)
        check(metric(m, "cmkctl_steps_total", 'result="succeeded"') == 24 + fixed, "steps total")
        check(metric(m, "cmkctl_steps_total", 'result="failed"') == 0, "failed steps")
        check(metric(m, "cmkctl_drift_resources") == 0, "drift gauge")
        check(metric(m, "cmkctl_reconcile_duration_seconds") is not None, "duration")
        check(metric(m, "cmkctl_arm_throttled_total") == 0, "throttled")
        check('cmkctl_source_info{commit="",scope="all",mode="apply"} 1' in m, "source info")
        lines = [l for l in bg.stdout().splitlines() if l.strip()]
        check(len(lines) == 3, "expected 3 JSON report lines, got %d" % len(lines))
        import json
        reps = [json.loads(l) for l in lines]
        check([r["iteration"] for r in reps] == [1, 2, 3], "iterations in output")
        check([r["result"] for r in reps] == ["succeeded", "succeeded", "no-changes"], "results in output")
        check(reps[0]["report"]["summary"]["succeeded"] == 24, "report of iteration 1")
        n, h = hazards(sim)
        check(n == 0, "armsim hazards: %s" % h)

        # drift mode: reports, never writes, exit 2
        sim.admin("POST", "/_sim/keys/rotate", {"vault": "kv-obs-prod-eus", "name": "la-cmk"})
        mark = sim.last_seq()
        rc, out, err = run([args.cmkctl, "reconcile", "-f", examples, "--mode", "drift", "--once",
                            "--state-dir", s.path("state"), "--status-file", status_path], env)
        check(rc == 2, "drift mode: exit %d %s" % (rc, err[-1500:]))
        check(not sim.writes_since(mark), "drift mode wrote")
        st = read_json(status_path)
        check(st["mode"] == "drift" and st["lastRun"]["result"] == "drift", "drift status %s" % st)
        check("rotation" in out.lower(), "drift report: %s" % out[:1500])

        for bad in (["--interval", "0s"], ["--interval", "ten"], ["--mode", "fix"], ["--iterations", "0"],
                    ["--metrics-listen", "0.0.0.0:9464"], ["--jitter", "2"], ["-o", "yaml"]):
            rc, out, err = run([args.cmkctl, "reconcile", "-f", examples, "--state-dir", s.path("state")] + bad, env)
            check(rc == 64, "%s: exit %d %s" % (bad, rc, err))
    finally:
        sim.stop()


if __name__ == "__main__":
    main(body)
