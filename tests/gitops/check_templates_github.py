"""check_templates_github.py - the GitHub Actions templates
(ci/templates/github/*.yml) run against armsim, their `run:` steps
unchanged (templates_lib.py says what is stood in for):

  plan.yml on a pull request: validates, plans through workload identity
  federation (GitHub's OIDC token -> armsim's Azure AD), posts the plan as
  one comment with the <!-- cmkctl-plan --> marker, puts it on the step
  summary, uploads the saved plan; a second push updates that same comment
  (PATCH, still one comment); a broken manifest fails the job with an
  ::error annotation on file/line/column and the comment says so.
  apply.yml on merge: finds the reviewed plan of exactly these manifests,
  downloads and applies it: armsim converged (drift exits 0, no hazard);
  after a merge that was never planned it applies nothing.
  drift.yml nightly: passes in sync; after a key rotation fails and opens
  one cmkctl-drift issue, updated (not duplicated) the next night.
No token or secret appears in any step's output, summary or post."""
import json
import os
import shutil
import subprocess

from gitops_lib import Armsim, base_env, check, hazards, main, run, Failure, SCALE, EXAMPLES, EXAMPLES_FIXTURE
from templates_lib import ServiceStandIn, Store, edit, run_github_workflow

REPO = "org/estate"
CLIENT = "c3c3c3c3-0000-4000-8000-00000000c0de"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def git(ws, *argv):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    p = subprocess.run(["git"] + list(argv), cwd=ws, capture_output=True, text=True, env=env)
    if p.returncode:
        raise Failure("git %s: %s" % (argv, p.stderr))
    return p.stdout.strip()


def federated_fixture(args, path, subjects):
    with open(os.path.join(args.source_dir, EXAMPLES_FIXTURE)) as f:
        fx = json.load(f)
    p = next(p for p in fx["principals"] if p["clientId"] == CLIENT)
    p["federatedCredentials"] = [{"issuer": iss, "subject": sub, "audiences": ["api://AzureADTokenExchange"]}
                                 for iss, sub in subjects]
    with open(path, "w") as f:
        json.dump(fx, f)


def cloud_env(sim):
    """armsim's cloud settings, but no credential: the templates must log in
    through the OIDC federation themselves."""
    env = base_env()
    for k, v in sim.env.items():
        if k in ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "IDENTITY_ENDPOINT",
                 "IDENTITY_HEADER"):
            continue
        env[k] = v
    env["CMKCTL_TIME_SCALE"] = str(SCALE)
    env["CMKCTL_PROGRESS_INTERVAL"] = "0.05"
    return env


def body(args, s):
    ws = s.path("ws")
    os.makedirs(ws)
    shutil.copytree(os.path.join(args.source_dir, EXAMPLES), os.path.join(ws, "manifests"))
    git(ws, "init", "-q", "-b", "main")
    git(ws, "add", ".")
    git(ws, "commit", "-q", "-m", "estate")

    gh = "https://token.actions.githubusercontent.com"
    federated_fixture(args, s.path("fixture.json"), [(gh, "repo:%s:pull_request" % REPO),
                                                    (gh, "repo:%s:environment:azure-prod" % REPO),
                                                    (gh, "repo:%s:ref:refs/heads/main" % REPO)])
    sim = Armsim(args.armsim, s.path("sim"), fixture=s.path("fixture.json"), time_scale=SCALE)
    standin = ServiceStandIn(s.dir, api_token="ghs_standinApiToken0123456789", oidc_token="oidcReqToken-9876543210")
    store = Store(s.path("artifacts"))
    os.makedirs(store.root)
    tpl = os.path.join(args.source_dir, "ci/templates/github")
    runs = []
    try:
        def go(workflow, event, run_id):
            ctx = {"workspace": ws, "workdir": s.dir, "env": cloud_env(sim), "standin": standin, "store": store,
                   "run_id": run_id, "cmkctl_dir": os.path.dirname(os.path.abspath(args.cmkctl)), "event": event,
                   "repo": REPO,
                   "table": {"vars.AZURE_TENANT_ID": TENANT, "vars.AZURE_CLIENT_ID": CLIENT,
                             "github.token": standin.api_token, "github.event.pull_request.number": "7"},
                   "github_env": {"GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": standin.base + "/gh",
                                  "GITHUB_SERVER_URL": "https://github.com", "GITHUB_SHA": git(ws, "rev-parse", "HEAD"),
                                  "ACTIONS_ID_TOKEN_REQUEST_URL": standin.base + "/oidc/gh?api-version=2.0",
                                  "ACTIONS_ID_TOKEN_REQUEST_TOKEN": standin.oidc_token}}
            res = run_github_workflow(os.path.join(tpl, workflow), ctx)
            runs.append(res)
            return res

        def comments():
            return list(standin.comments.values())

        # --- plan on the pull request
        res = go("plan.yml", "pull_request", 101)
        check(res.ok, "plan job failed:\n" + res.log()[-4000:])
        check(res.standins == ["actions/checkout@v4", "Install cmkctl", "actions/upload-artifact@v4"],
              "stood in for more than the hosting service: %s" % res.standins)
        check(len(comments()) == 1, "comments: %s" % comments())
        c = comments()[0]
        check(c["body"].startswith("<!-- cmkctl-plan -->\n### cmkctl plan\n") and
              "**12 to create, 3 to update, 0 to delete, 3 unchanged, 0 blocked** (24 steps)" in c["body"],
              "comment body: %s" % c["body"][:600])
        check(any(x.startswith("### cmkctl plan") for x in res.summaries), "no plan on the step summary")
        tree1 = git(ws, "rev-parse", "HEAD:manifests")
        check([a["name"] for a in standin.artifacts] == ["cmkctl-plan-" + tree1], "artifacts %s" % standin.artifacts)

        # --- a second push to the pull request: the same comment, updated
        p = os.path.join(ws, "manifests", "20-clusters.yaml")
        edit(p, "capacity: 1000 ", "capacity: 1100 ")
        git(ws, "commit", "-q", "-am", "more capacity")
        sha2 = git(ws, "rev-parse", "HEAD")
        res = go("plan.yml", "pull_request", 102)
        check(res.ok, "second plan failed:\n" + res.log()[-3000:])
        check(len(comments()) == 1 and comments()[0]["id"] == c["id"], "not updated in place: %s" % comments())
        check(sha2 in comments()[0]["body"], "comment not updated to the new commit")
        check(sum(1 for r in standin.requests if r["method"] == "PATCH" and "/issues/comments/" in r["path"]) == 1,
              "expected one PATCH of the comment")

        # --- merge: apply the reviewed plan
        mark = sim.last_seq()
        res = go("apply.yml", "push", 103)
        check(res.ok, "apply job failed:\n" + res.log()[-5000:])
        check(sim.writes_since(mark), "apply wrote nothing")
        full = base_env(sim.env)
        full["CMKCTL_TIME_SCALE"] = str(SCALE)
        rc, out, err = run([args.cmkctl, "drift", "-f", os.path.join(ws, "manifests")], full)
        check(rc == 0, "not converged after the apply job: %d\n%s%s" % (rc, out[-2000:], err[-1000:]))
        n, h = hazards(sim)
        check(n == 0, "hazards %s" % h)
        check(any("succeeded" in x.lower() for x in res.summaries), "apply report not on the summary")

        # --- nightly drift: in sync
        res = go("drift.yml", "schedule", 104)
        check(res.ok and not standin.issues, "drift in sync:\n" + res.log()[-3000:])

        # --- a key rotated: the job fails and one issue is opened, then updated
        sim.admin("POST", "/_sim/keys/rotate", {"vault": "kv-obs-prod-eus", "name": "la-cmk"})
        mark = sim.last_seq()
        for run_id in (105, 106):
            res = go("drift.yml", "schedule", run_id)
            check(not res.ok and res.step("Drift")[2] == 1, "drift did not fail the job:\n" + res.log()[-3000:])
            check(len(standin.issues) == 1, "issues: %s" % standin.issues)
            issue = list(standin.issues.values())[0]
            check(issue["body"].startswith("<!-- cmkctl-drift -->") and "cmkctl-drift" in issue["labels"], "issue")
            check("/actions/runs/%d" % run_id in issue["body"], "issue not updated by run %d" % run_id)
            check("::error title=cmkctl drift::" in res.step("Drift")[3] + res.step("Drift")[4], "no error annotation")
            check(any("rotation" in x.lower() for x in res.summaries), "drift findings not on the summary")
        check(not sim.writes_since(mark), "drift wrote")

        # --- a merge nobody planned: nothing applied
        edit(p, "capacity: 1100 ", "capacity: 1200 ")
        git(ws, "commit", "-q", "-am", "unreviewed")
        mark = sim.last_seq()
        res = go("apply.yml", "push", 107)
        check(not res.ok and res.step("Find the reviewed plan")[1] == "failure", "unplanned merge applied?")
        check("no reviewed plan for these manifests" in res.step("Find the reviewed plan")[3], "message")
        check(not sim.writes_since(mark), "an unreviewed merge wrote to Azure")

        # --- a broken manifest on a pull request: annotation, failed check, comment says so
        bad = os.path.join(ws, "manifests", "99-bad.yaml")
        open(bad, "w").write("apiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: bad}\n"
                             "spec:\n  subscription: nope\n")
        git(ws, "add", ".")
        git(ws, "commit", "-q", "-m", "broken")
        res = go("plan.yml", "pull_request", 108)
        check(not res.ok and res.step("Validate")[1] == "failure", "broken manifest passed")
        check("::error file=manifests/99-bad.yaml,line=5,col=17," in res.step("Validate")[4],
              "no annotation: %s" % res.step("Validate")[4][-1500:])
        check(res.step("Plan")[1] == "skipped", "plan ran after a failed validation")
        check(len(comments()) == 1 and "could not plan" in comments()[0]["body"], "comment after failure")

        # --- nothing secret was ever printed or posted
        secrets = [standin.api_token, standin.oidc_token] + standin.issued
        texts = [r.log() for r in runs] + [x for r in runs for x in r.summaries] + \
                [c["body"] for c in comments()] + [i["body"] for i in standin.issues.values()]
        for sec in secrets:
            for t in texts:
                check(sec not in t, "a secret was echoed")
        check(len(standin.issued) >= 7, "the jobs did not log in through OIDC (%d tokens)" % len(standin.issued))
    finally:
        standin.stop()
        sim.stop()


if __name__ == "__main__":
    main(body)
