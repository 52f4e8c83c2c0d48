/*
 * web.h: what the browser pages need from the server: static files
 * (static_dir) now; server-rendered pages come with the portal.
 */
#ifndef GUICHET_WEB_H
#define GUICHET_WEB_H

struct conf;
struct request;

void	web_init(const struct conf *);
int	web_static(struct request *);

#endif
