"""check_reconcile_git.py - the loop reading a git repository (a bare repo
over file://): the first reconcile applies the estate at commit 1 and
reports that commit (status file, metrics source_info, report); a change
pushed as commit 2 (one cluster's capacity) is all the second reconcile
writes: armsim's request log shows one PATCH of that cluster and nothing
else. The clone cache is reused (fetch, not clone)."""
import json
import os
import re
import shutil
import subprocess

from gitops_lib import check, main, metric, read_json, run, start_examples_sim, EXAMPLES, Failure


def git(*argv, cwd):
    p = subprocess.run(["git"] + list(argv), cwd=cwd, capture_output=True, text=True,
                       env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
                                GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
                                GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1"))
    if p.returncode:
        raise Failure("git %s: %s" % (" ".join(argv), p.stderr))
    return p.stdout.strip()


def body(args, s):
    if not shutil.which("git"):
        raise Failure("git is needed")
    bare, work = s.path("estate.git"), s.path("work")
    git("init", "-q", "--bare", "-b", "main", bare, cwd=s.dir)
    git("clone", "-q", bare, work, cwd=s.dir)
    git("checkout", "-q", "-b", "main", cwd=work)
    shutil.copytree(os.path.join(args.source_dir, EXAMPLES), os.path.join(work, "clusters"))
    with open(os.path.join(work, "README.md"), "w") as f:
        f.write("estate\n")
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "estate", cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    c1 = git("rev-parse", "HEAD", cwd=work)

    sim, env = start_examples_sim(args, s)
    try:
        cmd = [args.cmkctl, "reconcile", "--git-url", "file://" + bare, "--git-ref", "main", "--git-path",
               "clusters", "--git-cache", s.path("cache"), "--state-dir", s.path("state"), "--once",
               "--status-file", s.path("status.json"), "--metrics-file", s.path("metrics.prom"), "-o", "json"]
        rc, out, err = run(cmd, env)
        check(rc == 0, "first reconcile: exit %d %s" % (rc, err[-2000:]))
        rep = json.loads(out.splitlines()[-1])
        check(rep["result"] == "succeeded" and rep["report"]["summary"]["succeeded"] == 24, "first: %s" % rep["result"])
        check(rep["report"]["source"]["commit"] == c1, "report source %s" % rep["report"].get("source"))
        st = read_json(s.path("status.json"))
        check(st["lastRun"]["source"]["commit"] == c1 and st["lastRun"]["source"]["kind"] == "git", "status source")
        with open(s.path("metrics.prom")) as f:
            check('cmkctl_source_info{commit="%s"' % c1 in f.read(), "metrics source_info")
        cache_entries = sorted(os.listdir(s.path("cache")))

        # a reviewed change lands: one cluster grows
        p = os.path.join(work, "clusters", "20-clusters.yaml")
        with open(p) as f:
            text = f.read()
        new, n = re.subn(r"(name: laprodeus01\n(?:.*\n)*?  capacity: )1000", r"\g<1>1100", text, count=1)
        check(n == 1, "could not edit the capacity of laprodeus01")
        with open(p, "w") as f:
            f.write(new)
        git("commit", "-q", "-am", "prod-eus: 1100 GB/day", cwd=work)
        git("push", "-q", "origin", "main", cwd=work)
        c2 = git("rev-parse", "HEAD", cwd=work)

        mark = sim.last_seq()
        rc, out, err = run(cmd, env)
        check(rc == 0, "second reconcile: exit %d %s" % (rc, err[-2000:]))
        rep = json.loads(out.splitlines()[-1])
        check(rep["report"]["source"]["commit"] == c2, "second source %s" % rep["report"].get("source"))
        check(rep["report"]["summary"]["succeeded"] == 1 and rep["report"]["summary"]["steps"] == 1,
              "second run's steps: %s" % rep["report"]["summary"])
        writes = sim.writes_since(mark)
        check(len(writes) == 1 and writes[0]["method"] == "PATCH" and
              writes[0]["path"].split("?")[0].endswith("/clusters/laprodeus01"),
              "writes of the second run: %s" % [(w["method"], w["path"]) for w in writes])
        check(sorted(os.listdir(s.path("cache"))) == cache_entries, "the cache was not reused")
        st = read_json(s.path("status.json"))
        check(st["lastRun"]["source"]["commit"] == c2, "status commit after push")
        with open(s.path("metrics.prom")) as f:
            m = f.read()
        check('cmkctl_source_info{commit="%s"' % c2 in m, "metrics commit after push")
        check(metric(m, "cmkctl_steps_total", 'result="succeeded"') == 1, "this process's steps")
    finally:
        sim.stop()


if __name__ == "__main__":
    main(body)
