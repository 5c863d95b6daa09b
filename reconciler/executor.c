/*
 * executor.c - the scheduler: runs a plan's steps, each as soon as it is
 * ready, through the handler of its kind (exec_steps.c), and records how
 * each ended (see executor.h and exec_internal.h).
 */
#include "reconciler/executor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/arm_id.h"
#include "common/vec.h"
#include "providers/adapter_resource.h"
#include "reconciler/exec_internal.h"

/* Sending the same request again after waiting for a busy resource. */
#define EXEC_BUSY_RETRIES 3

bool exec__canceled(const exec_run *w)
{
	return arm_client_canceled(w->c);
}

bool exec__op_running(const arm_op *op)
{
	return op->state == ARM_OP_POLL_WAIT || op->state == ARM_OP_FINAL_GET;
}

int exec__add_op(exec_run *w, arm_op *op, size_t step, exec_op_role role)
{
	int error;

	if ((error = cmk_vec_reserve(&w->ops, &w->cap, w->n + 1, sizeof(*w->ops), 0)) < 0 ||
	    (error = cmk_vec_reserve(&w->add, &w->add_cap, w->add_n + 1, sizeof(*w->add), 0)) < 0)
		return error;
	w->ops[w->n++] = (exec_op){ op, step, role, false };
	w->add[w->add_n++] = op;
	w->changed = true;
	return 0;
}

void exec__fail(exec_run *w, size_t i, const char *msg)
{
	report_step *rs = &w->r->steps[i];

	rs->status = REPORT_FAILED;
	rs->ended_ms = arm_now_ms();
	w->changed = true; /* dependents are skipped at the next schedule */
	if (report_step_set_error(rs, msg && *msg ? msg : "failed") < 0)
		cmk_error_clear();
	if (w->o->progress) {
		char buf[2048];

		snprintf(buf, sizeof(buf), "failed: %s", msg && *msg ? msg : "failed");
		progress_event(w->o->progress, w->p->steps[i].id, buf);
	}
}

void exec__fail_err(exec_run *w, size_t i, const arm_error *err)
{
	char *line = err ? arm_error_line(err) : NULL;

	exec__fail(w, i, line ? line : cmk_error_last());
	free(line);
}

static void exec__succeed(exec_run *w, size_t i, cJSON *readback)
{
	report_step *rs = &w->r->steps[i];

	rs->status = REPORT_SUCCEEDED;
	rs->ended_ms = arm_now_ms();
	w->changed = true; /* dependents may be ready */
	cJSON_Delete(rs->readback);
	rs->readback = readback;
	if (w->o->progress)
		progress_event(w->o->progress, w->p->steps[i].id, "succeeded");
}

void exec__mark_running(exec_run *w, size_t i)
{
	w->r->steps[i].status = REPORT_RUNNING;
	w->r->steps[i].started_ms = arm_now_ms();
	if (w->o->progress)
		progress_event(w->o->progress, w->p->steps[i].id, "started");
}

void exec__mark_pending(exec_run *w, size_t i)
{
	w->r->steps[i].status = REPORT_PENDING;
	w->r->steps[i].started_ms = 0;
}

/* ---- starting one step ----------------------------------------------- */

static int exec__wait_idle(exec_run *w, const exec_handler *h, const plan_step *s)
{
	if (h->wait_idle)
		return h->wait_idle(w, s);
	return adapter_resource_wait_idle(w->c, s->lock ? s->lock : s->target);
}

/*
 * Azure AD replication: a principal made or granted moments ago (an
 * identity or key.grant step this step depends on, or the grant itself) can
 * be unknown to role assignments (400 PrincipalNotFound) and to Key Vault
 * (400 "Failed to validate key") for minutes. Such a write was refused, not
 * accepted, so it is sent again - within this window, after this pause.
 */
#define EXEC_REPLICATION_WINDOW_MS (20LL * 60 * 1000)
#define EXEC_REPLICATION_PAUSE_MS (30LL * 1000)

/* The principal (or the step that makes it) step s waits for, when err is
 * a replication delay; NULL otherwise. */
static const char *exec__replication_of(const exec_run *w, const plan_step *s, const arm_error *err)
{
	const plan_step *from = s->kind == PLAN_STEP_KEY_GRANT ? s : NULL;
	const char *principal;

	if (!err || err->http_status != 400 || !err->message ||
	    !((err->arm_code && strcasecmp(err->arm_code, "PrincipalNotFound") == 0) ||
	      strcasestr(err->message, "validate key") || strcasestr(err->message, "does not exist in the directory")))
		return NULL;
	for (size_t k = 0; !from && k < s->dep_count; k++) {
		const plan_step *d = &w->p->steps[s->depends_on[k]];

		if (d->kind == PLAN_STEP_KEY_GRANT || d->kind == PLAN_STEP_IDENTITY_CREATE ||
		    d->kind == PLAN_STEP_KUSTO_IDENTITY_UPDATE)
			from = d;
	}
	if (!from)
		return NULL;
	principal = plan_step_param_str(from, "principalId");
	return principal && *principal && *principal != '@' ? principal : from->id;
}

/* Wait for the replication of `principal` before sending step i again:
 * 1 when it is time to, 0 when the window is over. */
static int exec__replication_wait(exec_run *w, size_t i, const char *principal, int64_t *deadline)
{
	const plan_step *s = &w->p->steps[i];
	int64_t now = arm_now_ms();

	if (!*deadline)
		*deadline = now + arm_client_scale_ms(w->c, EXEC_REPLICATION_WINDOW_MS);
	if (now >= *deadline)
		return 0;
	if (w->o->progress)
		progress_status(w->o->progress, s->id, "waiting for Azure AD replication of principal");
	if (w->o->progress)
		progress_note(w->o->progress, "%s: waiting for Azure AD replication of principal %s", s->id,
			      principal);
	if (report_step_set_note(&w->r->steps[i], "waited for Azure AD replication of its principal") < 0)
		cmk_error_clear();
	usleep((useconds_t)(arm_client_scale_ms(w->c, EXEC_REPLICATION_PAUSE_MS) * 1000 + 1000));
	return 1;
}

/*
 * Send step i's write; when ARM answers that the resource is busy with an
 * operation the plan did not show, wait for it and send the same request
 * again (at most EXEC_BUSY_RETRIES times). 1: interrupted before sending.
 */
static int exec__send(exec_sent *out, exec_run *w, size_t i, const exec_handler *h)
{
	const plan_step *s = &w->p->steps[i];
	report_step *rs = &w->r->steps[i];
	int error;

	int64_t replication_deadline = 0;
	const char *principal;

	for (unsigned attempt = 0;; attempt++) {
		if (exec__canceled(w))
			return 1;
		rs->writes++;
		error = h->send(out, w, s);
		if (error < 0 && (principal = exec__replication_of(w, s, out->err)) != NULL &&
		    exec__replication_wait(w, i, principal, &replication_deadline)) {
			arm_error_free(out->err);
			arm_op_free(out->op);
			cJSON_Delete(out->readback);
			*out = (exec_sent){ 0 };
			cmk_error_clear();
			attempt--;
			continue;
		}
		if (error == 0 || !out->err || out->err->klass != ARM_ERROR_WAIT_RUNNING ||
		    attempt >= EXEC_BUSY_RETRIES)
			return error;
		if (w->o->progress)
			progress_note(w->o->progress, "%s: %s; waiting for it to finish", s->id, out->err->message);
		if (report_step_set_note(rs, "waited for a running operation, then sent again") < 0)
			cmk_error_clear();
		arm_error_free(out->err);
		arm_op_free(out->op);
		cJSON_Delete(out->readback);
		*out = (exec_sent){ 0 };
		if ((error = exec__wait_idle(w, h, s)) < 0)
			return error;
	}
}

int exec__start(exec_run *w, size_t i)
{
	const plan_step *s = &w->p->steps[i];
	const exec_handler *h = exec__handler(s->kind);
	exec_sent sent = { 0 };
	int error;

	exec__mark_running(w, i);
	if (h && h->wait) {
		arm_op *op = NULL;

		if ((error = h->wait(&op, s)) < 0)
			return error;
		return exec__add_op(w, op, i, h->wait_role);
	}
	if (!h || !h->send) {
		exec__fail(w, i, cmk_error_set(CMK_EINVALID, "step %s: kind %s is not a write", s->id,
					       plan_step_kind_name(s->kind)) < 0 ? cmk_error_last() : NULL);
		return 0;
	}
	if ((error = exec__send(&sent, w, i, h)) == 1 ||
	    (error == CMK_ECANCELED && exec__canceled(w) && !sent.err)) {
		exec__mark_pending(w, i);
	} else if (error < 0) {
		exec__fail_err(w, i, sent.err);
	} else if (!sent.op) {
		exec__succeed(w, i, sent.readback);
		sent.readback = NULL;
	} else if (sent.op->state == ARM_OP_SUCCEEDED && sent.op->mode == ARM_POLL_NONE) {
		/* answered synchronously (a tags-only PATCH, a delete of an empty cluster) */
		exec__succeed(w, i, sent.op->result);
		sent.op->result = NULL;
	} else {
		if (w->o->journal && (error = opstate_add(w->o->journal, s->id, sent.op)) < 0)
			goto out;
		if ((error = exec__add_op(w, sent.op, i, EXEC_OP_WRITE)) == 0)
			sent.op = NULL;
		goto out;
	}
	error = 0;
out:
	arm_error_free(sent.err);
	cJSON_Delete(sent.readback);
	arm_op_free(sent.op);
	return error;
}

/* ---- recording what ended ------------------------------------------------ */

/*
 * May the write of step `i`, whose operation ended Failed, be sent again
 * once? Only a service-side failure (InternalServerError) of a kind whose
 * write sets the same properties again (PLAN_KIND_RESEND: a cluster's key
 * or settings, a Kusto cluster's identity or key). Never a link or unlink
 * (each counts against the workspace's two per 30 days, failed or not), a
 * create or a delete.
 */
static bool exec__resend_safe(const exec_run *w, size_t i, const arm_op *op)
{
	return (plan_step_kind_flags(w->p->steps[i].kind) & PLAN_KIND_RESEND) && !w->resent[i] &&
	       arm_error_is_service_fault(op->error);
}

static void exec__journal_forget(exec_run *w, const exec_op *x, bool *changed)
{
	if (w->o->journal && x->role == EXEC_OP_WRITE) {
		opstate_remove(w->o->journal, x->op->resource_id);
		*changed = true;
	}
}

/* An operation that ended Failed or Canceled. */
static void exec__ended_badly(exec_run *w, exec_op *x, bool final, bool *journal_changed)
{
	report_step *rs = &w->r->steps[x->step];
	arm_op *op = x->op;

	if (plan_step_kind_flags(w->p->steps[x->step].kind) & PLAN_KIND_WAIT) {
		/* a wait is for the resource to be idle: someone else's
		 * operation that failed leaves it so */
		if (report_step_set_note(rs, "the running operation ended Failed or Canceled") < 0)
			cmk_error_clear();
		exec__succeed(w, x->step, NULL);
		return;
	}
	if (op->state == ARM_OP_FAILED && x->role == EXEC_OP_WRITE && !final && !exec__canceled(w) &&
	    exec__resend_safe(w, x->step, op)) {
		/* the step goes back to pending: the next schedule sends the
		 * same request again */
		w->resent[x->step] = true;
		exec__journal_forget(w, x, journal_changed);
		if (report_step_set_note(rs, "its operation failed (InternalServerError): sent again once") < 0)
			cmk_error_clear();
		if (w->o->progress)
			progress_note(w->o->progress, "%s: %s; sending it again", w->p->steps[x->step].id,
				      op->error->message);
		exec__mark_pending(w, x->step);
		return;
	}
	exec__journal_forget(w, x, journal_changed);
	exec__fail_err(w, x->step, op->error);
}

/* Run verify_all of each kind that has one over the steps collected. */
static int exec__verify_collected(exec_run *w, size_t nverify)
{
	int error;

	for (int k = 0; k < PLAN_STEP__COUNT && nverify; k++) {
		const exec_handler *h = exec__handler((plan_step_kind)k);
		size_t n = 0;

		if (!h || !h->verify_all)
			continue;
		for (size_t j = 0; j < nverify; j++)
			if (w->p->steps[w->verify[j]].kind == (plan_step_kind)k)
				w->scratch[n++] = w->verify[j];
		if (n && (error = h->verify_all(w, w->scratch, n)) < 0)
			return error;
	}
	return 0;
}

/*
 * Record how every operation that ended did, in the report and the
 * journal. `final`: the wait is over; an operation still not ended was
 * interrupted (it stays in the journal) or could not be followed.
 */
static int exec__harvest(exec_run *w, bool final)
{
	size_t nverify = 0;
	bool journal_changed = false;
	int error;

	for (size_t k = 0; k < w->n; k++) {
		exec_op *x = &w->ops[k];
		const exec_handler *h = exec__handler(w->p->steps[x->step].kind);
		report_step *rs = &w->r->steps[x->step];
		arm_op *op = x->op;

		if (x->done)
			continue;
		if (exec__op_running(op) && !final) {
			if (w->o->progress && op->last_status)
				progress_status(w->o->progress, w->p->steps[x->step].id, op->last_status);
			continue;
		}
		x->done = true;
		w->changed = true;
		rs->polls += op->polls;
		if (op->state == ARM_OP_SUCCEEDED) {
			exec__journal_forget(w, x, &journal_changed);
			exec__succeed(w, x->step, op->result);
			op->result = NULL;
			if (h && h->verify && x->role == EXEC_OP_WRITE)
				h->verify(w, x->step);
			else if (h && h->verify_all && x->role == EXEC_OP_WRITE)
				w->verify[nverify++] = x->step;
		} else if (op->state == ARM_OP_FAILED || op->state == ARM_OP_CANCELED) {
			exec__ended_badly(w, x, final, &journal_changed);
		} else if (exec__canceled(w)) {
			/* still running in Azure: the journal keeps it */
			rs->ended_ms = arm_now_ms();
			if (w->o->progress)
				progress_event(w->o->progress, w->p->steps[x->step].id,
					       "interrupted (still running in Azure)");
		} else {
			/* timed out or could not be followed: the journal keeps
			 * it, the next apply waits again */
			exec__fail_err(w, x->step, op->error);
		}
	}
	if ((error = exec__verify_collected(w, nverify)) < 0)
		return error;
	if (journal_changed && (error = opstate_save(w->o->journal)) < 0)
		return error;
	return 0;
}

/* ---- scheduling ------------------------------------------------------- */

/* Skip steps whose dependencies did not (and will not) succeed. */
static void exec__propagate(const plan *p, report *r)
{
	for (size_t i = 0; i < p->step_count; i++) {
		report_step *rs = &r->steps[i];

		if (rs->status != REPORT_PENDING)
			continue;
		for (size_t d = 0; d < p->steps[i].dep_count; d++) {
			size_t dep = p->steps[i].depends_on[d];
			report_status ds = r->steps[dep].status;

			if (ds == REPORT_FAILED || ds == REPORT_SKIPPED) {
				rs->status = REPORT_SKIPPED;
				/* name the step that failed, not an intermediate skip */
				if ((rs->skipped_because = strdup(ds == REPORT_SKIPPED && r->steps[dep].skipped_because
									  ? r->steps[dep].skipped_because
									  : p->steps[dep].id)) == NULL)
					cmk_error_clear();
				break;
			}
		}
	}
}

static bool exec__ready(const plan *p, const report *r, size_t i)
{
	if (r->steps[i].status != REPORT_PENDING)
		return false;
	for (size_t d = 0; d < p->steps[i].dep_count; d++)
		if (r->steps[p->steps[i].depends_on[d]].status != REPORT_SUCCEEDED)
			return false;
	return true;
}

static bool exec__batched(const plan_step *s)
{
	return (plan_step_kind_flags(s->kind) & PLAN_KIND_BATCH) != 0;
}

static exec_lock *exec__lock(exec_run *w, const char *lock)
{
	for (size_t k = 0; k < w->nlocks; k++)
		if (arm_id_equal(w->locks[k].lock, lock))
			return &w->locks[k];
	w->locks[w->nlocks] = (exec_lock){ lock, 0, 0 };
	return &w->locks[w->nlocks++];
}

/* Which steps may start now: w->ready (one by one) and w->batch (sent
 * together per kind). A lock held by a write admits nothing else; batch
 * steps may share a lock with each other, not with a write. */
static void exec__pick(exec_run *w, size_t *nready, size_t *nbatch)
{
	const plan *p = w->p;

	w->nlocks = 0;
	for (size_t i = 0; i < p->step_count; i++) {
		exec_lock *l;

		if (w->r->steps[i].status != REPORT_RUNNING || !p->steps[i].lock)
			continue;
		l = exec__lock(w, p->steps[i].lock);
		if (exec__batched(&p->steps[i]))
			l->batch++;
		else
			l->writes++;
	}
	for (size_t i = 0; i < p->step_count; i++) {
		bool batched = exec__batched(&p->steps[i]);
		exec_lock *l = NULL;

		if (!exec__ready(p, w->r, i))
			continue;
		if (p->steps[i].lock) {
			l = exec__lock(w, p->steps[i].lock);
			if (l->writes || (!batched && l->batch))
				continue;
		}
		if (batched) {
			w->batch[(*nbatch)++] = i;
			if (l)
				l->batch++;
		} else {
			w->ready[(*nready)++] = i;
			if (l)
				l->writes++;
		}
	}
}

/* Start the batch steps picked, each kind's together. */
static int exec__start_batches(exec_run *w, size_t nbatch)
{
	int error;

	for (int k = 0; k < PLAN_STEP__COUNT && nbatch; k++) {
		const exec_handler *h = exec__handler((plan_step_kind)k);
		size_t n = 0;

		for (size_t j = 0; j < nbatch; j++)
			if (w->p->steps[w->batch[j]].kind == (plan_step_kind)k)
				w->scratch[n++] = w->batch[j];
		if (!n || exec__canceled(w))
			continue;
		if (h && h->send_all) {
			if ((error = h->send_all(w, w->scratch, n)) < 0)
				return error;
			continue;
		}
		for (size_t j = 0; j < n; j++)
			if ((error = exec__start(w, w->scratch[j])) < 0)
				return error;
	}
	return 0;
}

/*
 * Start every step that is ready: its dependencies succeeded and no other
 * step holds its cluster's lock. Steps that end at once (synchronous
 * writes) make others ready: repeat until nothing more starts.
 */
static int exec__schedule(exec_run *w)
{
	int error;

	while (w->changed) {
		size_t nready = 0, nbatch = 0;

		w->changed = false;
		exec__propagate(w->p, w->r);
		if (exec__canceled(w))
			return 0;
		exec__pick(w, &nready, &nbatch);
		for (size_t k = 0; k < nready; k++) {
			if (exec__canceled(w))
				break;
			if ((error = exec__start(w, w->ready[k])) < 0)
				return error;
		}
		if ((error = exec__start_batches(w, nbatch)) < 0)
			return error;
		if (nready + nbatch && w->o->journal && (error = opstate_save(w->o->journal)) < 0)
			return error;
	}
	return 0;
}

/* arm_op_wait_opts.more: record what ended, start what became ready. */
static int exec__more(void *ud, arm_client *c, arm_op ***add, size_t *nadd)
{
	exec_run *w = ud;
	int error;

	(void)c;
	w->add_n = 0;
	if ((error = exec__harvest(w, false)) < 0 || (error = exec__schedule(w)) < 0) {
		/* journal I/O: stop starting steps, let the running ones end */
		if (!w->error)
			w->error = error;
		if (!w->r->error)
			w->r->error = strdup(cmk_error_last());
	} else if (w->o->progress) {
		progress_tick(w->o->progress);
	}
	*add = w->add;
	*nadd = w->add_n;
	return 0;
}

/* ---- the run ---------------------------------------------------------- */

static int exec__alloc(exec_run *w, size_t nsteps)
{
	if (!(w->ready = calloc(nsteps, sizeof(*w->ready))) || !(w->batch = calloc(nsteps, sizeof(*w->batch))) ||
	    !(w->verify = calloc(nsteps, sizeof(*w->verify))) || !(w->scratch = calloc(nsteps, sizeof(*w->scratch))) ||
	    !(w->locks = calloc(nsteps, sizeof(*w->locks))) || !(w->resent = calloc(nsteps, sizeof(*w->resent))))
		return cmk_error_oom();
	return 0;
}

static void exec__release(exec_run *w)
{
	for (size_t k = 0; k < w->n; k++)
		arm_op_free(w->ops[k].op);
	free(w->ops);
	free(w->add);
	free(w->ready);
	free(w->batch);
	free(w->verify);
	free(w->scratch);
	free(w->locks);
	free(w->resent);
}

/* The run's result once every step ended or was left (report counted). */
static int exec__result(report *r)
{
	if (r->interrupted)
		return cmk_error_set(CMK_ECANCELED, "interrupted: %zu step%s not started, %zu still running in Azure",
				     r->pending, r->pending == 1 ? "" : "s", r->running);
	if (!report_ok(r))
		return cmk_error_set(CMK_ERROR, "%zu step%s failed, %zu skipped", r->failed, r->failed == 1 ? "" : "s",
				     r->skipped);
	return 0;
}

int executor_run(report *r, arm_client *c, const plan *p, const executor_opts *opts)
{
	executor_opts o = opts ? *opts : (executor_opts){ 0 };
	exec_run w = { .c = c, .p = p, .r = r, .o = &o, .changed = true };
	arm_op_wait_opts wo = { 0 };
	int error = 0;

	if (!o.parallelism)
		o.parallelism = EXECUTOR_DEFAULT_PARALLELISM;
	r->started_ms = arm_now_ms();
	if (arm_client_correlation_id(c) && !r->correlation_id)
		r->correlation_id = strdup(arm_client_correlation_id(c));
	if ((error = exec__alloc(&w, p->step_count ? p->step_count : 1)) < 0)
		goto out;
	if (!plan_is_applicable(p)) {
		error = cmk_error_set(CMK_EINVALID, "the plan has %zu blocked step%s: it cannot be applied",
				      p->summary.blocked_steps, p->summary.blocked_steps == 1 ? "" : "s");
		goto out;
	}
	/* one wait for the whole run: `more` starts each step the moment its
	 * dependencies succeeded, the observe hook watches links */
	wo.observe = exec__observe;
	wo.observe_ud = &w;
	wo.observe_ms = o.observe_ms ? o.observe_ms : 10000;
	wo.more = exec__more;
	wo.more_ud = &w;
	if (arm_op_wait_all(c, NULL, 0, &wo) < 0)
		cmk_error_clear(); /* each operation's end is harvested below */
	if ((error = exec__harvest(&w, true)) < 0)
		goto out;
	exec__propagate(p, r);
	if (w.error) {
		error = w.error;
		cmk_error_set(error, "%s", r->error ? r->error : "failed");
	}
out:
	if (error < 0 && !r->error)
		r->error = strdup(cmk_error_last());
	exec__release(&w);
	if (arm_client_canceled(c))
		r->interrupted = true;
	r->ended_ms = arm_now_ms();
	report_count(r);
	return error < 0 ? error : exec__result(r);
}
