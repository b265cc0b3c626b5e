/* write_7z OUT DIR: write every regular file under DIR (names relative to
 * DIR, mtimes to the second) into the 7z archive OUT with libarchive, for
 * tests/cli/archive_import.sh (no 7z program is installed here). Symbolic
 * links are kept as links; special files are left out. */
#define _XOPEN_SOURCE 700
#include <archive.h>
#include <archive_entry.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct archive *a;
static size_t skip;

static int
add(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	struct archive_entry *e;
	char buf[65536];
	size_t n;
	FILE *f;

	(void)ftw;
	if (flag == FTW_SL && strlen(path) > skip) {
		ssize_t k = readlink(path, buf, sizeof(buf) - 1);
		if (k < 0)
			return 1;
		buf[k] = '\0';
		e = archive_entry_new();
		archive_entry_set_pathname(e, path + skip);
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_perm(e, 0777);
		archive_entry_set_symlink(e, buf);
		archive_entry_set_mtime(e, sb->st_mtime, 0);
		if (archive_write_header(a, e) != ARCHIVE_OK)
			return 1;
		archive_entry_free(e);
		return 0;
	}
	if (flag != FTW_F || !S_ISREG(sb->st_mode) || strlen(path) <= skip)
		return 0;
	if (!(f = fopen(path, "rb")))
		return 1;
	e = archive_entry_new();
	archive_entry_set_pathname(e, path + skip);
	archive_entry_set_size(e, sb->st_size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, sb->st_mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return 1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (archive_write_data(a, buf, n) < 0)
			return 1;
	fclose(f);
	archive_entry_free(e);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: write_7z OUT DIR\n");
		return 2;
	}
	a = archive_write_new();
	skip = strlen(argv[2]) + 1;
	if (archive_write_set_format_7zip(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, argv[1]) != ARCHIVE_OK ||
	    nftw(argv[2], add, 16, FTW_PHYS) != 0 ||
	    archive_write_close(a) != ARCHIVE_OK) {
		fprintf(stderr, "write_7z: %s\n", archive_error_string(a));
		return 1;
	}
	archive_write_free(a);
	return 0;
}
