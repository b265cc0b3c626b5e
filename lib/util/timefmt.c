/* timefmt.c - RFC 3339 times with nanoseconds <-> int64 ns since the epoch
 * (rayhist/timefmt.h). */
#include "internal.h"

#include <stdio.h>

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil); no libc time zone state involved. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static int
digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

RH_EXTERN int
rh_time_parse(int64_t *ns_out, const char *s, size_t len)
{
	unsigned year, mon, day, hh, mm, ss, frac = 0, fd = 0;
	size_t i = 19;
	int64_t secs, off = 0;

	if (!ns_out || !s)
		return rh__error(RH_EINVAL, "rh_time_parse: NULL argument");
	/* YYYY-MM-DDTHH:MM:SS */
	if (len < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
	    s[16] != ':' || digits(s, 4, &year) || digits(s + 5, 2, &mon) ||
	    digits(s + 8, 2, &day) || digits(s + 11, 2, &hh) ||
	    digits(s + 14, 2, &mm) || digits(s + 17, 2, &ss))
		goto bad;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 ||
	    ss > 60)
		goto bad;
	if (s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (fd < 9) {
				frac = frac * 10 + (unsigned)(s[i] - '0');
				fd++;
			}
		}
		if (fd == 0)
			goto bad;
		for (; fd < 9; fd++)
			frac *= 10;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 <= len && (s[i] == '+' || s[i] == '-') &&
	           s[i + 3] == ':') {
		unsigned oh, om;

		if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			goto bad;
		off = ((int64_t)oh * 60 + om) * 60;
		if (s[i] == '-')
			off = -off;
		i += 6;
	} else {
		goto bad;
	}
	if (i != len)
		goto bad;
	secs = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 +
	       ss - off;
	/* int64 ns covers 1677..2262; anything else is not a Ray time. */
	if (secs < -9223372035LL || secs > 9223372035LL)
		goto bad;
	*ns_out = secs * 1000000000LL + frac;
	return 0;
bad:
	return rh__error(RH_EINVAL, "\"%.*s\" is not an RFC 3339 time",
	                 (int)(len > 64 ? 64 : len), s);
}

RH_EXTERN int
rh_time_format(rh_buf *out, int64_t ns)
{
	int64_t secs = ns / 1000000000LL, days, y;
	int64_t frac = ns % 1000000000LL, rem;
	unsigned m, d;

	if (frac < 0) {
		frac += 1000000000LL;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	return rh_buf_printf(out, "%04lld-%02u-%02uT%02d:%02d:%02d.%09lldZ",
	                     (long long)y, m, d, (int)(rem / 3600),
	                     (int)(rem / 60 % 60), (int)(rem % 60),
	                     (long long)frac);
}
