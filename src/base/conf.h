/*
 * conf.h: guichet's configuration.
 *
 * One table (conf.c) names every setting with its type, default and bounds.
 * Sources apply in this order, each overriding the one before: built-in
 * defaults, the file (/etc/guichet/guichet.conf or --config PATH), the
 * GUICHET_<KEY> environment variables (GUICHET_CONFIG, GUICHET_TEST_* and
 * GUICHET_DEV_* excepted), then command-line flags (--key value
 * or --key=value, with '-' for '_').  The file is "key = value" lines, '#'
 * comments and blank lines.  An unknown key or a bad value is an error that
 * names the key and where it came from (file:line, the variable, the flag).
 * The struct is filled once at start-up and read-only afterwards.
 */
#ifndef GUICHET_CONF_H
#define GUICHET_CONF_H

#include <stddef.h>

struct conf {
	char	*listen_address;
	int	 port;
	char	*database;
	char	*database_role;
	int	 threads;
	int	 connection_limit;
	int	 per_ip_connection_limit;
	int	 connection_timeout;		/* seconds */
	int	 connection_memory_limit;	/* bytes per connection */
	int	 live_limit;			/* live streams open at once */
	int	 live_heartbeat;		/* seconds between heartbeats */
	int	 header_timeout;		/* seconds */
	int	 header_connection_limit;
	int	 body_max;			/* bytes */
	int	 upload_max;			/* bytes */
	int	 upload_memory;			/* bytes */
	int	 json_max_depth;
	int	 statement_timeout;		/* milliseconds */
	int	 db_connect_timeout;		/* seconds */
	int	 shutdown_timeout;		/* seconds */
	char	*jwt_key_file;
	char	*log_level;
	char	*public_url;
	char	*clock;
	char	*sql_dir;
	char	*templates_dir;
	char	*static_dir;
	int	 slow_threads;
	int	 slow_queue;
	int	 slow_queue_per_address;
	int	 list_threads;
	int	 list_queue;
	int	 list_queue_per_address;
	int	 password_memory_kib;
	int	 password_iterations;
	int	 password_parallelism;
	char	*trusted_proxy;
	char	*clamd_socket;
	int	 clamd_scan_interval;		/* seconds */
	char	*smtp_url;
	char	*smtp_starttls;
	char	*smtp_user;
	char	*smtp_password_file;
	int	 smtp_timeout;			/* seconds */
	char	*mail_from;
	int	 mail_batch;
	int	 mail_max_attempts;
	int	 mail_retry_base;		/* seconds */
	int	 mail_retry_max;		/* seconds */
	int	 case_draft_days;		/* days a draft lives */
	char	*shuttles_department;		/* posts the shuttles' alerts */
	char	*open311_jurisdiction;		/* Open311 jurisdiction_id */
};

/* An error: the message is complete ("guichet.conf:12: unknown key 'prot'"). */
struct conf_error {
	char	 msg[512];
};

void	conf_init(struct conf *);
void	conf_cleanup(struct conf *);

/* Read a file; a missing file is an error only when 'required'. */
int	conf_load_file(struct conf *, const char *, int, struct conf_error *);
/* Apply GUICHET_* variables from a NULL-terminated environ-style array. */
int	conf_load_env(struct conf *, char *const *, struct conf_error *);
/* Apply one setting; 'origin' names where it came from, for messages. */
int	conf_set(struct conf *, const char *, const char *, const char *,
	    struct conf_error *);
/* 1 when 'key' (underscore form) is a known setting. */
int	conf_is_key(const char *);

/* Iterate the table, for --help, documentation checks and tests. */
struct conf_key_info {
	const char	*key;
	const char	*type;		/* "string", "integer" */
	const char	*dflt;
	const char	*help;
};
size_t	conf_nkeys(void);
int	conf_key(size_t, struct conf_key_info *);	/* -1 past the end */
/* The value currently set, formatted, in a caller buffer. */
void	conf_get(const struct conf *, const char *, char *, size_t);

#endif
