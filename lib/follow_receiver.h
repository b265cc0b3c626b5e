/* follow_receiver.h - a checked POST body, split by session (follow_receiver.c, follow_spool.c). */
#ifndef RH_RECEIVER_H
#define RH_RECEIVER_H

#include "internal.h"

typedef struct rh__rgroup {
	char session[256]; /* "" for events without a sessionName */
	rh_buf body;       /* its events as a JSON array; empty when the
				whole body is this one group */
} rh__rgroup;

typedef struct rh__relem {
	size_t start, end; /* bytes of one array element in the body */
	int group;
} rh__relem;

typedef struct rh__rsplit {
	rh__rgroup *groups;
	size_t ngroups, agroups;
	rh__relem *elems;
	size_t nelems, aelems;
} rh__rsplit;

/* Check a body as rh_receiver_check() does and split it by session.
 * @return 0 (reply 200), RH_EINVAL (reply 400/413), RH_ENOMEM. */
int rh__receiver_split(rh__rsplit *sp, rh_receiver_reply *r, const void *body,
                       size_t len, size_t max_body);
void rh__rsplit_free(rh__rsplit *sp);

#endif
