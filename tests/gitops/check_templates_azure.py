"""check_templates_azure.py - the Azure Pipelines templates
(ci/templates/azure-pipelines/*.yml) run against armsim, their `script:`
steps unchanged (templates_lib.py says what is stood in for):

  plan.yml on a pull request: validates and plans through the service
  connection's workload identity federation (Azure DevOps' OIDC endpoint ->
  armsim's Azure AD), posts the plan as one pull-request thread with the
  <!-- cmkctl-plan --> marker and uploads it as the run's summary, publishes
  the saved plan; a second push updates the same thread's comment.
  apply.yml on merge (a deployment job): finds the plan run whose artifact
  names these manifests' tree, downloads it, applies: armsim converged; a
  merge never planned applies nothing.
  drift.yml: passes in sync; after a key rotation fails with an error and
  the findings as summary, without writing.
No token appears in any step's output, summary or post."""
import os
import shutil

from gitops_lib import Armsim, base_env, check, hazards, main, run, SCALE, EXAMPLES
from templates_lib import ServiceStandIn, Store, edit, run_azure_pipeline
from check_templates_github import CLIENT, TENANT, cloud_env, federated_fixture, git


def body(args, s):
    ws = s.path("ws")
    os.makedirs(ws)
    shutil.copytree(os.path.join(args.source_dir, EXAMPLES), os.path.join(ws, "manifests"))
    git(ws, "init", "-q", "-b", "main")
    git(ws, "add", ".")
    git(ws, "commit", "-q", "-m", "estate")

    federated_fixture(args, s.path("fixture.json"),
                      [("https://vstoken.dev.azure.com/00000000-0000-4000-8000-0000000000aa", "sc://org/proj/cmkctl-azure")])
    sim = Armsim(args.armsim, s.path("sim"), fixture=s.path("fixture.json"), time_scale=SCALE)
    standin = ServiceStandIn(s.dir, api_token="azpStandinAccessToken0123456789", oidc_token="unused-here-000000")
    store = Store(s.path("artifacts"))
    os.makedirs(store.root)
    tpl = os.path.join(args.source_dir, "ci/templates/azure-pipelines")
    runs = []
    try:
        def go(pipeline, run_id):
            ctx = {"workspace": ws, "workdir": s.dir, "env": cloud_env(sim), "standin": standin, "store": store,
                   "run_id": run_id, "cmkctl_dir": os.path.dirname(os.path.abspath(args.cmkctl)),
                   "variables": {"System.AccessToken": standin.api_token,
                                 "System.CollectionUri": standin.base + "/azp/org/",
                                 "System.TeamProject": "proj", "System.TeamProjectId": "proj-id",
                                 "Build.Repository.ID": "estate-repo", "System.PullRequest.PullRequestId": "7",
                                 "Build.SourceVersion": git(ws, "rev-parse", "HEAD"),
                                 "System.OidcRequestUri": standin.base + "/oidc/azp",
                                 "AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT,
                                 "AZURE_SERVICE_CONNECTION_ID": "5e1f0000-0000-4000-8000-00000000c0de",
                                 "CMKCTL_PLAN_PIPELINE_ID": "12"}}
            res = run_azure_pipeline(os.path.join(tpl, pipeline), ctx)
            runs.append(res)
            return res

        def thread_comments():
            return [c for t in standin.threads.values() for c in t["comments"]]

        res = go("plan.yml", 201)
        check(res.ok, "plan failed:\n" + res.log()[-4000:])
        check(res.standins == ["checkout", "Install cmkctl", "Publish the saved plan"], "stand-ins %s" % res.standins)
        check(len(standin.threads) == 1, "threads %s" % standin.threads)
        c = thread_comments()[0]
        check(c["content"].startswith("<!-- cmkctl-plan -->\n### cmkctl plan\n") and "(24 steps)" in c["content"],
              "thread: %s" % c["content"][:500])
        check(any(x.startswith("### cmkctl plan") for x in res.summaries), "plan not uploaded as summary")
        tree1 = git(ws, "rev-parse", "HEAD:manifests")
        check(standin.builds and "cmkctl-plan-" + tree1 in standin.builds[0]["artifacts"], "artifact")

        p = os.path.join(ws, "manifests", "20-clusters.yaml")
        edit(p, "capacity: 1000 ", "capacity: 1100 ")
        git(ws, "commit", "-q", "-am", "more capacity")
        sha2 = git(ws, "rev-parse", "HEAD")
        res = go("plan.yml", 202)
        check(res.ok, "second plan failed:\n" + res.log()[-3000:])
        check(len(standin.threads) == 1 and len(thread_comments()) == 1, "not updated in place")
        check(sha2 in thread_comments()[0]["content"], "thread comment not updated")

        mark = sim.last_seq()
        res = go("apply.yml", 203)
        check(res.ok, "apply failed:\n" + res.log()[-5000:])
        check(sim.writes_since(mark), "apply wrote nothing")
        full = base_env(sim.env)
        full["CMKCTL_TIME_SCALE"] = str(SCALE)
        rc, out, err = run([args.cmkctl, "drift", "-f", os.path.join(ws, "manifests")], full)
        check(rc == 0, "not converged after the apply pipeline: %d %s" % (rc, out[-1500:]))
        n, h = hazards(sim)
        check(n == 0, "hazards %s" % h)
        check(any("succeeded" in x.lower() for x in res.summaries), "apply report not uploaded")

        res = go("drift.yml", 204)
        check(res.ok, "drift in sync failed:\n" + res.log()[-3000:])
        sim.admin("POST", "/_sim/keys/rotate", {"vault": "kv-obs-prod-eus", "name": "la-cmk"})
        mark = sim.last_seq()
        res = go("drift.yml", 205)
        check(not res.ok and res.step("Drift")[2] == 1, "drift did not fail:\n" + res.log()[-3000:])
        check(any(x.startswith("ISSUE error: cmkctl drift:") for x in res.summaries), "no error logged")
        check(any("rotation" in x.lower() for x in res.summaries), "findings not uploaded")
        check(not sim.writes_since(mark), "drift wrote")

        edit(p, "capacity: 1100 ", "capacity: 1200 ")
        git(ws, "commit", "-q", "-am", "unreviewed")
        mark = sim.last_seq()
        res = go("apply.yml", 206)
        check(not res.ok and res.step("Find the reviewed plan")[1] == "failure", "unplanned merge applied?")
        check("no reviewed plan for these manifests" in res.step("Find the reviewed plan")[3], "message")
        check(not sim.writes_since(mark), "an unreviewed merge wrote")

        secrets = [standin.api_token] + standin.issued
        texts = [r.log() for r in runs] + [x for r in runs for x in r.summaries] + \
                [c["content"] for c in thread_comments()]
        for sec in secrets:
            for t in texts:
                check(sec not in t, "a secret was echoed")
        check(len(standin.issued) >= 5, "the pipelines did not log in through OIDC")
    finally:
        standin.stop()
        sim.stop()


if __name__ == "__main__":
    main(body)
