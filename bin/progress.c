/* progress.c - the terminal progress meter (progress.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "cli.h"

#define REDRAW_MS 100

/* "1.2 MiB", "512 B" */
static void
size_text(char *out, size_t cap, double n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (n >= 1024 && u < 4) {
		n /= 1024;
		u++;
	}
	snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", n, unit[u]);
}

void
rh_meter_format(char *buf, size_t cap, const char *label, const rh_progress *p,
                int64_t elapsed_ms)
{
	char done[32], total[32], rate[32];
	size_t n;

	size_text(done, sizeof(done), (double)p->bytes_done);
	size_text(total, sizeof(total), (double)p->bytes_total);
	n = (size_t)snprintf(buf, cap, "%s: %s", label, done);
	if (p->bytes_total && n < cap)
		n += (size_t)snprintf(
			buf + n, cap - n, " of %s (%d%%)", total,
			(int)(p->bytes_done * 100 / p->bytes_total));
	/* work that counts no files (an archive read or written) says none */
	if ((p->files_done || p->files_total) && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, ", %llu",
		                      (unsigned long long)p->files_done);
	if (p->files_total && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, " of %llu",
		                      (unsigned long long)p->files_total);
	if ((p->files_done || p->files_total) && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, " files");
	if (elapsed_ms > 0 && p->bytes_done && n < cap) {
		double bps =
			(double)p->bytes_done * 1000.0 / (double)elapsed_ms;
		size_text(rate, sizeof(rate), bps);
		n += (size_t)snprintf(buf + n, cap - n, ", %s/s", rate);
		if (p->bytes_total > p->bytes_done && n < cap) {
			uint64_t eta = (uint64_t)((double)(p->bytes_total -
			                                   p->bytes_done) /
			                                  bps +
			                          0.5);
			snprintf(buf + n, cap - n, ", ETA %llu:%02llu",
			         (unsigned long long)(eta / 60),
			         (unsigned long long)(eta % 60));
		}
	} else if (n < cap) {
		snprintf(buf + n, cap - n, ", - B/s, ETA -");
	}
}

void
rh_meter_init(rh_meter *m, const char *label, int quiet)
{
	memset(m, 0, sizeof(*m));
	m->label = label;
	m->on = !quiet && isatty(STDERR_FILENO);
	m->start_ms = rh_cli_mono_ms();
	m->last_ms = m->start_ms - REDRAW_MS; /* draw the first update */
}

static void
draw(rh_meter *m, const rh_progress *p, int64_t t)
{
	char line[256];

	m->last_ms = t;
	rh_meter_format(line, sizeof(line), m->label, p, t - m->start_ms);
	/* \r and erase-to-end: the line is redrawn in place */
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	m->drawn = 1;
}

/* The last update of the work: files counted, all done; or, counting no
 * files, all bytes of a known total. */
static int
complete(const rh_progress *p)
{
	if (p->files_total)
		return p->files_done >= p->files_total;
	return p->bytes_total && p->bytes_done >= p->bytes_total;
}

void
rh_meter_update(const rh_progress *p, void *payload)
{
	rh_meter *m = payload;
	int64_t t;

	if (!m->on)
		return;
	t = rh_cli_mono_ms();
	if (t - m->last_ms < REDRAW_MS && !complete(p))
		return;
	draw(m, p, t);
}

void
rh_meter_final(rh_meter *m, const rh_progress *p)
{
	if (m->on)
		draw(m, p, rh_cli_mono_ms());
}

void
rh_meter_done(rh_meter *m)
{
	if (m->on && m->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	m->drawn = 0;
}
