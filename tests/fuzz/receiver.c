/* Fuzz target for the event receiver's body check (lib/follow_receiver.c): the
 * bytes an aggregator agent POSTs, straight from the network.
 *
 * Every input is checked as a POST body. The answer must be a status the
 * receiver promises (200, 400, 413, 500), with a message exactly when it is
 * not 200; the public check and the internal split must agree; a body one
 * byte over the limit must get 413. An accepted body split into several
 * sessions must give per-session bodies that are accepted again with the
 * same number of events in all, each holding one session only.
 */
#include <rayhist/rayhist.h>

#include "follow_receiver.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s (%s)\n",    \
			        __FILE__, __LINE__, #cond, rh_error_last()); \
			abort();                                             \
		}                                                            \
	} while (0)

static void
check_reply(const rh_receiver_reply *r, int error)
{
	CHECK(error == 0 || error == RH_EINVAL || error == RH_ENOMEM);
	if (error == 0) {
		CHECK(r->status == 200);
		CHECK(r->message[0] == '\0');
		CHECK(r->retry_after == 0);
	} else {
		CHECK(r->status == 400 || r->status == 413 || r->status == 500);
		CHECK(r->message[0] != '\0');
		CHECK(memchr(r->message, '\0', sizeof(r->message)) != NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rh_receiver_reply r, r2;
	rh__rsplit sp;
	unsigned total = 0;
	size_t i;
	int error, e2;

	error = rh__receiver_split(&sp, &r, data, size, 0);
	check_reply(&r, error);
	e2 = rh_receiver_check(&r2, data, size, 0);
	check_reply(&r2, e2);
	CHECK(e2 == error);
	CHECK(r2.status == r.status && r2.events == r.events);
	CHECK(strcmp(r2.message, r.message) == 0);
	if (error < 0) {
		CHECK(sp.ngroups == 0 && sp.groups == NULL);
		goto over;
	}
	CHECK(sp.ngroups <= r.events || (r.events == 0 && sp.ngroups == 0));
	if (sp.ngroups > 1) {
		for (i = 0; i < sp.ngroups; i++) {
			rh__rsplit one;
			rh_receiver_reply r1;
			const rh_buf *b = &sp.groups[i].body;

			CHECK(b->size >= 2);
			error = rh__receiver_split(&one, &r1, b->ptr, b->size,
			                           0);
			CHECK(error == 0);
			CHECK(r1.status == 200);
			CHECK(one.ngroups == 1);
			CHECK(strcmp(one.groups[0].session,
			             sp.groups[i].session) == 0);
			total += r1.events;
			rh__rsplit_free(&one);
		}
		CHECK(total == r.events);
	}
	rh__rsplit_free(&sp);
over:
	/* one byte over the limit is 413, whatever the bytes (a limit of 0
	 * means the default, so not for one-byte bodies) */
	if (size > 1) {
		error = rh_receiver_check(&r, data, size, size - 1);
		CHECK(error == RH_EINVAL && r.status == 413);
	}
	return 0;
}
