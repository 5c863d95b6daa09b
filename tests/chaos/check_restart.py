"""check_restart.py - armsim restarted while cmkctl waits on the cluster
creation: the state is dumped through the admin API (GET /_sim/state),
armsim is stopped, and a new armsim is started on the same port and state
directory (same CA) from the dump. cmkctl must ride out the refused
connections, get a new token (the new armsim signs with a new key: the old
token is answered 401), and finish the apply.

The dump carries armsim's running operations (their completion by name)
and its virtual time, so the new armsim goes on with the very cluster
creation cmkctl follows: same operation id, same status URL, still
InProgress, ending on the virtual clock as if nothing happened. The restart
happens when the cluster creation is the only operation running (the Kusto
key update done).

Two outages: a short one (0.5 s = 3 virtual minutes: the same apply
finishes) and a long one (6 s = 40 virtual minutes: cmkctl stops following
the status after 20 unreadable reads, the step fails naming it, the journal
keeps the operation, and the next apply resumes it and converges).

Passes when the apply exits 0 (long: the second), the cluster was PUT once (no second create),
there is no 400/409 and no hazard in the new armsim's audit, and a plan
afterwards has nothing to do.
"""
import glob
import json
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos_lib as c  # noqa: E402

g = c.g
SCALE = 400   # 2 h creation = 18 s; a status read fails after ~15 virtual min (2 s) of outage
# short: the polls meet a closed port for a moment, the same apply finishes;
# long: the status cannot be read for longer than cmkctl follows an
# unreadable operation (20 reads, ~15 virtual minutes): the step fails, the
# journal keeps the operation and the next apply resumes it
SCENARIOS = (("short", 0.5), ("long", 6.0))


def journal_entries(state_dir):
    for p in glob.glob(os.path.join(state_dir, "operations-*.json")):
        try:
            with open(p) as f:
                return json.load(f).get("operations", [])
        except (OSError, ValueError):  # being replaced right now
            return []
    return []


def running_in_dump(state, journal_path):
    """The journal's cluster creation is in the dump, still running."""
    with open(journal_path) as f:
        journal = json.load(f)
    ids = []
    for entry in journal["operations"]:
        op = entry["operation"]
        if op["kind"] != "cluster.create":
            continue
        m = re.search(r"/operationstatuses/([^?]+)", op["asyncOperation"])
        g.check(m, "no status URL in the journal: %s" % op)
        ids.append(m.group(1).lower())
    g.check(ids, "the journal has no cluster creation: %s" % journal)
    running = [o for o in state.get("operations", []) if o["id"].lower() in ids]
    g.check(len(running) == len(ids) and all(o["status"] == "InProgress" and o["kind"] == "cluster.create"
                                             for o in running),
            "the dump does not hold the running creation %s: %s" % (ids, running))
    for r in state["resources"]:
        if r["id"].lower() == c.CLUSTER_ID.lower():
            g.check(r["properties"].get("provisioningState") in ("Creating", "ProvisioningAccount"),
                    "the cluster is not being created in the dump: %s" % r["properties"])
    return {o["id"].lower(): o for o in running}


def body(args, s):
    fixture = c.write_fixture(args.source_dir, s.path("fixture.json"))
    manifest = c.write_manifest(s.path("estate.yaml"))
    for name, down in SCENARIOS:
        os.makedirs(s.path(name))
        scenario(args, s, fixture, manifest, name, down)


def scenario(args, s, fixture, manifest, name, down):
    simdir = s.path(name, "sim")
    sim = g.Armsim(args.armsim, simdir, fixture=fixture, time_scale=SCALE)
    sim2 = None
    try:
        port = sim.ready["port"]
        env = g.base_env(sim.env)
        env["CMKCTL_TIME_SCALE"] = str(SCALE)
        env["CMKCTL_PROGRESS_INTERVAL"] = "0.5"
        state_dir = s.path(name, "state")
        apply_argv = [args.cmkctl, "apply", "-f", manifest, "--auto-approve", "-o", "json",
                      "--state-dir", state_dir]
        bg = g.Background(apply_argv, env, s.path(name), "apply")
        deadline = time.time() + 60
        while True:
            g.check(bg.proc.poll() is None and time.time() < deadline,
                    "the apply ended (or took too long) before the cluster creation ran alone: %s" % bg.stderr()[-800:])
            ops = c.operations(sim)
            running = [o for o in ops if o["status"] not in ("Succeeded", "Failed", "Canceled")]
            kusto_done = [o for o in ops if "/microsoft.kusto/" in o["resourceId"].lower()
                          and o["status"] == "Succeeded"]
            # the Kusto identity and key updates are done and cmkctl saw them
            # end (its journal holds the creation alone): the creation runs alone
            if [o["kind"] for o in running] == ["cluster.create"] and len(kusto_done) >= 2 and \
                    [e["operation"]["kind"] for e in journal_entries(state_dir)] == ["cluster.create"]:
                break
            time.sleep(0.02)
        journals = [p for p in glob.glob(os.path.join(state_dir, "operations-*.json"))]
        g.check(len(journals) == 1, "journal files: %s" % journals)
        dump = sim.admin("GET", "/_sim/state")
        before = sim.requests(0)["requests"]
        g.check(sim.stop() == 0, "armsim exited uncleanly")
        time.sleep(down)  # cmkctl's polls meet a closed port meanwhile
        op_ids = running_in_dump(dump, journals[0])
        reload_path = s.path(name, "reload.json")
        with open(reload_path, "w") as f:
            json.dump(dump, f)
        os.remove(sim.ready_file)  # else the new armsim looks ready at once
        sim2 = g.Armsim(args.armsim, simdir, fixture=reload_path, time_scale=SCALE,
                        extra=["--listen", "127.0.0.1:%d" % port])
        g.check(sim2.ready["port"] == port, "the new armsim is on %s, not %d" % (sim2.ready["port"], port))
        # the creation goes on in the new armsim (nothing loaded as finished):
        # the same operation, started when it was, ending when it was due
        ops2 = {o["id"].lower(): o for o in c.operations(sim2)}
        for i in op_ids:
            o2 = ops2.get(i)
            g.check(o2 and o2["kind"] == "cluster.create" and o2["startTime"] == op_ids[i]["startTime"]
                    and o2.get("dueTime", o2.get("endTime")) == op_ids[i]["endTime"],
                    "the new armsim does not go on with the creation %s: %s" % (op_ids[i], o2))
        left = [o for o in (ops2[i] for i in op_ids) if o["status"] == "InProgress"]
        rc = bg.wait(120)
        applies = 1
        if name == "long":
            g.check(rc == 1 and "could not be read" in bg.stderr(),
                    "after a long outage the apply exited %s: %s" % (rc, bg.stderr()[-1500:]))
            js = [p for p in glob.glob(os.path.join(state_dir, "operations-*.json"))]
            g.check(js and "cluster.create" in open(js[0]).read(),
                    "the journal does not keep the unfollowed cluster creation: %s" % js)
            rc, out, err = g.run(apply_argv, env, timeout=120)
            applies = 2
            g.check(rc == 0 and '"resumed"' in out, "the next apply exited %s: %s" % (rc, err[-1500:]))
        else:
            g.check(rc == 0, "apply exited %s: %s" % (rc, bg.stderr()[-2000:]))
        log = before + sim2.requests(0)["requests"]
        puts = [r for r in log if r["method"] == "PUT" and r["status"] in (200, 201, 202)
                and r["path"].split("?")[0].lower().endswith("/clusters/" + c.CLUSTER)]
        g.check(len(puts) == 1, "the cluster was PUT %d times" % len(puts))
        g.check(not c.busy_errors(log), "400/409 answers: %s" % c.busy_errors(log)[:3])
        hz = sim2.admin("GET", "/_sim/hazards")
        g.check(hz["total"] == 0, "hazards: %s" % hz)
        links = c.link_puts(log)
        g.check(len(links) == c.N_WORKSPACES and max(links.values()) == 1, "link PUTs: %s" % links)
        prc, pout, perr = g.run([args.cmkctl, "plan", "-f", manifest], env)
        g.check(prc == 0, "plan after the apply exited %d: %s" % (prc, (pout + perr)[-800:]))
        n401 = sum(1 for r in sim2.requests(0)["requests"] if r["status"] == 401)
        print("restart (%s): armsim down %.1f s mid-wait on the cluster creation (%s after the restart), "
              "back on port %d; converged after %d apply(s) (%d requests before, %d after, %d answered 401 by the new "
              "armsim)" % (name, down, "still running" if left else "already done", port, applies, len(before), len(log) - len(before), n401))
    finally:
        if sim2:
            sim2.stop()
        else:
            sim.stop()


if __name__ == "__main__":
    g.main(body)
