#include "handlers/jobs.h"

#include "handlers/pacing.h"
#include "handlers/pacing_async.h"
#include "handlers/reminders.h"
#include "handlers/reportback.h"

int jobs_run(struct workshop *w, const struct store_job *job, int64_t now)
{
	if (pacing_is_job(job->kind))
		return pacing_run(w, job, now);
	if (pacing_async_is_job(job->kind))
		return pacing_async_run(w, job, now);
	if (reportback_is_job(job->kind))
		return reportback_run(w, job, now);
	return reminders_run(w, job, now);
}
