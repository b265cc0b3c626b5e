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

/** How far long work (an index build) has come, for a progress meter.
 * Counts only grow; a total is 0 when unknown. */
typedef struct rh_progress {
	uint64_t bytes_done;  /**< stored bytes read so far */
	uint64_t bytes_total; /**< stored bytes to read in all */
	uint64_t files_done;  /**< objects or files done */
	uint64_t files_total; /**< objects or files in all */
} rh_progress;

/** Called as the work advances, on the thread doing it (borrowed `p`). */
typedef void (*rh_progress_cb)(const rh_progress *p, void *payload);

RH_END_DECL

#endif
