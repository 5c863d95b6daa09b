"""check_reconcile_sigterm.py - SIGTERM while the loop waits on Azure
operations (cluster creations): it stops at once with exit 0, status
"stopped" / last result "interrupted", and the running operations stay in
the journal (0600). The next run waits for them first (its report lists
them as resumed) and converges without writing any of them again (one PUT
per cluster in armsim's log) and without one busy 400/409. SIGTERM while
the loop sleeps between iterations is a plain stop."""
import glob
import json
import os
import signal
import stat
import time

from gitops_lib import (Background, check, hazards, main, read_json, run, start_examples_sim, wait_for,
                        EXAMPLES)


def body(args, s):
    # slow enough that the creations are still running when we stop it
    sim, env = start_examples_sim(args, s, scale=2000)
    try:
        examples = os.path.join(args.source_dir, EXAMPLES)
        state, status_path = s.path("state"), s.path("status.json")
        argv = [args.cmkctl, "reconcile", "-f", examples, "--state-dir", state, "--status-file", status_path,
                "--interval", "1h", "-o", "json"]
        bg = Background(argv, env, s.dir, "first")

        def journal_with_creates():
            for p in glob.glob(os.path.join(state, "operations-*.json")):
                j = read_json(p)
                if j and any(o["step"].startswith("cluster.create") for o in j.get("operations", [])):
                    return p
            return None

        journal = wait_for("cluster creations in the journal", journal_with_creates, 60, bg)
        time.sleep(0.2)
        t = time.time()
        bg.proc.send_signal(signal.SIGTERM)
        rc = bg.wait(30)
        check(rc == 0, "SIGTERM: exit %d\n%s" % (rc, bg.stderr()[-2000:]))
        check(time.time() - t < 10, "slow to stop")
        check("running operation" in bg.stderr() and "next run waits" in bg.stderr(), bg.stderr()[-1500:])
        st = read_json(status_path)
        check(st["state"] == "stopped" and st["lastRun"]["result"] == "interrupted", "status %s" % st)
        j = read_json(journal)
        check(j and j["operations"], "journal emptied by the stop")
        check(stat.S_IMODE(os.stat(journal).st_mode) == 0o600, "journal mode")
        rep = json.loads(bg.stdout().splitlines()[-1])
        check(rep["result"] == "interrupted" and rep["report"]["summary"]["running"] >= 1, "report %s" % rep)

        # the next run resumes, then converges; nothing written twice
        rc, out, err = run(argv[:-4] + ["--once", "-o", "json"], env, timeout=120)
        check(rc == 0, "resume: exit %d\n%s" % (rc, err[-2000:]))
        rep = json.loads(out.splitlines()[-1])
        check(rep["result"] == "succeeded", "resume result %s" % rep["result"])
        check(len(rep["report"]["resumed"]) >= 1, "nothing resumed: %s" % rep["report"].get("resumed"))
        check(not journal_with_creates(), "journal still holds creations")
        log = sim.requests(0)["requests"]
        for name in ("laprodeus01", "la-shared-eus", "aiclusterwus2"):
            puts = [r for r in log if r["method"] == "PUT" and r["path"].split("?")[0].endswith("/clusters/" + name)]
            check(len(puts) == 1, "cluster %s created %d times" % (name, len(puts)))
        busy = [r for r in log if r["status"] in (400, 409) and r["method"] != "GET"]
        check(not busy, "busy answers: %s" % busy[:3])
        n, h = hazards(sim)
        check(n == 0, "hazards %s" % h)

        # SIGTERM while sleeping between iterations: a plain, quick stop
        bg = Background(argv, env, s.dir, "third")
        wait_for("waiting", lambda: (read_json(status_path) or {}).get("state") == "waiting", 60, bg)
        bg.proc.send_signal(signal.SIGTERM)
        rc = bg.wait(10)
        check(rc == 0, "stop while waiting: exit %d" % rc)
        st = read_json(status_path)
        check(st["state"] == "stopped" and st["lastRun"]["result"] == "no-changes", "status %s" % st)
    finally:
        sim.stop()


if __name__ == "__main__":
    main(body)
