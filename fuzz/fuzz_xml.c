/*
 * fuzz_xml: any JSON value mapped to XML (names, arrays, escaping), and
 * the If-None-Match parser on the same bytes.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "fuzz.h"
#include "http/reply.h"
#include "http/xml.h"

static const struct xml_plural plurals[] = {
	{ "services", "service" }, { "values", "value" }, { "a", "b" },
	{ NULL, NULL },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 b;
	json_t		*v;
	const char	*why;
	char		*s;

	if ((s = malloc(size + 1)) == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = '\0';
	(void)etag_match(s, "\"2cf24dba5fb0a30e26e83b2ac5b9e29e\"");
	buf_init(&b);
	xml_escape(&b, s);
	buf_reset(&b);
	if ((v = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_REJECT_DUPLICATES, NULL)) != NULL) {
		(void)xml_from_json(&b, "services", v, plurals, &why);
		json_decref(v);
	}
	buf_cleanup(&b);
	free(s);
	return (0);
}
