/*
 * access.c: the access log's interface (access.h).
 */
#include <stddef.h>
#include <string.h>

#include "base/hook.h"
#include "core/access.h"
#include "db/db.h"

static access_recorder_fn	recorder;

void
access_set_recorder(access_recorder_fn fn)
{
	recorder = fn;
	hook_note("access-recorder");
}

int
access_record(struct db *db, const char *subject, const struct principal *who,
    const char *dataset, const char *record, const char *purpose,
    int64_t disclose_after, struct db_error *err)
{
	if (recorder == NULL) {
		memset(err, 0, sizeof(*err));
		err->code = DB_E_INTERNAL;
		return (-1);
	}
	return (recorder(db, subject, who, dataset, record, purpose,
	    disclose_after, err));
}
