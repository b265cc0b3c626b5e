/* store_az_url.c - az:// and https://ACCOUNT.blob.core.windows.net store
 * URLs, and the request URL of one blob.
 *
 * Container names follow "Naming and Referencing Containers, Blobs, and
 * Metadata": 3 to 63 characters, lower-case letters, digits and single
 * hyphens, starting and ending with a letter or digit. Blob names are sent
 * percent-encoded as the S3 backend encodes keys (everything but A-Z a-z
 * 0-9 - . _ ~ and '/'), which Azure and Azurite decode the same way; the
 * Shared Key signature covers the path exactly as sent.
 */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "store_az.h"

static int
check_container(const char *url, const char *c)
{
	size_t n = strlen(c), i;

	if (n < 3 || n > 63)
		return rh__error(
			RH_EINVAL,
			"%s: container name \"%s\" must have 3 to 63 characters",
			url, c);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)c[i];

		if (!(islower(ch) || isdigit(ch) || ch == '-') ||
		    (ch == '-' && (i == 0 || i == n - 1 || c[i - 1] == '-')))
			return rh__error(
				RH_EINVAL,
				"%s: container name \"%s\" may hold only lower-case letters, digits and single hyphens inside",
				url, c);
	}
	return 0;
}

/* container[/prefix] of `rest` (after "az://" or the endpoint's '/'). */
static int
split_path(char **container, char **prefix, const char *url, const char *rest)
{
	const char *slash = strchr(rest, '/');
	size_t plen;
	int error;

	if (strpbrk(rest, "?#"))
		return rh__error(
			RH_EINVAL,
			"%s: a store URL takes no query or fragment (give a SAS token as sas_token or AZURE_STORAGE_SAS_TOKEN)",
			url);
	if (!(*container = rh__strndup(rest, slash ? (size_t)(slash - rest) :
	                                             strlen(rest))))
		return RH_ENOMEM;
	if ((error = check_container(url, *container)) < 0)
		return error;
	rest = slash ? slash + 1 : "";
	plen = strlen(rest);
	while (plen && rest[plen - 1] == '/')
		plen--;
	if (!(*prefix = rh__strndup(rest, plen)))
		return RH_ENOMEM;
	if (strchr(*prefix, '\\'))
		return rh__error(
			RH_EINVAL,
			"%s: Azure Blob Storage reads '\\' in a blob name as '/': the prefix cannot hold one",
			url);
	if (**prefix && rh_store__check_key(*prefix) < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", rh_error_last());
		return rh__error(RH_EINVAL,
		                 "%s: the prefix is no valid key: %s", url,
		                 why);
	}
	if (strlen(*prefix) > RH_STORE__KEY_MAX / 2)
		return rh__error(RH_EINVAL,
		                 "%s: the prefix is longer than %d bytes", url,
		                 RH_STORE__KEY_MAX / 2);
	return 0;
}

int
rh_az__parse_url(char **account, char **container, char **prefix,
                 char **endpoint, const char *url)
{
	const char *host, *slash, *dot;
	int error;

	*account = *container = *prefix = *endpoint = NULL;
	if (strncasecmp(url, "az://", 5) == 0) {
		error = split_path(container, prefix, url, url + 5);
		goto done;
	}
	if (strncasecmp(url, "https://", 8) != 0)
		return rh__error(
			RH_EINVAL,
			"%s: not an az:// or https://ACCOUNT.blob.core.windows.net URL",
			url);
	host = url + 8;
	slash = strchr(host, '/');
	dot = strchr(host, '.');
	if (!slash || !dot || dot > slash || !strstr(host, ".blob.") ||
	    strstr(host, ".blob.") > slash)
		return rh__error(
			RH_EINVAL,
			"%s: an https store URL is https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX]",
			url);
	if (!(*account = rh__strndup(host, (size_t)(dot - host))) ||
	    !(*endpoint = rh__strndup(url, (size_t)(slash - url))))
		return RH_ENOMEM;
	error = split_path(container, prefix, url, slash + 1);
done:
	if (error < 0) {
		free(*account), free(*container), free(*prefix),
			free(*endpoint);
		*account = *container = *prefix = *endpoint = NULL;
	}
	return error;
}
