/* tests/tsan/criterion/criterion.h - the part of Criterion's API the
 * threaded unit tests use, for running them under ThreadSanitizer.
 *
 * Criterion's runner cannot start under TSan: BoxFort maps its "inheritable
 * arena" at a fixed address inside the range TSan reserves for its shadow
 * memory ("Could not initialize inheritable arena"). The --enable-tsan build
 * compiles the same tests/lib/test_*.c files against this header instead
 * (-I tests/tsan comes first) and links tests/tsan/runner.c, which runs
 * each test in a child process of its own, as Criterion does.
 *
 * Assertion messages take a literal format string first, as every test
 * here does; a failed cr_assert ends the test (the suite's .fini still
 * runs), a failed cr_expect marks it failed and goes on. */
#ifndef RH_TSAN_CRITERION_H
#define RH_TSAN_CRITERION_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct criterion_test_extra_data {
	void (*init)(void);
	void (*fini)(void);
	int exit_code;
	int disabled;
	double timeout;
	const char *description;
};

struct rht_suite {
	const char *name;
	struct criterion_test_extra_data data;
	struct rht_suite *next;
};

struct rht_test {
	const char *suite;
	const char *name;
	void (*fn)(void);
	struct criterion_test_extra_data data;
	struct rht_test *next;
};

void rht_register_test(struct rht_test *t);
void rht_register_suite(struct rht_suite *s);
void rht_fail(int fatal, const char *file, int line, const char *expr,
              const char *fmt, ...);
void rht_skip(const char *fmt, ...);

#define Test(suite, name, ...)                                              \
	static void suite##_##name##_impl(void);                            \
	static struct rht_test suite##_##name##_rht = {                     \
		#suite, #name, suite##_##name##_impl, { __VA_ARGS__ }, NULL \
	};                                                                  \
	__attribute__((constructor)) static void suite##_##name##_reg(void) \
	{                                                                   \
		rht_register_test(&suite##_##name##_rht);                   \
	}                                                                   \
	static void suite##_##name##_impl(void)

#define TestSuite(suite, ...)                                                \
	static struct rht_suite suite##_rht_suite = { #suite,                \
		                                      { __VA_ARGS__ },       \
		                                      NULL };                \
	__attribute__((constructor)) static void suite##_rht_suite_reg(void) \
	{                                                                    \
		rht_register_suite(&suite##_rht_suite);                      \
	}

/* "" fmt: an optional literal format string and its arguments. */
#define RHT_CHECK(fatal, cond, expr, ...)                         \
	do {                                                      \
		if (!(cond))                                      \
			rht_fail(fatal, __FILE__, __LINE__, expr, \
			         "" __VA_ARGS__);                 \
	} while (0)

#define cr_assert(c, ...) RHT_CHECK(1, (c), #c, __VA_ARGS__)
#define cr_assert_not(c, ...) RHT_CHECK(1, !(c), "!(" #c ")", __VA_ARGS__)
#define cr_assert_fail(...) RHT_CHECK(1, 0, "cr_assert_fail", __VA_ARGS__)
#define cr_assert_null(p, ...) \
	RHT_CHECK(1, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...) \
	RHT_CHECK(1, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_assert_eq(a, b, ...) \
	RHT_CHECK(1, (a) == (b), #a " == " #b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) \
	RHT_CHECK(1, (a) != (b), #a " != " #b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) \
	RHT_CHECK(1, (a) < (b), #a " < " #b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) \
	RHT_CHECK(1, (a) <= (b), #a " <= " #b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) \
	RHT_CHECK(1, (a) > (b), #a " > " #b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) \
	RHT_CHECK(1, (a) >= (b), #a " >= " #b, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) \
	RHT_CHECK(1, strcmp((a), (b)) == 0, #a " equals " #b, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) \
	RHT_CHECK(1, strcmp((a), (b)) != 0, #a " differs from " #b, __VA_ARGS__)
#define cr_assert_arr_eq(a, b, n, ...)                                    \
	RHT_CHECK(1, memcmp((a), (b), (n)) == 0, #a " == " #b " (bytes)", \
	          __VA_ARGS__)
#define cr_expect(c, ...) RHT_CHECK(0, (c), #c, __VA_ARGS__)
#define cr_expect_eq(a, b, ...) \
	RHT_CHECK(0, (a) == (b), #a " == " #b, __VA_ARGS__)
#define cr_skip_test(...) rht_skip("" __VA_ARGS__)

#endif
