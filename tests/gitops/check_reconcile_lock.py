"""check_reconcile_lock.py - two reconcile instances of one scope: the
second is refused (exit 1, naming the holder's pid and the lock file)
while the first runs; an `apply` of the same estate and state directory is
refused too (they share the journal and its lock); an instance of another
scope (--shard, --subscription) runs beside it; once the first stopped,
the scope can be taken again."""
import os
import signal

from gitops_lib import Background, check, main, read_json, run, start_examples_sim, wait_for, EXAMPLES

SUB = "5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"  # the example estate's subscription


def body(args, s):
    sim, env = start_examples_sim(args, s)
    try:
        examples = os.path.join(args.source_dir, EXAMPLES)
        state = s.path("state")
        base = [args.cmkctl, "reconcile", "-f", examples, "--state-dir", state]
        first = Background(base + ["--interval", "1h", "--status-file", s.path("first.json")], env, s.dir, "first")
        wait_for("first instance waiting", lambda: (read_json(s.path("first.json")) or {}).get("state") == "waiting",
                 60, first)

        rc, out, err = run(base + ["--once"], env)
        check(rc == 1, "second instance: exit %d %s" % (rc, err))
        check("another reconcile (pid %d) holds the lock of scope 'all'" % first.proc.pid in err, err)
        check(os.path.join(state, "reconcile-all.lock") in err, "lock path not named: %s" % err)

        rc, out, err = run([args.cmkctl, "apply", "-f", examples, "--auto-approve", "--state-dir", state], env)
        check(rc == 1 and "lock" in err.lower(), "apply beside the loop: exit %d %s" % (rc, err[-600:]))

        # other scopes are other locks (and journals)
        for extra in (["--subscription", SUB], ["--shard", "1/1"]):
            rc, out, err = run(base + ["--once"] + extra, env)
            check(rc == 0, "%s beside the loop: exit %d %s" % (extra, rc, err[-800:]))
        check(os.path.exists(os.path.join(state, "reconcile-shard-1-of-1.lock")), "shard lock file")

        first.proc.send_signal(signal.SIGTERM)
        check(first.wait(20) == 0, "first instance did not stop cleanly")
        rc, out, err = run(base + ["--once"], env)
        check(rc == 0, "after the stop: exit %d %s" % (rc, err[-800:]))
    finally:
        sim.stop()


if __name__ == "__main__":
    main(body)
