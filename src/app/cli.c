/*
 * cli.c: command line and configuration loading for both programs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "base/xmalloc.h"

static int
flag_known(const char *name, const char *const *allowed)
{
	for (; *allowed != NULL; allowed++)
		if (strcmp(*allowed, name) == 0)
			return (1);
	return (0);
}

int
cli_parse(struct cli *cli, int argc, char **argv, char **envp,
    const char *const *allowed, int stop_at_word, char *err, size_t errlen)
{
	struct conf_error	 ce;
	char			 key[128], origin[160], *eq;
	const char		*arg, *name, *value, *env_config = NULL;
	char *const		*e;
	int			 i, required = 0;
	size_t			 k;

	memset(cli, 0, sizeof(*cli));
	conf_init(&cli->conf);
	cli->words = xcalloc((size_t)argc + 1, sizeof(char *));
	cli->config_path = CLI_DEFAULT_CONFIG;
	for (e = envp; *e != NULL; e++)
		if (strncmp(*e, "GUICHET_CONFIG=", 15) == 0)
			env_config = *e + 15;
	if (env_config != NULL && *env_config != '\0') {
		cli->config_path = env_config;
		required = 1;
	}
	/* --config first: the file comes before the other flags. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (stop_at_word && argv[i][0] != '-')
			break;
		if (strncmp(argv[i], "--", 2) == 0 && strchr(argv[i], '=') ==
		    NULL && strcmp(argv[i], "--config") != 0) {
			/* Skip a setting's value: it is not a command word. */
			snprintf(key, sizeof(key), "%s", argv[i] + 2);
			for (k = 0; key[k] != '\0'; k++)
				if (key[k] == '-')
					key[k] = '_';
			if (conf_is_key(key) && i + 1 < argc)
				i++;
			continue;
		}
		if (strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "--config needs a path");
				return (-1);
			}
			cli->config_path = argv[++i];
			required = 1;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			cli->config_path = argv[i] + 9;
			required = 1;
		}
	}
	if (conf_load_file(&cli->conf, cli->config_path, required, &ce) == -1 ||
	    conf_load_env(&cli->conf, envp, &ce) == -1) {
		snprintf(err, errlen, "%s", ce.msg);
		return (-1);
	}
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			for (i++; i < argc; i++)
				cli->words[cli->nwords++] = argv[i];
			break;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			if (arg[0] == '-' && arg[1] != '\0') {
				snprintf(err, errlen, "unknown option '%s' "
				    "(see --help)", arg);
				return (-1);
			}
			if (stop_at_word) {
				for (; i < argc; i++)
					cli->words[cli->nwords++] = argv[i];
				break;
			}
			cli->words[cli->nwords++] = argv[i];
			continue;
		}
		name = arg + 2;
		snprintf(key, sizeof(key), "%s", name);
		if ((eq = strchr(key, '=')) != NULL)
			*eq = '\0';
		if (strcmp(key, "config") == 0) {
			if (eq == NULL)
				i++;
			continue;
		}
		if (eq == NULL && flag_known(key, allowed)) {
			if (strcmp(key, "migrate") == 0)
				cli->migrate = 1;
			else if (strcmp(key, "modules") == 0)
				cli->modules = 1;
			else if (strcmp(key, "version") == 0)
				cli->version = 1;
			else if (strcmp(key, "help") == 0)
				cli->help = 1;
			continue;
		}
		for (k = 0; key[k] != '\0'; k++)
			if (key[k] == '-')
				key[k] = '_';
		if (!conf_is_key(key)) {
			snprintf(err, errlen, "unknown option '--%s' (see "
			    "--help)", name);
			return (-1);
		}
		if (eq != NULL)
			value = strchr(arg, '=') + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else {
			snprintf(err, errlen, "option '--%s' needs a value",
			    name);
			return (-1);
		}
		snprintf(origin, sizeof(origin), "option --%.*s",
		    (int)(eq != NULL ? (size_t)(eq - key) : strlen(key)), name);
		if (conf_set(&cli->conf, key, value, origin, &ce) == -1) {
			snprintf(err, errlen, "%s", ce.msg);
			return (-1);
		}
	}
	return (0);
}

void
cli_cleanup(struct cli *cli)
{
	conf_cleanup(&cli->conf);
	free(cli->words);
	cli->words = NULL;
}

void
cli_print_settings(void)
{
	struct conf_key_info	 ki;
	char			 flag[128];
	size_t			 i, k;

	printf("Settings (file key, GUICHET_<KEY> variable, or --flag):\n");
	for (i = 0; conf_key(i, &ki) == 0; i++) {
		snprintf(flag, sizeof(flag), "%s", ki.key);
		for (k = 0; flag[k] != '\0'; k++)
			if (flag[k] == '_')
				flag[k] = '-';
		printf("  --%-26s %s (%s, default \"%s\")\n", flag, ki.help,
		    ki.type, ki.dflt);
		printf("  %-28s [file: %s]\n", "", ki.key);
	}
}
