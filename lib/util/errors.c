/* errors.c - the calling thread's last error message (libgit2 style). */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

/* One slot per thread: the only mutable state in the library that is not
 * hung off a handle. Long messages are cut, never allocated, so reporting
 * ENOMEM cannot itself fail. */
static _Thread_local char last_msg[1024];

RH_EXTERN const char *
rh_error_last(void)
{
	return last_msg;
}

RH_EXTERN void
rh_error_clear(void)
{
	last_msg[0] = '\0';
}

RH_EXTERN const char *
rh_error_name(int code)
{
	switch (code) {
	case RH_OK: return "RH_OK";
	case RH_ERROR: return "RH_ERROR";
	case RH_ENOTFOUND: return "RH_ENOTFOUND";
	case RH_EEXISTS: return "RH_EEXISTS";
	case RH_EINVAL: return "RH_EINVAL";
	case RH_ECORRUPT: return "RH_ECORRUPT";
	case RH_EIO: return "RH_EIO";
	case RH_ENOMEM: return "RH_ENOMEM";
	case RH_EBUSY: return "RH_EBUSY";
	case RH_EACCES: return "RH_EACCES";
	case RH_ITEROVER: return "RH_ITEROVER";
	default: return "RH_UNKNOWN";
	}
}

int
rh__verror(int code, const char *fmt, va_list ap)
{
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	return code;
}

int
rh__error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rh__verror(code, fmt, ap);
	va_end(ap);
	return code;
}

int
rh__version_check(unsigned version, unsigned want, const char *type)
{
	if (version == want)
		return 0;
	return rh__error(RH_EINVAL,
	                 "%s: version %u, this library knows %u "
	                 "(initialise it with its _INIT macro)",
	                 type, version, want);
}
