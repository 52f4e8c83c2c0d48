/*
 * fragment.h: pieces of answers kept in memory, each the rendering of one
 * row in one form (a report as a GeoJSON Feature in French), so that a
 * list of a thousand rows renders only those that changed since.
 *
 * A piece's key names everything it is made from: the form, and the id
 * and version of every row it reads, the version being PostgreSQL's xmin,
 * which every committed change of a row changes (VACUUM FREEZE keeps it;
 * a transaction's later changes of a row carry its xmin again, but no
 * other transaction sees the versions in between), or a column that a
 * trigger changes with every change of the row (a report's revision,
 * which an index can hold).  So a piece is never stale while its key is
 * found, whichever guichetd changed the rows, and nothing needs to be
 * told.  A piece is served for FRAGMENT_TTL seconds at most (an xmin
 * comes back after four billion transactions; a row deleted and inserted
 * again with its id would count its revisions from 0 again: reports are
 * never, their ids are uuids the database draws).
 *
 * Memory: FRAGMENT_SETS sets of FRAGMENT_WAYS pieces (a store takes the
 * slot of its key, else an empty or expired one, else the least recently
 * used of its set), FRAGMENT_BYTES in all (a store beyond is dropped), a
 * piece at most FRAGMENT_PIECE_MAX bytes.  Thread-safe: a mutex for each
 * group of sets.
 */
#ifndef GUICHET_FRAGMENT_H
#define GUICHET_FRAGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define FRAGMENT_SETS		8192
#define FRAGMENT_WAYS		4
#define FRAGMENT_BYTES		(24 * 1024 * 1024)
#define FRAGMENT_PIECE_MAX	8192
#define FRAGMENT_TTL		3600		/* seconds */

struct fragment_key {
	unsigned char	 h[16];
};

/* The key of row 'id' at 'version' (all versions it reads) in 'form'. */
void	 fragment_key(struct fragment_key *, const char *, const char *,
	    const char *);
/* 1: the piece of 'k' appended to 'out'; 0: none. */
int	 fragment_get(const struct fragment_key *, struct buf *);
/* Keep 'len' bytes at 'data' under 'k'. */
void	 fragment_put(const struct fragment_key *, const char *, size_t);

/*
 * A list whose rows are kept rendered, written straight into 'out':
 * fragment_list_begin() after the list's head, then for each row i (in
 * order) fragment_list_row(): its piece from the fragments, or it is
 * missing.  fragment_list_missing() then gives the ids of the missing
 * rows as a uuid[] literal (NULL: none) for the statement that reads them
 * (in that order); for each row read, fragment_list_match() finds which
 * row it is (0: none missing has that id, one gone between the two
 * statements is left out), the caller writes it at the end of 'made' and
 * calls fragment_list_made() with its key (its versions as read now).
 * fragment_list_end() puts the rows in order, 'sep' between them; the
 * caller writes the list's tail and calls fragment_list_free().
 */
struct fragment_list {
	struct buf	*out;
	const char	*sep;
	size_t		 start;		/* where the rows begin in 'out' */
	int		 n, missing, next, written;
	int		 rows;		/* in the list: found or made */
	size_t		*off, *len;	/* of row i in 'out', or in 'made' */
	char		*fresh;		/* row i is in 'made' */
	const char	**id;		/* the ids of the missing rows */
	struct buf	 made, ids;
};
void	 fragment_list_begin(struct fragment_list *, struct buf *, int,
	    const char *);
int	 fragment_list_row(struct fragment_list *, int,
	    const struct fragment_key *, const char *);
const char *fragment_list_missing(struct fragment_list *);
int	 fragment_list_match(struct fragment_list *, const char *, int *);
void	 fragment_list_made(struct fragment_list *, int, size_t,
	    const struct fragment_key *);
void	 fragment_list_end(struct fragment_list *);
void	 fragment_list_free(struct fragment_list *);

struct fragment_stats {
	uint64_t	 hits, misses, bytes;
};
void	 fragment_stats(struct fragment_stats *);

#endif
