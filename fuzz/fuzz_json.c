/*
 * fuzz_json: the strict JSON parser (duplicates, UTF-8, NUL, depth) and
 * the schema checker, on the two richest input schemas (registration:
 * nested objects, dates, enums, E.164; the objection: bounds).
 */
#include <jansson.h>

#include "fuzz.h"
#include "identity/identity.h"
#include "json/check.h"
#include "privacy/rights.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_parse_error	 perr;
	json_t			*v, *errors;

	v = json_parse_strict((const char *)data, size, 32, &perr);
	if (v == NULL)
		return (0);
	errors = json_array();
	json_check(v, &identity_register_spec, LANG_FR, errors);
	json_check(v, &privacy_objection_spec, LANG_IT, errors);
	json_decref(errors);
	json_decref(v);
	return (0);
}
