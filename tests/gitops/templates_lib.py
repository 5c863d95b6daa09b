"""templates_lib.py - run the user pipeline templates of ci/templates/ the
way GitHub Actions and Azure Pipelines would, for check_templates_*.py.

Everything the templates themselves do runs for real: every `run:` /
`script:` block, unchanged, with bash, against armsim (cmkctl, curl, jq,
git). Only the hosting service is stood in for, and each stand-in is named
here:
  - the runner: step order, `if:`/`condition:` evaluation, expressions and
    macros from a fixed table (an expression the table does not know fails
    the check, so a template cannot use what the test cannot vouch for),
    $GITHUB_ENV / $GITHUB_PATH / $GITHUB_OUTPUT / ##vso[...] commands;
  - actions and tasks: checkout (the workspace is already the repository at
    the commit), upload/download artifact and Publish/DownloadPipelineArtifact
    (a copy into / out of a local store), and the "Install cmkctl" step (the
    built binary is put on PATH instead of building it again);
  - GitHub's and Azure DevOps' REST APIs and OIDC token endpoints: a local
    HTTP server (ServiceStandIn) that answers like them and records every
    request (requests.jsonl), so the checks can assert what was posted.
"""
import base64
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.parse

import yaml

from gitops_lib import Failure, check


def edit(path, old, new, count=1):
    """Replace `old` in a file (it must be there)."""
    with open(path) as f:
        text = f.read()
    check(old in text, "%s: no %r to edit" % (path, old))
    with open(path, "w") as f:
        f.write(text.replace(old, new, count))


def jwt(claims):
    """An unsigned-looking JWT (armsim decodes federated assertions without
    verifying them, as their issuers are not armsim)."""
    def b64(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    return "%s.%s.%s" % (b64({"alg": "RS256", "typ": "JWT", "kid": "standin"}), b64(claims), "c2lnbmF0dXJl")


class ServiceStandIn:
    """GitHub REST + Actions OIDC, Azure DevOps REST + OIDC, on 127.0.0.1."""

    def __init__(self, workdir, api_token, oidc_token):
        self.api_token = api_token
        self.oidc_token = oidc_token
        self.subject = None            # set per job by the runner
        self.issuer = None
        self.audience = None
        self.log_path = os.path.join(workdir, "requests.jsonl")
        self.requests = []
        self.comments = {}             # github: id -> {id, issue, body}
        self.issues = {}               # github: number -> {number, title, body, labels, state}
        self.artifacts = []            # github: {name, workflow_run: {id}, created_at, expired}
        self.threads = {}              # azp: thread id -> {id, comments: [{id, content}]}
        self.builds = []               # azp: {id, artifacts: set(names)}
        self.issued = []               # every OIDC token handed out
        self.next_id = 1000
        self.lock = threading.Lock()
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n).decode() if n else ""

            def _answer(self, status, obj):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self):
                body = self._body()
                with standin.lock:
                    status, obj = standin.route(self.command, self.path, self.headers, body)
                self._answer(status, obj)

            do_GET = do_POST = do_PATCH = _handle

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()

    def _id(self):
        self.next_id += 1
        return self.next_id

    def _token(self):
        claims = {"iss": self.issuer, "sub": self.subject, "aud": self.audience,
                  "iat": int(time.time()), "nbf": int(time.time()), "exp": int(time.time()) + 600}
        t = jwt(claims)
        self.issued.append(t)
        return t

    def route(self, method, raw_path, headers, body):
        url = urllib.parse.urlsplit(raw_path)
        path, q = url.path, urllib.parse.parse_qs(url.query)
        rec = {"method": method, "path": path, "query": url.query, "body": body}
        self.requests.append(rec)
        with open(self.log_path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        auth = headers.get("Authorization") or ""
        # --- OIDC token endpoints
        if path == "/oidc/gh":
            if auth.lower() != "bearer " + self.oidc_token.lower():
                return 401, {"message": "bad ACTIONS_ID_TOKEN_REQUEST_TOKEN"}
            if q.get("audience") != [self.audience]:
                return 400, {"message": "audience %r" % q.get("audience")}
            return 200, {"value": self._token()}
        if path == "/oidc/azp":
            if auth != "Bearer " + self.api_token or not q.get("serviceConnectionId"):
                return 401, {"message": "bad token or service connection"}
            return 200, {"oidcToken": self._token()}
        if auth != "Bearer " + self.api_token:
            return 401, {"message": "Bad credentials"}
        # --- GitHub REST
        m = re.fullmatch(r"/gh/repos/[^/]+/[^/]+/issues/(\d+)/comments", path)
        if m:
            issue = int(m.group(1))
            if method == "GET":
                return 200, [c for c in self.comments.values() if c["issue"] == issue]
            if method == "POST":
                c = {"id": self._id(), "issue": issue, "body": json.loads(body)["body"]}
                self.comments[c["id"]] = c
                return 201, c
        m = re.fullmatch(r"/gh/repos/[^/]+/[^/]+/issues/comments/(\d+)", path)
        if m and method == "PATCH":
            c = self.comments.get(int(m.group(1)))
            if not c:
                return 404, {"message": "Not Found"}
            c["body"] = json.loads(body)["body"]
            return 200, c
        if re.fullmatch(r"/gh/repos/[^/]+/[^/]+/actions/artifacts", path) and method == "GET":
            name = q.get("name", [None])[0]
            arts = [a for a in self.artifacts if name is None or a["name"] == name]
            return 200, {"total_count": len(arts), "artifacts": arts}
        if re.fullmatch(r"/gh/repos/[^/]+/[^/]+/issues", path):
            if method == "GET":
                labels = set(filter(None, q.get("labels", [""])[0].split(",")))
                return 200, [i for i in self.issues.values() if i["state"] == q.get("state", ["open"])[0]
                             and labels <= set(i["labels"])]
            if method == "POST":
                d = json.loads(body)
                i = {"number": self._id(), "title": d["title"], "body": d["body"], "labels": d.get("labels", []),
                     "state": "open"}
                self.issues[i["number"]] = i
                return 201, i
        m = re.fullmatch(r"/gh/repos/[^/]+/[^/]+/issues/(\d+)", path)
        if m and method == "PATCH":
            i = self.issues.get(int(m.group(1)))
            if not i:
                return 404, {"message": "Not Found"}
            i.update({k: v for k, v in json.loads(body).items() if k in ("title", "body", "labels", "state")})
            return 200, i
        # --- Azure DevOps REST
        m = re.fullmatch(r"/azp/org/proj/_apis/git/repositories/[^/]+/pullRequests/\d+/threads", path)
        if m:
            if method == "GET":
                return 200, {"value": list(self.threads.values()), "count": len(self.threads)}
            if method == "POST":
                d = json.loads(body)
                t = {"id": self._id(), "status": d.get("status"),
                     "comments": [{"id": 1, "content": c["content"]} for c in d["comments"]]}
                self.threads[t["id"]] = t
                return 200, t
        m = re.fullmatch(r"/azp/org/proj/_apis/git/repositories/[^/]+/pullRequests/\d+/threads/(\d+)/comments/(\d+)",
                         path)
        if m and method == "PATCH":
            t = self.threads.get(int(m.group(1)))
            c = t and next((c for c in t["comments"] if c["id"] == int(m.group(2))), None)
            if not c:
                return 404, {"message": "not found"}
            c["content"] = json.loads(body)["content"]
            return 200, c
        if path == "/azp/org/proj/_apis/build/builds" and method == "GET":
            return 200, {"value": [{"id": b["id"]} for b in reversed(self.builds)], "count": len(self.builds)}
        m = re.fullmatch(r"/azp/org/proj/_apis/build/builds/(\d+)/artifacts", path)
        if m and method == "GET":
            b = next((b for b in self.builds if b["id"] == int(m.group(1))), None)
            name = q.get("artifactName", [None])[0]
            if b and name in b["artifacts"]:
                return 200, {"name": name, "id": 1}
            return 404, {"message": "artifact not found"}
        return 404, {"message": "stand-in: no route for %s %s" % (method, path)}


class Expr:
    """The expressions and conditions the templates may use."""

    def __init__(self, table, step_ids=()):
        self.table = table  # dotted name -> value
        self.step_ids = set(step_ids)

    def lookup(self, name):
        if name in self.table:
            return self.table[name]
        parts = name.split(".")
        if len(parts) == 4 and parts[0] == "steps" and parts[2] == "outputs" and parts[1] in self.step_ids:
            return ""  # GitHub: an output a step did not set (or a skipped step) is empty
        raise Failure("template uses %r, which this runner does not provide" % name)

    def evaluate(self, text, status):
        """A GitHub `${{ }}` expression or `if:` condition (status:
        'success' / 'failure' so far)."""
        src = text.strip()
        if src.startswith("${{") and src.endswith("}}"):
            src = src[3:-2].strip()
        funcs = {"success": lambda: status == "success", "failure": lambda: status == "failure",
                 "always": lambda: True, "cancelled": lambda: False}
        py = re.sub(r"!(?!=)", " not ", src).replace("&&", " and ").replace("||", " or ")
        names = {}

        def repl(m):
            if m.group(0) in funcs:
                return m.group(0)
            key = "_n%d" % len(names)
            names[key] = self.lookup(m.group(0))
            return key
        py = re.sub(r"(?<!['\w])[A-Za-z_][\w-]*(?:\.[\w-]+)+|\b(?:success|failure|always|cancelled)\b", repl, py)
        return eval(py, {"__builtins__": {}}, dict(funcs, **names))

    def substitute(self, value, status="success"):
        if not isinstance(value, str):
            return value
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(self.evaluate(m.group(1), status)), value)


def _run_bash(script, env, cwd, workdir, name, errexit):
    path = os.path.join(workdir, "step-%s.sh" % re.sub(r"\W+", "-", name))
    with open(path, "w") as f:
        f.write(script)
    argv = ["bash", "--noprofile", "--norc"] + (["-eo", "pipefail"] if errexit else []) + [path]
    p = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    with open(path[:-3] + ".log", "w") as f:  # kept with the scratch directory of a failed check
        f.write("exit %d\n--- stdout\n%s--- stderr\n%s" % (p.returncode, p.stdout, p.stderr))
    return p.returncode, p.stdout, p.stderr


class JobResult:
    def __init__(self):
        self.steps = []        # (name, status, rc, stdout, stderr)
        self.standins = []     # names of steps a stand-in replaced
        self.summaries = []    # step summary texts
        self.ok = True

    def step(self, name):
        for s in self.steps:
            if s[0] == name:
                return s
        raise Failure("no step %r ran (ran: %s)" % (name, [s[0] for s in self.steps]))

    def log(self):
        return "\n".join("== %s [%s rc=%s]\n%s%s" % (n, st, rc, o, e) for n, st, rc, o, e in self.steps)


class Store:
    """Artifacts: name -> list of (run id, directory)."""

    def __init__(self, root):
        self.root = root
        self.items = []

    def put(self, name, run_id, src):
        dst = os.path.join(self.root, "%s-%s" % (run_id, name))
        shutil.copytree(src, dst)
        self.items.append((name, run_id, dst))

    def get(self, name, run_id):
        for n, r, d in self.items:
            if n == name and str(r) == str(run_id):
                return d
        raise Failure("no artifact %s of run %s" % (name, run_id))


def _parse_env_file(path):
    out = {}
    if not os.path.exists(path):
        return out
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delim = line.split("<<", 1)
            val = []
            i += 1
            while i < len(lines) and lines[i] != delim:
                val.append(lines[i])
                i += 1
            out[name] = "\n".join(val)
        elif "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
        i += 1
    return out


def run_github_workflow(path, ctx):
    """Run the single job of a GitHub workflow. ctx: dict with workspace,
    workdir, env (base environment: PATH, armsim's cloud settings), table
    (expression values), standin, store, run_id, cmkctl_dir, event."""
    with open(path) as f:
        wf = yaml.safe_load(f)
    on = wf.get("on", wf.get(True))
    check(ctx["event"] in on, "%s does not run on %s" % (path, ctx["event"]))
    (job_name, job), = wf["jobs"].items()
    res = JobResult()
    temp = os.path.join(ctx["workdir"], "runner-temp-%s" % ctx["run_id"])
    os.makedirs(temp, exist_ok=True)
    table = dict(ctx["table"])
    table["runner.temp"] = temp
    expr = Expr(table, [st.get("id") for st in job["steps"] if st.get("id")])
    env = dict(ctx["env"])
    env.update({"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_WORKSPACE": ctx["workspace"], "RUNNER_TEMP": temp,
                "GITHUB_RUN_ID": str(ctx["run_id"]), "GITHUB_EVENT_NAME": ctx["event"]})
    env.update(ctx["github_env"])
    # GitHub: workflow and job `env:` see only these contexts (no runner, no steps)
    top = Expr({k: v for k, v in table.items()
                if k.split(".")[0] in ("github", "vars", "secrets", "inputs", "matrix", "needs", "strategy")})
    for k, v in (wf.get("env") or {}).items():
        env[k] = str(top.substitute(v))
    for k, v in (job.get("env") or {}).items():
        env[k] = str(top.substitute(v))
    # the OIDC subject GitHub gives this job
    st = ctx["standin"]
    st.issuer = "https://token.actions.githubusercontent.com"
    st.audience = "api://AzureADTokenExchange"
    if job.get("environment"):
        st.subject = "repo:%s:environment:%s" % (ctx["repo"], job["environment"])
    elif ctx["event"] == "pull_request":
        st.subject = "repo:%s:pull_request" % ctx["repo"]
    else:
        st.subject = "repo:%s:ref:refs/heads/main" % ctx["repo"]
    status = "success"
    for n, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or "step%d" % n
        sid = step.get("id")
        cond = str(step.get("if", "success()"))
        if not re.search(r"\b(success|failure|always|cancelled)\(\)", cond):
            # GitHub: a condition without a status function means success() && it
            cond = "success() && (%s)" % re.sub(r"^\$\{\{|\}\}$", "", cond.strip())
        if not expr.evaluate(cond, status):
            res.steps.append((name, "skipped", None, "", ""))
            continue
        senv = dict(env)
        for k, v in (step.get("env") or {}).items():
            senv[k] = str(expr.substitute(v, status))
        files = {k: os.path.join(temp, "%s-%d" % (k.lower(), n)) for k in
                 ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")}
        for k, p in files.items():
            open(p, "w").close()
            senv[k] = p
        rc, out, err = 0, "", ""
        if "uses" in step:
            action = step["uses"].split("@")[0]
            w = {k: expr.substitute(v, status) for k, v in (step.get("with") or {}).items()}
            res.standins.append(name)
            if action == "actions/checkout":
                pass  # the workspace is the repository at the event's commit
            elif action == "actions/upload-artifact":
                ctx["store"].put(w["name"], ctx["run_id"], w["path"])
                st.artifacts.append({"name": w["name"], "workflow_run": {"id": ctx["run_id"]},
                                     "created_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) +
                                     ".%06dZ" % ctx["run_id"], "expired": False})
            elif action == "actions/download-artifact":
                check(w.get("github-token"), "download from another run needs github-token")
                src = ctx["store"].get(w["name"], w["run-id"])
                shutil.copytree(src, w["path"], dirs_exist_ok=True)
            else:
                raise Failure("no stand-in for action %s" % action)
        elif sid == "install-cmkctl":
            res.standins.append(name)
            with open(files["GITHUB_PATH"], "w") as f:
                f.write(ctx["cmkctl_dir"] + "\n")
        else:
            rc, out, err = _run_bash(expr.substitute(step["run"], status), senv, ctx["workspace"],
                                     temp, "%d-%s" % (n, name), True)
        # what the step handed to later steps
        for k, v in _parse_env_file(files["GITHUB_ENV"]).items():
            env[k] = v
        for p in open(files["GITHUB_PATH"]).read().split():
            env["PATH"] = p + ":" + env["PATH"]
        if sid:
            for k, v in _parse_env_file(files["GITHUB_OUTPUT"]).items():
                table["steps.%s.outputs.%s" % (sid, k)] = v
        summary = open(files["GITHUB_STEP_SUMMARY"]).read()
        if summary:
            res.summaries.append(summary)
        sstatus = "success" if rc == 0 else "failure"
        res.steps.append((name, sstatus, rc, out, err))
        if rc != 0:
            status = "failure"
            res.ok = False
    return res


def _azp_steps(pipeline):
    if "steps" in pipeline:
        return pipeline["steps"], {}
    (job,) = pipeline["jobs"]
    if "deployment" in job:
        return job["strategy"]["runOnce"]["deploy"]["steps"], job
    return job["steps"], job


def run_azure_pipeline(path, ctx):
    """Run an Azure Pipelines YAML (one job). ctx as for GitHub, with
    `variables` (predefined and user variables by their macro names)."""
    with open(path) as f:
        pl = yaml.safe_load(f)
    steps, job = _azp_steps(pl)
    res = JobResult()
    temp = os.path.join(ctx["workdir"], "agent-temp-%s" % ctx["run_id"])
    os.makedirs(temp, exist_ok=True)
    variables = dict(ctx["variables"])
    variables.update({"Agent.TempDirectory": temp, "Build.BuildId": str(ctx["run_id"])})
    for k, v in (pl.get("variables") or {}).items():
        variables[k] = str(v)
    secret_vars = {"System.AccessToken"}
    st = ctx["standin"]
    st.issuer = "https://vstoken.dev.azure.com/00000000-0000-4000-8000-0000000000aa"
    st.audience = "api://AzureADTokenExchange"
    st.subject = "sc://org/proj/cmkctl-azure"

    def env_of(extra):
        e = dict(ctx["env"])
        # every variable but a secret one is in the environment, named
        # like Azure Pipelines names it (System.TeamProject -> SYSTEM_TEAMPROJECT)
        for k, v in variables.items():
            if k not in secret_vars:
                e[k.upper().replace(".", "_")] = v
        e["TF_BUILD"] = "True"
        e.update(extra)
        return e

    def macro(text, strict):
        def repl(m):
            name = m.group(1)
            if name in variables:
                return variables[name]
            if strict:
                raise Failure("template uses $(%s), which this runner does not provide" % name)
            return m.group(0)  # Azure Pipelines leaves unknown macros alone
        return re.sub(r"\$\(([A-Za-z_][\w.]*)\)", repl, text)

    def condition(text, status):
        funcs = {"succeeded": lambda: status == "success", "failed": lambda: status == "failure",
                 "succeededOrFailed": lambda: True, "always": lambda: True,
                 "_and": lambda *a: all(a), "_or": lambda *a: any(a), "_not": lambda a: not a,
                 "eq": lambda a, b: str(a).lower() == str(b).lower(),
                 "ne": lambda a, b: str(a).lower() != str(b).lower()}

        def var(m):
            name = m.group(1)
            if name not in variables:
                raise Failure("condition uses variables['%s'], not provided" % name)
            return repr(variables[name])
        py = re.sub(r"variables\['([^']+)'\]", var, text)
        py = re.sub(r"\b(and|or|not)\(", r"_\1(", py)  # Python keywords
        return eval(py, {"__builtins__": {}}, funcs)

    status = "success"
    for n, step in enumerate(steps):
        name = step.get("displayName") or step.get("name") or step.get("task") or \
            ("checkout" if "checkout" in step else "step%d" % n)
        if not condition(step.get("condition", "succeeded()"), status):
            res.steps.append((name, "skipped", None, "", ""))
            continue
        extra = {k: macro(str(v), True) for k, v in (step.get("env") or {}).items()}
        rc, out, err = 0, "", ""
        if "checkout" in step:
            res.standins.append(name)
        elif "task" in step:
            task = step["task"]
            inputs = {k: macro(str(v), True) for k, v in (step.get("inputs") or {}).items()}
            res.standins.append(name)
            if task == "PublishPipelineArtifact@1":
                ctx["store"].put(inputs["artifact"], ctx["run_id"], inputs["targetPath"])
                b = next((b for b in st.builds if b["id"] == ctx["run_id"]), None)
                if not b:
                    b = {"id": ctx["run_id"], "artifacts": set()}
                    st.builds.append(b)
                b["artifacts"].add(inputs["artifact"])
            elif task == "DownloadPipelineArtifact@2":
                check(inputs.get("source") == "specific" and inputs.get("runVersion") == "specific",
                      "download from a specific run")
                src = ctx["store"].get(inputs["artifact"], inputs["runId"])
                shutil.copytree(src, inputs["path"], dirs_exist_ok=True)
            else:
                raise Failure("no stand-in for task %s" % task)
        elif step.get("name") == "installCmkctl":
            res.standins.append(name)
            out = "##vso[task.prependpath]%s\n" % ctx["cmkctl_dir"]
        else:
            rc, out, err = _run_bash(macro(step["script"], False), env_of(extra), ctx["workspace"], temp,
                                     "%d-%s" % (n, name), False)
        for line in out.splitlines():
            m = re.match(r"##vso\[([\w.]+)([^\]]*)\](.*)", line)
            if not m:
                continue
            cmd, props, val = m.group(1), dict(p.strip().split("=", 1) for p in m.group(2).split(";")
                                                if "=" in p), m.group(3)
            if cmd == "task.setvariable":
                key = props["variable"]
                if props.get("isOutput") == "true":
                    key = "%s.%s" % (step.get("name"), key)
                variables[key] = val
            elif cmd == "task.prependpath":
                ctx["env"]["PATH"] = val + ":" + ctx["env"]["PATH"]
            elif cmd == "task.uploadsummary":
                with open(val) as f:
                    res.summaries.append(f.read())
            elif cmd == "task.logissue":
                res.summaries.append("ISSUE %s: %s" % (props.get("type"), val))
        sstatus = "success" if rc == 0 else "failure"
        res.steps.append((name, sstatus, rc, out, err))
        if rc != 0:
            status = "failure"
            res.ok = False
    return res
