/* version.c - the library's version and run-time features. */
#include "internal.h"

RH_EXTERN const char *
rh_version(void)
{
	return PACKAGE_VERSION;
}

RH_EXTERN unsigned
rh_features(void)
{
	unsigned f = RH_FEATURE_FILE;
#ifdef RH_HAVE_S3
	f |= RH_FEATURE_S3 | RH_FEATURE_AZ; /* az:// runs on the s3:// HTTP engine */
#endif
	return f;
}
