"""check_cli_flags.py - the global options every command takes and the
GitHub Actions behaviour of validate and plan:
  --log-format json: stderr is one JSON object per line (time, level,
  message); --quiet: errors only; options before or after the command;
  bad values are usage errors (64); GITHUB_ACTIONS: manifest errors become
  ::error annotations with file/line/col, the markdown plan is appended to
  $GITHUB_STEP_SUMMARY; NO_COLOR honoured (no escape codes under a pty).
Against armsim: --verbose --log-format json gives every request as a JSON
line with resource and request id, never the client secret; --quiet
leaves stderr empty on success; apply's progress comes as JSON lines with
the step."""
import json
import os
import pty
import subprocess

from gitops_lib import check, main, run, base_env, start_examples_sim, EXAMPLES

BAD = """apiVersion: cmkctl/v1
kind: LogAnalyticsCluster
metadata: {name: c1}
spec:
  subscription: not-a-guid
  resourceGroup: rg
  name: c1
  location: eastus
  identity: {type: SystemAssigned}
  capacity: 100
"""


def body(args, s):
    cm = args.cmkctl
    bad_dir = s.path("m,a:b")  # a folder name that needs property escaping
    os.makedirs(bad_dir)
    bad = os.path.join(bad_dir, "bad.yaml")
    with open(bad, "w") as f:
        f.write(BAD)
    env = base_env()

    # JSON lines on stderr, with the option before and after the command
    for argv in ([cm, "--log-format", "json", "validate", "-f", bad],
                 [cm, "validate", "-f", bad, "--log-format=json"]):
        rc, out, err = run(argv, env)
        check(rc == 1, "invalid manifest: exit %d" % rc)
        lines = [l for l in err.splitlines() if l.strip()]
        check(len(lines) >= 2, "expected JSON error lines, got %r" % err)
        for l in lines:
            obj = json.loads(l)  # raises on a non-JSON line
            check({"time", "level", "message"} <= set(obj), "fields missing in %r" % l)
            check(obj["level"] == "error", "level %r" % obj["level"])
        check(any("bad.yaml:5:17" in json.loads(l)["message"] for l in lines),
              "no position in JSON errors: %r" % err)

    # text stays text
    rc, out, err = run([cm, "validate", "-f", bad], env)
    check(rc == 1 and "bad.yaml:5:17: error:" in out, "text report: %r" % out)

    # usage errors
    for argv in ([cm, "--log-format", "yaml", "version"], [cm, "version", "--log-format"],
                 [cm, "-q", "--verbose", "version"]):
        rc, out, err = run(argv, env)
        check(rc == 64, "%r: exit %d" % (argv, rc))
    rc, out, err = run([cm, "--quiet", "version"], env)
    check(rc == 0 and out.strip(), "--quiet version: %d %r" % (rc, out))

    # GitHub Actions: annotations with positions, escaped properties
    genv = base_env({"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": s.dir})
    rc, out, err = run([cm, "validate", "-f", bad], genv)
    ann = [l for l in err.splitlines() if l.startswith("::error ")]
    check(rc == 1 and ann, "no annotations: %r" % err)
    want = "::error file=m%2Ca%3Ab/bad.yaml,line=5,col=17,title=cmkctl%3A invalid manifest::"
    check(any(l.startswith(want) for l in ann), "annotation %r not in %r" % (want, ann))
    check("::error" not in out, "annotations must not reach stdout (the report)")

    # plan: the markdown plan goes to the step summary (appended)
    case = os.path.join(args.source_dir, "tests/golden/cases/create-system-assigned-from-empty")
    summary = s.path("summary.md")
    with open(summary, "w") as f:
        f.write("earlier step\n")
    genv["GITHUB_STEP_SUMMARY"] = summary
    rc, out, err = run([cm, "plan", "-f", os.path.join(case, "manifests"), "--live-state",
                        os.path.join(case, "live.json"), "-o", "json"], genv)
    check(rc == 0, "plan in GHA: %d %s" % (rc, err))
    json.loads(out)  # stdout stays the JSON plan
    with open(summary) as f:
        text = f.read()
    check(text.startswith("earlier step\n"), "summary truncated")
    check("cluster.create" in text or "Create" in text or "create" in text, "no plan in summary: %r" % text[:300])
    check("|" in text or "#" in text, "summary is not markdown: %r" % text[:300])

    # plan with bad manifests in GHA: annotations too
    rc, out, err = run([cm, "plan", "-f", bad, "--live-state", os.path.join(case, "live.json")], genv)
    check(rc == 1 and any(l.startswith(want) for l in err.splitlines()), "plan annotations: %r" % err)

    # NO_COLOR: colour on a terminal, none with NO_COLOR=1
    def on_pty(extra):
        e = base_env(extra)
        e["TERM"] = "xterm"
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(cm, [cm, "plan", "-f", os.path.join(case, "manifests"), "--live-state",
                           os.path.join(case, "live.json")], e)
        chunks = []
        while True:
            try:
                b = os.read(fd, 65536)
            except OSError:
                break
            if not b:
                break
            chunks.append(b)
        os.waitpid(pid, 0)
        return b"".join(chunks).decode(errors="replace")

    # against armsim: request logs as JSON lines
    sim, aenv = start_examples_sim(args, s)
    try:
        examples = os.path.join(args.source_dir, EXAMPLES)
        rc, out, err = run([cm, "--verbose", "--log-format", "json", "plan", "-f", examples], aenv)
        check(rc == 0, "plan against armsim: %d %s" % (rc, err[-1500:]))
        objs = [json.loads(l) for l in err.splitlines() if l.strip()]
        check(any(o.get("request_id") and o.get("resource", "").startswith("/subscriptions/") and
                  o["level"] == "debug" for o in objs), "no request line with resource and request id")
        check(aenv["AZURE_CLIENT_SECRET"] not in err, "the client secret reached the log")
        rc, out, err = run([cm, "plan", "-f", examples, "--quiet"], aenv)
        check(rc == 0 and err == "" and out, "--quiet: %d %r" % (rc, err[:500]))
        # apply: progress as JSON lines naming the step
        rc, out, err = run([cm, "apply", "-f", examples, "--auto-approve", "--state-dir", s.path("state"),
                            "--log-format", "json", "-o", "json"], aenv)
        check(rc == 0, "apply --log-format json: %d %s" % (rc, err[-1500:]))
        objs = [json.loads(l) for l in err.splitlines() if l.strip()]  # every line is JSON
        check(any(o.get("step") == "cluster.create:LogAnalyticsCluster/prod-eus" and "succeeded" in o["message"]
                  for o in objs), "no JSON progress line for a step: %s" % err[:1000])
        check(json.loads(out)["result"] == "succeeded", "apply report")
    finally:
        sim.stop()

    coloured = on_pty({})
    check("\x1b[" in coloured, "expected colour on a terminal")
    plain = on_pty({"NO_COLOR": "1"})
    check("\x1b[" not in plain, "NO_COLOR=1 still coloured")


if __name__ == "__main__":
    main(body)
