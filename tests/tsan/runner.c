/* tests/tsan/runner.c - runs the unit tests registered through
 * tests/tsan/criterion/criterion.h, each in a child process of its own (so
 * a test's globals, fds and crashes stay its own, as under Criterion).
 *
 * usage: test_x [-l] [SUITE/NAME-prefix ...]
 * Exit status 0 when every test passed or was skipped; 1 when a test
 * failed, crashed, timed out or ThreadSanitizer reported a race in it
 * (TSan ends such a child with status 66, halt_on_error below). */
#include <criterion/criterion.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#define TIMEOUT_S 600
#define EXIT_SKIP 77

const char *__tsan_default_options(void);

/* Stop at the first race, with the stack of both sides. */
const char *
__tsan_default_options(void)
{
	return "halt_on_error=1:exitcode=66:second_deadlock_stack=1";
}

static struct rht_test *tests;
static struct rht_suite *suites;
static jmp_buf bail;
static int failed;
static pthread_t main_thread;

void
rht_register_test(struct rht_test *t)
{
	t->next = tests;
	tests = t;
}

void
rht_register_suite(struct rht_suite *s)
{
	s->next = suites;
	suites = s;
}

void
rht_fail(int fatal, const char *file, int line, const char *expr,
         const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: assertion failed: %s", file, line, expr);
	if (fmt[0]) {
		fputs(": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	failed = 1;
	if (!fatal)
		return;
	/* Only the test's own thread can jump back to run .fini. */
	if (!pthread_equal(pthread_self(), main_thread))
		_exit(1);
	longjmp(bail, 1);
}

void
rht_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("skipped: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_SKIP);
}

static const struct rht_suite *
suite_of(const struct rht_test *t)
{
	const struct rht_suite *s;

	for (s = suites; s; s = s->next)
		if (strcmp(s->name, t->suite) == 0)
			return s;
	return NULL;
}

/* In the child: init, the test, fini (also after a failed cr_assert). */
static int
run_child(const struct rht_test *t)
{
	const struct rht_suite *s = suite_of(t);
	/* volatile: read again after longjmp() */
	void (*volatile init)(void) = t->data.init ? t->data.init :
	                              s            ? s->data.init :
	                                             NULL;
	void (*volatile fini)(void) = t->data.fini ? t->data.fini :
	                              s            ? s->data.fini :
	                                             NULL;

	main_thread = pthread_self();
	alarm(TIMEOUT_S);
	if (setjmp(bail) == 0) {
		if (init)
			init();
		t->fn();
	}
	if (fini)
		fini();
	fflush(NULL);
	return failed ? 1 : t->data.exit_code;
}

static int
selected(const struct rht_test *t, int argc, char **argv)
{
	char full[512];
	int i;

	if (argc <= 1)
		return 1;
	snprintf(full, sizeof(full), "%s/%s", t->suite, t->name);
	for (i = 1; i < argc; i++)
		if (strncmp(full, argv[i], strlen(argv[i])) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct rht_test *t, *rev = NULL;
	unsigned ran = 0, bad = 0, skipped = 0;
	int list = argc > 1 && strcmp(argv[1], "-l") == 0;

	/* constructors ran in file order, each pushing to the front */
	while (tests) {
		t = tests;
		tests = t->next;
		t->next = rev;
		rev = t;
	}
	for (t = rev; t; t = t->next) {
		struct timespec a, b;
		pid_t pid;
		int st;

		if (!selected(t, argc - list, argv + list) || t->data.disabled)
			continue;
		if (list) {
			printf("%s/%s\n", t->suite, t->name);
			continue;
		}
		fflush(NULL);
		clock_gettime(CLOCK_MONOTONIC, &a);
		if ((pid = fork()) < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(run_child(t));
		while (waitpid(pid, &st, 0) < 0)
			;
		clock_gettime(CLOCK_MONOTONIC, &b);
		ran++;
		if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_SKIP) {
			skipped++;
			printf("SKIP %s/%s\n", t->suite, t->name);
		} else if (WIFEXITED(st) &&
		           WEXITSTATUS(st) == t->data.exit_code) {
			printf("PASS %s/%s (%.1f s)\n", t->suite, t->name,
			       (double)(b.tv_sec - a.tv_sec) +
			               (double)(b.tv_nsec - a.tv_nsec) / 1e9);
		} else {
			bad++;
			if (WIFSIGNALED(st))
				printf("FAIL %s/%s: signal %d%s\n", t->suite,
				       t->name, WTERMSIG(st),
				       WTERMSIG(st) == SIGALRM ?
				               " (timed out)" :
				               "");
			else
				printf("FAIL %s/%s: exit status %d%s\n",
				       t->suite, t->name, WEXITSTATUS(st),
				       WEXITSTATUS(st) == 66 ?
				               " (ThreadSanitizer report above)" :
				               "");
		}
		fflush(stdout);
	}
	if (!list)
		printf("%u tests: %u passed, %u failed, %u skipped\n", ran,
		       ran - bad - skipped, bad, skipped);
	return bad ? 1 : (list || ran ? 0 : 1);
}
