"""check_injection.py - manifest text, live values and file names cannot drive
the CI runner or the terminal (README "Security").

The corpus: one payload holding a newline before each GitHub workflow command
an attacker wants (::error, ::add-mask::, ::stop-commands::, ::warning after
a carriage return, ::notice after a no-break space), the older "##[" and
Azure Pipelines "##vso[" forms, ESC sequences (clear screen, colour, window
title) and BEL. It is put in a metadata name, a tag key, a tag value, a label,
two FILE NAMES (one of them starting a line: "::error::..."), and in the live
state (a cluster's tag key and value, read back by plan and drift).

Every run - validate, plan and drift; text, json and markdown; with and
without GITHUB_ACTIONS; text and JSON logs, -v - is read whole (stdout and
stderr): no line may start (after blanks, as the runner trims them) with "::"
unless it is one of cmkctl's own annotations, no "##[" or "##vso[" may
appear, and no raw control byte (C0 other than newline and tab, DEL, C1) may
be there. validate must refuse the payload in names, tag keys and values with
file:line:col, and show it escaped ("\\n::error", "\\x1b").
"""
import json
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import gitops_lib as g  # noqa: E402

PAYLOAD = ("\n::error file=a.yaml,line=1::INJ-ERROR\n::add-mask::INJ-MASK\n::stop-commands::INJ-STOP"
           "\r::warning::INJ-CR\n\u00a0::notice::INJ-NBSP\n  ::debug::INJ-INDENT ##[error]INJ-V1 "
           "##vso[task.setvariable variable=x]INJ-VSO \x1b[2J\x1b[31mINJ-ESC\x1b]0;INJ-TITLE\x07\x07"
           "\u009b31m\x7f")
FILE_PAYLOAD = PAYLOAD.replace("/", "_")
CASE = "tests/golden/cases/cluster-update-capacity-billing-tags"
CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")
OWN_ANNOTATION = re.compile(r"::(error|warning|notice) [^\n]*title=cmkctl[^:\n]*::")


def yaml_str(s):
    return json.dumps(s)  # a JSON string is a YAML double-quoted scalar


def check_output(name, data, gha):
    m = CONTROL.search(data)
    if m:
        raise g.Failure("%s: a raw control byte %r at %d: %r" % (name, m.group(0), m.start(),
                                                                data[max(0, m.start() - 60):][:120]))
    text = data.decode("utf-8", "replace")
    for line in text.split("\n"):
        body = line.lstrip()  # as the runner's TrimStart: blanks, tabs, no-break spaces
        if body.startswith("::"):
            g.check(gha and OWN_ANNOTATION.match(body),
                    "%s: a line starts a workflow command: %r" % (name, line[:160]))
        g.check("##[" not in line and "##vso[" not in line.lower(),
                "%s: a line holds a ##[ / ##vso[ command: %r" % (name, line[:160]))


def body(args, s):
    src = os.path.join(args.source_dir, CASE)
    bad = s.path("bad")
    shutil.copytree(os.path.join(src, "manifests"), bad)
    with open(os.path.join(bad, "20-cluster.yaml")) as f:
        cluster = f.read()
    g.check("  tags: {env: prod}\n" in cluster and "metadata: {name: prod}\n" in cluster,
            "the golden case changed: %s" % cluster)
    cluster = cluster.replace("metadata: {name: prod}\n", "metadata:\n  name: %s\n  labels: {team: %s}\n"
                              % (yaml_str("prod" + PAYLOAD), yaml_str(PAYLOAD)), 1)
    cluster = cluster.replace("  tags: {env: prod}\n", "  tags:\n    %s: x\n    owner: %s\n"
                              % (yaml_str("k" + PAYLOAD), yaml_str(PAYLOAD)), 1)
    with open(os.path.join(bad, "20-cluster.yaml"), "w") as f:
        f.write(cluster)
    for fname in ("z" + FILE_PAYLOAD + ".yaml", "::error::INJ-FILESTART.yaml"):
        with open(os.path.join(bad, fname), "w") as f:
            f.write("apiVersion: cmkctl/v1\nkind: Nope%s\n" % yaml_str(PAYLOAD))

    good = s.path("good")
    shutil.copytree(os.path.join(src, "manifests"), good)
    with open(os.path.join(src, "live.json")) as f:
        live = json.load(f)
    live["clusters"][0]["tags"]["env"] = PAYLOAD
    live["clusters"][0]["tags"]["k" + PAYLOAD] = PAYLOAD
    # the same manifests in a directory whose name carries the payload: the
    # report's "source: dir ..." line names it
    odd = os.path.join(s.dir, "m" + FILE_PAYLOAD)
    shutil.copytree(good, odd)
    live_file = s.path("live.json")
    with open(live_file, "w") as f:
        json.dump(live, f)

    env0 = g.base_env()
    runs = 0
    seen = {"validate-escaped": False, "drift-escaped": False, "file-name-neutralised": False}
    for gha in (False, True):
        env = dict(env0)
        if gha:
            env.update(GITHUB_ACTIONS="true", GITHUB_WORKSPACE=s.dir)
        for logs in ([], ["-v"], ["--log-format", "json", "-v"]):
            for out in ("text", "json", "markdown"):
                argvs = [["plan", "-f", bad, "--live-state", live_file, "-o", out],
                         ["plan", "-f", good, "--live-state", live_file, "-o", out],
                         ["drift", "-f", good, "--live-state", live_file, "-o", out],
                         ["plan", "-f", odd, "--live-state", live_file, "-o", out]]
                if out != "markdown":
                    argvs.append(["validate", "-f", bad] + (["-o", "json"] if out == "json" else []))
                    # relative, so that the file name starts the error line
                    argvs.append(["validate", "-f", "::error::INJ-FILESTART.yaml"])
                for argv in argvs:
                    p = g.subprocess.run([args.cmkctl] + logs + argv, env=env, cwd=bad,
                                         stdin=g.subprocess.DEVNULL, capture_output=True, timeout=60)
                    runs += 1
                    name = "%s%s %s" % ("GITHUB_ACTIONS " if gha else "", " ".join(logs), " ".join(argv[:1] + argv[-2:]))
                    bad_run = bad in argv or argv[-1].endswith("INJ-FILESTART.yaml")
                    g.check(p.returncode == (1 if bad_run else 2 if argv[0] == "drift" else 0),
                            "%s: exit %d: %s" % (name, p.returncode, p.stderr[-600:]))
                    check_output(name + " (stdout)", p.stdout, gha)
                    check_output(name + " (stderr)", p.stderr, gha)
                    both = (p.stdout + p.stderr).decode("utf-8", "replace")
                    if argv[0] == "validate" and out == "text" and bad in argv:
                        for where in ("tag value", "tag key", "label value"):
                            g.check(re.search(r"20-cluster\.yaml:\d+:\d+: error: %s '[^\n]*\\n::error file=a\.yaml"
                                              r"[^\n]*\\x1b\[2J[^\n]*' contains a control character" % where, both),
                                    "%s: no file:line:col error for the %s: %s" % (name, where, both[:2000]))
                        seen["validate-escaped"] = True
                    if argv[-1].startswith("::error::") and out == "text" and not logs:
                        g.check("\n\\x3a:error::INJ-FILESTART.yaml:2:7: error: unknown kind" in "\n" + both,
                                "%s: the file name starting a line is not neutralised: %s" % (name, both[:800]))
                        seen["file-name-neutralised"] = True
                    if argv[0] == "drift" and out == "text" and not logs:
                        g.check("\\n::error file=a.yaml" in both and "\\x1b[31mINJ-ESC" in both,
                                "%s: the live tag value is not shown escaped: %s" % (name, both[:2000]))
                        seen["drift-escaped"] = True
    g.check(all(seen.values()), "cases not reached: %s" % seen)
    print("injection: %d runs (validate, plan, drift; text/json/markdown; GITHUB_ACTIONS or not; text/JSON "
          "logs): no workflow command but cmkctl's own annotations, no raw control byte" % runs)


if __name__ == "__main__":
    g.main(body)
