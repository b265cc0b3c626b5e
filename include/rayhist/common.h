/*
 * rayhist/common.h - export macros, versions and run-time features.
 *
 * Installed header: never includes config.h and never tests HAVE_* macros.
 */
#ifndef RAYHIST_COMMON_H
#define RAYHIST_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define RH_BEGIN_DECL extern "C" {
#define RH_END_DECL }
#else
#define RH_BEGIN_DECL
#define RH_END_DECL
#endif

#if defined(__GNUC__) || defined(__clang__)
#define RH_EXTERN __attribute__((visibility("default")))
#else
#define RH_EXTERN
#endif

/* The macros identify the installed header; rh_version() the library. */
#define RH_VERSION_MAJOR 0
#define RH_VERSION_MINOR 1
#define RH_VERSION_PATCH 0
#define RH_VERSION_STRING "0.1.0"

RH_BEGIN_DECL

/** Features compiled into this library, asked at run time (rh_features()). */
enum rh_feature {
	RH_FEATURE_FILE = 1u << 0, /**< file:// stores (always) */
	RH_FEATURE_S3 = 1u << 1,   /**< s3:// stores */
	RH_FEATURE_AZ = 1u << 2,   /**< az:// stores (Azure Blob Storage) */
};

/** The library's version, "MAJOR.MINOR.PATCH"; a static string. */
RH_EXTERN const char *rh_version(void);

/** A mask of enum rh_feature bits this library supports. */
RH_EXTERN unsigned rh_features(void);

RH_END_DECL

#endif
