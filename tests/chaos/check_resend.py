"""check_resend.py - what the executor does when an async operation ends
Failed (InternalServerError) once.

  * A Kusto cluster's identity PATCH fails once: the same PATCH is sent again
    by the same apply (report note "sent again once", two writes), which
    converges (exit 0) - no second apply needed.
  * A workspace link fails once: it is not sent again (a link counts against
    the workspace's two per 30 days, failed or not); the apply exits 1
    naming it, one link PUT for that workspace, and the next apply links it
    once more and converges.
Both: no 400/409, no hazard. Against the examples' estate (manifests/examples).
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos_lib as c  # noqa: E402

g = c.g
SCALE = 10000


def steps(out):
    return {s["id"]: s for s in json.loads(out)["steps"]}


def case(args, s, name, rule):
    examples = os.path.join(args.source_dir, g.EXAMPLES)
    sim, env = g.start_examples_sim(args, s, scale=SCALE, name=name)
    try:
        argv = [args.cmkctl, "apply", "-f", examples, "--auto-approve", "-o", "json", "--state-dir",
                s.path(name + "-state")]
        sim.admin("PUT", "/_sim/faults", [rule])
        rc, out, err = g.run(argv, env)
        fired = sum(r["fired"] for r in sim.admin("GET", "/_sim/faults"))
        g.check(fired == 1, "%s: the failure was injected %d times" % (name, fired))
        return sim, env, argv, rc, out, err
    except BaseException:
        sim.stop()
        raise


def audit(sim, name):
    log = sim.requests(0)["requests"]
    g.check(not c.busy_errors(log), "%s: 400/409 answers: %s" % (name, c.busy_errors(log)[:3]))
    hz = sim.admin("GET", "/_sim/hazards")
    g.check(hz["total"] == 0, "%s: hazards: %s" % (name, hz))
    return log


def body(args, s):
    # a Kusto identity update fails once: sent again by the same apply
    sim, env, argv, rc, out, err = case(args, s, "kusto", {"method": "*", "resourceType": "Microsoft.Kusto/clusters",
                                                           "fault": "async_fail", "count": 1})
    try:
        g.check(rc == 0, "kusto: apply exited %d: %s" % (rc, err[-1500:]))
        resent = [st for st in steps(out).values() if "sent again once" in (st.get("note") or "")]
        g.check(len(resent) == 1 and resent[0]["kind"].startswith("kusto") and resent[0]["writes"] == 2,
                "kusto: the failed step was not sent again once: %s" % [
                    (st["id"], st.get("note"), st["writes"]) for st in steps(out).values()
                    if st["kind"].startswith("kusto")])
        g.check("sending it again" in err, "kusto: the progress does not say it sends again: %s" % err[-800:])
        audit(sim, "kusto")
    finally:
        sim.stop()

    # a workspace link fails once: not sent again; the next apply links it
    sim, env, argv, rc, out, err = case(args, s, "link", {
        "method": "*", "resourceType": "Microsoft.OperationalInsights/workspaces/linkedServices",
        "fault": "async_fail", "count": 1})
    try:
        g.check(rc == 1, "link: apply exited %d, expected the failed link to fail it: %s" % (rc, err[-800:]))
        failed = [st for st in steps(out).values() if st["status"] == "failed"]
        g.check(len(failed) == 1 and failed[0]["kind"] == "workspace.link" and failed[0]["writes"] == 1,
                "link: %s" % [(st["id"], st["status"], st["writes"]) for st in failed])
        ws = failed[0]["target"].lower()
        g.check(c.link_puts(sim.requests(0)["requests"]).get(ws) == 1, "link: the failed link was sent again")
        rc, out, err = g.run(argv, env)
        g.check(rc == 0, "link: the next apply exited %d: %s" % (rc, err[-1500:]))
        log = audit(sim, "link")
        g.check(c.link_puts(log).get(ws) == 2, "link: %s linked %s times in two applies" % (ws, c.link_puts(log).get(ws)))
    finally:
        sim.stop()
    print("resend: a failed Kusto identity update was sent again once by the same apply (converged); a failed "
          "link was not (exit 1), the next apply linked it once more")


if __name__ == "__main__":
    g.main(body)
