/*
 * cli.h: the command line shared by guichetd and guichetctl.
 *
 * Settings come from the defaults, then the configuration file
 * (/etc/guichet/guichet.conf, or --config PATH / GUICHET_CONFIG, which must
 * then exist), then GUICHET_* variables, then --key VALUE flags.  Words
 * that are not options are left for the program (guichetctl's command).
 */
#ifndef GUICHET_CLI_H
#define GUICHET_CLI_H

#include <stddef.h>

#include "base/conf.h"

#define CLI_DEFAULT_CONFIG	"/etc/guichet/guichet.conf"

struct cli {
	struct conf	  conf;
	const char	 *config_path;
	int		  migrate;
	int		  modules;	/* --modules (guichetd) */
	int		  version;
	int		  help;
	char		**words;	/* non-option arguments, in order */
	int		  nwords;
};

/*
 * Parse argv and environ into 'cli'.  'flags_allowed' lists the boolean
 * flags the program knows ("migrate", "version", "help").  With
 * 'stop_at_word', everything from the first non-option word on is left
 * to the program (guichetctl's command and its own options).  Returns 0,
 * or -1 with a complete message in 'err'.
 */
int	 cli_parse(struct cli *, int, char **, char **, const char *const *,
	    int, char *, size_t);
void	 cli_cleanup(struct cli *);
/* Print the settings with their help, for --help. */
void	 cli_print_settings(void);

#endif
