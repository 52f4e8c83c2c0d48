/*
 * replay.c: main() for a fuzz target outside libFuzzer (fuzz.h): runs the
 * target once per file of the directories or files given, or of
 * $GUICHET_TEST_SRCDIR/fuzz/corpus/<name> when none is, where <name> is
 * the program's name without its "fuzz_" prefix.  A crash, a sanitizer
 * report or a leak fails the test; an empty corpus fails too.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	FILE		*f;
	uint8_t		*data;
	long		 n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return (-1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc(n > 0 ? (size_t)n : 1);
	if (data == NULL || (n > 0 && fread(data, 1, (size_t)n, f) !=
	    (size_t)n)) {
		fprintf(stderr, "%s: cannot read\n", path);
		fclose(f);
		free(data);
		return (-1);
	}
	fclose(f);
	/* Exactly the bytes of the file, as libFuzzer passes them. */
	LLVMFuzzerTestOneInput(data, (size_t)n);
	free(data);
	return (0);
}

static int
run_path(const char *path, int *count)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		 sub[4096];

	if (stat(path, &st) == -1) {
		perror(path);
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return (run_file(path));
	}
	if ((d = opendir(path)) == NULL) {
		perror(path);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (run_path(sub, count) == -1) {
			closedir(d);
			return (-1);
		}
	}
	closedir(d);
	return (0);
}

int
main(int argc, char **argv)
{
	const char	*src = getenv("GUICHET_TEST_SRCDIR"), *name;
	char		 dir[4096];
	int		 i, count = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (run_path(argv[i], &count) == -1)
				return (1);
	} else {
		name = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
		    argv[0];
		if (strncmp(name, "fuzz_", 5) == 0)
			name += 5;
		snprintf(dir, sizeof(dir), "%s/fuzz/corpus/%s",
		    src != NULL ? src : ".", name);
		if (run_path(dir, &count) == -1)
			return (1);
	}
	printf("%d inputs replayed\n", count);
	return (count > 0 ? 0 : 1);
}
