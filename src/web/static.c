/*
 * static.c: GET /static/{file}: the files of static_dir, by name only
 * (no sub-directories, no dot files), with their content type, an ETag
 * and an hour of caching.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "auth/policy.h"
#include "core/module.h"
#include "http/reply.h"
#include "http/route.h"

#define STATIC_MAX	(4 * 1024 * 1024)

static char	*static_dir;

enum { WEB_E_NO_FILE, WEB_E_UNREADABLE, WEB_E__COUNT };

static const struct errcode web_errors[WEB_E__COUNT] = {
	[WEB_E_NO_FILE] = { "no_such_file", PROB_NOT_FOUND,
	    { "aucun fichier de ce nom", "no such file",
	      "nessun file con questo nome" } },
	[WEB_E_UNREADABLE] = { "file_unreadable", PROB_INTERNAL,
	    { "le fichier n'a pas pu être lu", "the file could not be read",
	      "il file non è stato letto" } },
};

static const struct {
	const char	*ext;
	const char	*type;
} types[] = {
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".json", "application/json" },
};

static int
web_init(const struct module_env *env, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	free(static_dir);
	static_dir = xstrdup(env->conf->static_dir);
	return (0);
}

static const char *
type_of(const char *name)
{
	const char	*dot = strrchr(name, '.');
	size_t		 i;

	if (dot == NULL)
		return (NULL);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return (types[i].type);
	return (NULL);
}

static int
name_ok(const char *s)
{
	if (s == NULL || *s == '\0' || *s == '.' || strlen(s) > 128)
		return (0);
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
		    *s == '_'))
			return (0);
	return (1);
}

static int
web_static(struct request *req)
{
	const char	*name = request_param(req, "file"), *type;
	struct stat	 st;
	struct buf	 b;
	char		 path[4096], etag[64], chunk[8192];
	ssize_t		 n;
	int		 fd;

	if (!name_ok(name) || (type = type_of(name)) == NULL ||
	    static_dir == NULL) {
		reply_error(req, &web_errors[WEB_E_NO_FILE]);
		return (0);
	}
	snprintf(path, sizeof(path), "%s/%s", static_dir, name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("static file %s", name);
		reply_error(req, &web_errors[WEB_E_NO_FILE]);
		return (0);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > STATIC_MAX) {
		close(fd);
		reply_error(req, &web_errors[WEB_E_NO_FILE]);
		return (0);
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"",
	    (unsigned long long)st.st_size,
	    (unsigned long long)st.st_mtim.tv_sec);
	/* Answered here, before the file is read (reply.h). */
	if (etag_match(request_header(req, "If-None-Match"), etag)) {
		close(fd);
		reply_bytes(req, 304, NULL, "", 0);
		reply_header(req, "ETag", etag);
		reply_header(req, "Cache-Control", "public, max-age=3600");
		return (0);
	}
	buf_init(&b);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	if (n == -1) {
		log_warn("static file %s", name);
		buf_cleanup(&b);
		reply_error(req, &web_errors[WEB_E_UNREADABLE]);
		return (0);
	}
	reply_bytes(req, 200, type, b.data, b.len);
	buf_cleanup(&b);
	reply_header(req, "ETag", etag);
	reply_header(req, "Cache-Control", "public, max-age=3600");
	return (0);
}

static const struct route web_routes[] = {
	{ .method = "GET", .pattern = "/static/{file}", .handler = web_static,
	  .perm = PERM_PUBLIC },
};

const struct module web_module = {
	.name = "web",
	.errors = web_errors,
	.nerrors = WEB_E__COUNT,
	.init = web_init,
	.routes = web_routes,
	.nroutes = NELEM(web_routes),
	.openapi = "src/web/openapi.json",
};
