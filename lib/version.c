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
	/* s3:// is always built (libcurl is required); az:// runs on its HTTP
	 * engine. The bits stay so that a caller asks at run time. */
	return RH_FEATURE_FILE | RH_FEATURE_S3 | RH_FEATURE_AZ;
}
