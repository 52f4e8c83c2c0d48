/*
 * xml.h: XML answers written from the JSON a handler already built.
 *
 * Open311 GeoReport v2 (open311.org, the GeoReport v2 specification) defines its JSON as a
 * mechanical mapping of its XML, so one handler builds the jansson value
 * and answers either format: xml_from_json() writes
 *   - an object as one child element per member, in insertion order;
 *   - an array member "services" as <services> holding one <service> per
 *     item: the item's name comes from the caller's table of plurals, and
 *     an array with no entry there is an error (never a guess);
 *   - a string as escaped text, a number as JSON writes it (a real to 15
 *     significant digits: 44.9316, not 44.931600000000003), true/false as
 *     such, null as an empty element (<datatype_description></...>).
 * The root is named by the caller ("services" with items "service" for a
 * list, "service_definition" for an object).  Names must be XML names
 * ([A-Za-z_][A-Za-z0-9_.-]*): anything else fails, as does a nesting
 * deeper than XML_DEPTH_MAX.  Text is UTF-8 (jansson guarantees it); the
 * characters XML 1.0 forbids (C0 controls but tab, LF and CR, U+FFFE,
 * U+FFFF) and DEL become U+FFFD.  Output starts with <?xml version="1.0" encoding="utf-8"?>.
 */
#ifndef GUICHET_XML_H
#define GUICHET_XML_H

#include <jansson.h>

struct buf;
struct request;

#define XML_DEPTH_MAX	32

/* One plural -> singular pair; the table ends with { NULL, NULL }. */
struct xml_plural {
	const char	*plural;
	const char	*singular;
};

/*
 * Escaped text of 's' (element content or attribute value), in XML and in
 * HTML alike (HTML5 knows &apos;): the one escaper of markup.
 */
void	 xml_escape(struct buf *, const char *);
/* 0, or -1 with a reason in 'why' (nothing sensible was written). */
int	 xml_from_json(struct buf *, const char *, const json_t *,
	    const struct xml_plural *, const char **);
/*
 * A list of flat records written straight into 'b', as JSON or as the
 * XML xml_from_json() makes of that same JSON (an array <root> of <item>
 * objects, null an empty element): for a list too long to be built as a
 * jansson value first, one record writer for both formats.  Names are
 * the caller's constants, XML names.  xml_list_real() writes the decimal
 * text of a float as a real (buf_add_real()), NULL as null.
 *
 * A record may also be written alone, to be kept and added to lists
 * later (http/fragment.h, between xml_list_begin() and xml_list_end(),
 * separated by a comma in JSON): xml_list_one() starts it in 'b' (no
 * root), xml_list_item() and the members as in a list,
 * xml_list_one_end() ends it.
 */
struct xml_list {
	struct buf	*b;
	int		 xml;
	const char	*root;		/* NULL: a record alone */
	const char	*item;
	int		 items;
	int		 members;
	int		 open;		/* a record is being written */
};
void	 xml_list_begin(struct xml_list *, struct buf *, int, const char *,
	    const char *);
void	 xml_list_item(struct xml_list *);	/* the next record */
void	 xml_list_str(struct xml_list *, const char *, const char *);
void	 xml_list_real(struct xml_list *, const char *, const char *);
void	 xml_list_end(struct xml_list *);
void	 xml_list_one(struct xml_list *, struct buf *, int, const char *);
void	 xml_list_one_end(struct xml_list *);
/* reply_json()'s twin: 'v' as text/xml (stolen); 500 when unmappable. */
void	 reply_xml(struct request *, int, json_t *, const char *,
	    const struct xml_plural *);

#endif
